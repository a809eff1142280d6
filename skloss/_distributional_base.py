"""What the distributional regressors share: the whole conditional distribution of y.

Both (:mod:`skloss._heteroscedastic`, :mod:`skloss._mixture_density`) are
fitted by the same L-BFGS-B core as every other estimator; their losses
(:class:`~skloss.losses.GaussianNLL`, :class:`~skloss.losses.GaussianMixtureNLL`)
give the raw output several linear heads per sample.
"""

import dataclasses
import numbers
from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_scalar,
    column_or_1d,
)

from ._base import LinearModelBase
from ._statistics import weighted_mean


class _DistributionalRegressorBase(RegressorMixin, LinearModelBase):
    """Shared plumbing: one target, variance regularisation, likelihood, sampling."""

    _target_kind = "distribution"
    _parameter_constraints = {
        **LinearModelBase._parameter_constraints,
        "reg_variance": [Interval(Real, 0, None, closed="left")],
    }

    def _single_target(self, y):
        if y.ndim == 2 and y.shape[1] != 1 or y.ndim > 2:
            raise ValueError(
                f"{type(self).__name__} models a single target: y must be 1-d or a single "
                f"column, got shape {y.shape}. Fit one model per target."
            )
        return column_or_1d(y, warn=True)

    def _validate_data_and_target(self, X, y):
        X, y = super()._validate_data_and_target(X, y)
        return X, self._single_target(y)

    def _encode_target(self, y, sample_weight):
        name = type(self).__name__
        n_positive = int(np.count_nonzero(sample_weight > 0))
        if n_positive < 2:
            raise ValueError(
                f"{name} needs at least 2 samples with positive weight to estimate a "
                f"variance; got {n_positive} sample{'' if n_positive == 1 else 's'}."
            )
        std = _target_std(y[:, np.newaxis], sample_weight)
        if not std > 0:
            raise ValueError(
                f"{name} needs a target that varies: y has zero (weighted) variance, so "
                "there is no spread to model."
            )
        self._y_scale = std
        return self._loss_param().encode_target(y)

    def _configure_loss(self, loss, target, sample_weight):
        return loss.set_params(reg_variance=float(self.reg_variance) * self._y_scale**2)

    def _mean_and_log_variance_columns(self):
        """Columns of the raw output that are mean heads and log-variance heads."""
        raise NotImplementedError

    def fit(self, X, y, sample_weight=None):
        """Fit the model by maximising the (penalised) likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; CSR and CSC matrices are used without densifying.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; all ones if None.

        Returns
        -------
        self : object
            The fitted estimator.

        Notes
        -----
        Unlike the other estimators, these take no ``offset``: their raw
        output holds several heads (means, log-variances, mixing logits),
        for which one known term per row has no single meaning.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import HeteroscedasticRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(500, 1))
        >>> model = HeteroscedasticRegressor().fit(X, 2 * X[:, 0] + rng.normal(size=500))
        >>> model.coef_.shape
        (2, 1)
        """
        return super().fit(X, y, sample_weight)

    def _minimise(self, X, target, loss, sample_weight, coef_init, intercept_init, offset=None):
        # ``offset`` is always None: fit takes none (see fit's Notes).
        # The core fits u = y / s, s the weighted standard deviation of y: the
        # mean heads scale by s and the log-variance intercepts shift by
        # 2 log s, so the fit is the same model whatever the units of y, and
        # L-BFGS's tolerance is relative to the spread of y.
        scale = self._y_scale
        means, log_variances = self._mean_and_log_variance_columns()
        standard_loss = _clone_loss(loss, reg_variance=loss.reg_variance / scale**2)
        if coef_init is not None:
            coef_init, intercept_init = coef_init.copy(), intercept_init.copy()
            coef_init[:, means] /= scale
            intercept_init[means] /= scale
            intercept_init[log_variances] -= 2 * np.log(scale)
        result = self._fit_standardised(
            X, target / scale, standard_loss, sample_weight, coef_init, intercept_init
        )
        coef, intercept = result.coef.copy(), result.intercept.copy()
        coef[:, means] *= scale
        intercept[means] *= scale
        intercept[log_variances] += 2 * np.log(scale)
        # Each sample's negative log-density of y is that of y / s plus log s.
        objective = result.objective + np.log(scale)
        return dataclasses.replace(result, coef=coef, intercept=intercept, objective=objective)

    def _fit_standardised(self, X, target, loss, sample_weight, coef_init, intercept_init):
        """Run the core on the standardised target (once; subclasses may restart)."""
        return super()._minimise(X, target, loss, sample_weight, coef_init, intercept_init)

    def _check_target(self, y, n_samples):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        y = self._single_target(y)
        check_consistent_length(np.empty(n_samples), y)
        return y

    def log_likelihood(self, X, y):
        """Log-density of each ``y`` under the distribution predicted for its ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            :math:`\\log p(y_i \\mid x_i)`, the exact log-density (the fitted
            loss without its ``reg_variance`` term, constants included), so it
            can be compared across models.

        Examples
        --------
        The log-density of a standard normal at 0 is
        :math:`-\\log(2\\pi)/2 \\approx -0.919`:

        >>> import numpy as np
        >>> from skloss import HeteroscedasticRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(20_000, 1))
        >>> model = HeteroscedasticRegressor().fit(X, rng.normal(size=20_000))
        >>> model.log_likelihood([[0.0]], [0.0]).round(1)
        array([-0.9])
        """
        raw = self._raw_output(X)
        y = self._check_target(y, raw.shape[0])
        # The exact log-density: the loss without its variance regularisation.
        exact = _clone_loss(self.loss_, reg_variance=0.0)
        return -exact.loss(y[:, np.newaxis], raw)

    def mean_log_likelihood(self, X, y, sample_weight=None):
        """Weighted mean log-likelihood of held-out data, for model comparison.

        Higher is better. Unlike :meth:`score` (:math:`R^2` of the mean), it
        rewards a correct spread and shape of the predicted distribution.
        As a ``GridSearchCV`` scorer:
        ``scoring=lambda model, X, y: model.mean_log_likelihood(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        mean_log_likelihood : float
            :math:`\\sum_i s_i \\log p(y_i \\mid x_i) / \\sum_i s_i`.

        Examples
        --------
        On noise whose spread grows with :math:`x`, a model of that spread
        gives held-out data a higher likelihood than a constant variance:

        >>> import numpy as np
        >>> from skloss import HeteroscedasticRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.uniform(-2, 2, size=(4000, 1))
        >>> y = np.exp(X[:, 0]) * rng.normal(size=4000)
        >>> model = HeteroscedasticRegressor().fit(X[:2000], y[:2000])
        >>> constant = HeteroscedasticRegressor().fit(0 * X[:2000], y[:2000])
        >>> held_out = model.mean_log_likelihood(X[2000:], y[2000:])
        >>> bool(held_out > constant.mean_log_likelihood(0 * X[2000:], y[2000:]))
        True
        """
        values = self.log_likelihood(X, y)
        sample_weight = _check_sample_weight(
            sample_weight, values, dtype=np.float64, ensure_non_negative=True
        )
        return float(np.average(values, weights=sample_weight))

    @staticmethod
    def _check_n_samples(n_samples):
        check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
        return int(n_samples)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        return tags


def _clone_loss(loss, **params):
    """A new loss of the same type with some parameters changed."""
    return type(loss)(**{**loss.get_params(), **params})


def _target_std(y, sample_weight):
    """Weighted standard deviation of the single column of ``y``.

    Where the sum of squared deviations overflows (y near the largest
    squarable magnitudes), the deviations are divided by the largest one (of
    a sample with positive weight) before squaring.
    """
    deviation = y - weighted_mean(y, sample_weight)
    with np.errstate(over="ignore"):
        variance = float(weighted_mean(deviation**2, sample_weight)[0])
    if np.isfinite(variance):
        return float(np.sqrt(variance))
    largest = float(np.max(np.abs(deviation[sample_weight > 0])))
    return largest * float(np.sqrt(weighted_mean((deviation / largest) ** 2, sample_weight)[0]))
