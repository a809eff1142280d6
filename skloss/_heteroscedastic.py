"""HeteroscedasticRegressor: a linear mean and a linear log-variance."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._base import LinearModelBase
from ._dask_input import blockwise_on_dask
from ._distributional_base import _DistributionalRegressorBase
from ._docstrings import with_fragments
from .losses import GaussianNLL, SquaredError

# The mean of log(e^2) for standard Gaussian e is -(Euler's gamma + log 2):
# log squared residuals underestimate the log-variance by about 1.27.
_LOG_CHI2_BIAS = float(np.euler_gamma + np.log(2.0))
# The start's least squares run this much tighter than the fit: near a mean
# that interpolates, the likelihood's gradient is the residual divided by the
# variance regularisation, so loose residuals cost the fit many iterations
# (on scikit-learn's weight-equivalence data, 1e-3 took every fit of 20 data
# sets below 50 iterations; tol itself left some at max_iter).
_START_TOL_RATIO = 1e-3


@with_fragments
class HeteroscedasticRegressor(_DistributionalRegressorBase):
    r"""Linear regression of the mean and the log-variance (heteroscedastic Gaussian).

    Maximum likelihood for

    .. math::

        y \mid x \sim \mathcal{N}\big(\mu(x), \sigma^2(x)\big), \qquad
        \mu(x) = x w_\mu + b_\mu, \qquad
        \sigma^2(x) = e^{v(x)}, \qquad v(x) = x w_v + b_v:

    two linear heads on the same features, the mean and the log-variance.
    The coefficients minimise

    .. math::

        \frac{1}{\sum_i s_i} \sum_i s_i \Big(\frac{1}{2}\log(2\pi)
            + \frac{v(x_i)}{2}
            + \frac{(y_i - \mu(x_i))^2 + \delta}{2 e^{v(x_i)}}\Big)
        + \frac{\alpha}{2}\Big(\frac{\|w_\mu\|^2}{\sigma_y^2} + \|w_v\|^2\Big)

    (the loss :class:`~skloss.losses.GaussianNLL`) over both heads, with
    :math:`s_i` the sample weights, unpenalised intercepts,
    :math:`\sigma_y^2` the weighted variance of the training targets and
    :math:`\delta = \text{reg\_variance} \cdot \sigma_y^2` a small
    variance regularisation (:math:`\delta = 0` is exact maximum
    likelihood). The prediction is the conditional mean;
    ``predict(X, return_std=True)`` also gives the predicted standard
    deviation :math:`\sigma(x)`.

    Parameters
    ----------
    alpha : float, default=0.0
        Strength of the L2 penalty on the coefficients of both heads, those
        of the mean head measured in standard deviations of ``y``.
    {% distributional_parameters %}

    Attributes
    ----------
    coef_ : ndarray of shape (2, n_features)
        Row 0 is the mean head :math:`w_\mu`, row 1 the log-variance head
        :math:`w_v`.
    intercept_ : ndarray of shape (2,)
        :math:`(b_\mu, b_v)`.
    loss_ : GaussianNLL
        The fitted loss; its ``reg_variance`` is :math:`\delta` in the units
        of ``y`` squared.
    n_iter_ : int
        Number of L-BFGS iterations run.
    objective_ : float
        Value of the objective at the fitted coefficients.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    MixtureDensityRegressor : Several Gaussian modes with x-dependent weights.
    LinearGaussianRegressor : The mean only, with unit variance.
    sklearn.linear_model.BayesianRidge : Also ``predict(X, return_std=True)``,
        with a constant noise variance.

    Notes
    -----
    The log-variance head makes the variance multiplicative in the features
    (the classic multiplicative heteroscedasticity model): it needs no
    constraint, and rescaling ``y`` by :math:`c` only shifts :math:`b_v` by
    :math:`2\log c`. A softplus-parameterised precision would keep the
    gradient bounded but lose both properties; the one danger of the
    log-variance, the precision :math:`e^{-v}` overflowing, is removed in
    the loss by continuing it linearly below :math:`v = -300`.

    The likelihood of this model has no maximum when the mean head can fit
    some samples exactly while the log-variance head sends their variance
    to 0 (for example with as many features as samples, or an outlying
    sample in ``X``); ``reg_variance`` keeps the minimiser finite, and
    ``alpha`` bounds the slopes that isolate such samples. On small data,
    prefer ``alpha > 0``.

    The objective is not convex in both heads jointly, but it is in each
    head with the other fixed. The fit starts from the classic two-step
    estimate: least squares for the mean head, then least squares for the
    log-variance head on :math:`\log(r_i^2 + \delta) + 1.27`, with
    :math:`r_i` the residuals of the first step and 1.27 the amount by which
    the log of a squared standard Gaussian falls short of 0 on average. Where
    the mean head fits the data exactly (more features than samples), this
    start is the maximiser (every variance :math:`\delta`) up to that shift.
    ``n_iter_`` counts the iterations of the likelihood fit from there.

    Sample weights enter the objective as repeated samples would. Where the
    maximiser is not unique (``alpha=0`` with more features than samples of
    positive weight: any interpolating mean head is one), the fit is the one
    of least norm: the least-squares mean head of least norm (which
    interpolates) and the constant log-variance :math:`\log\delta`. It
    depends on the data only through the weighted rows, so weighted and
    repeated rows give the same model.

    Measuring the mean head's penalty in units of :math:`\sigma_y` makes
    the fit equivariant, as the unpenalised likelihood is: fitting
    :math:`c y + d` gives the mean :math:`c \mu(x) + d`, the standard
    deviation :math:`|c| \sigma(x)` and the same log-variance slopes. The
    core fits :math:`y / \sigma_y`, so ``tol`` is relative to the spread of
    ``y``. Without intercepts (``fit_intercept=False``) the log-variance
    intercept is therefore fixed at :math:`\log\sigma_y^2`, not 0, and
    ``intercept_`` reports it.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss import HeteroscedasticRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-2, 2, size=(5000, 1))
    >>> y = 1.0 + 2.0 * X[:, 0] + np.exp(0.5 * X[:, 0]) * rng.normal(size=5000)
    >>> model = HeteroscedasticRegressor().fit(X, y)
    >>> model.coef_.round(1)  # mean slope 2, log-variance slope 2 * 0.5
    array([[2.],
           [1.]])
    >>> mean, std = model.predict(np.array([[-1.0], [1.0]]), return_std=True)
    >>> mean.round(1), std.round(1)
    (array([-1.,  3.]), array([0.6, 1.6]))
    """

    _named_losses = {"gaussian_nll": GaussianNLL}

    def __init__(
        self,
        *,
        alpha=0.0,
        reg_variance=1e-6,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-5,
        warm_start=False,
    ):
        self._store_init_arguments(locals())

    def _loss_param(self):
        return GaussianNLL()

    def _fit_standardised(self, X, target, loss, sample_weight, coef_init, intercept_init):
        if coef_init is None:
            coef_init, intercept_init = self._two_step_start(X, target, loss, sample_weight)
        return super()._fit_standardised(X, target, loss, sample_weight, coef_init, intercept_init)

    def _two_step_start(self, X, target, loss, sample_weight):
        """Least squares for the mean head, then for the log squared residuals.

        Both are convex fits by the core, on the standardised target; only
        the likelihood fit's convergence is reported. Measured against the
        constant start on 5,000 x 1, 5,000 x 10 and 20,000 x 50 problems with
        multiplicative noise: 5, 22 and 36 iterations instead of 11, 32 and
        63 (12 vs 28 ms, 33 vs 60 ms, 757 vs 683 ms: at 20,000 x 50 the
        passes over X of the two least-squares fits cost more than the
        iterations save). On 60 fits of scikit-learn's weight-equivalence
        data, where the mean interpolates, at most 46 iterations, where the
        constant start did not converge in 1,000.
        Returns ``(None, None)``, the constant start, if a least-squares
        step fits worse than the best constant.
        """
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            mean = self._least_squares(X, target[:, :1], sample_weight)
            if mean is None:
                return None, None
            residual = target[:, :1] - mean[0]
            if self._interpolates(residual, sample_weight, loss.reg_variance):
                return self._interpolating_maximiser(mean[1], loss.reg_variance)
            # Residuals below 1e-8 standard deviations of y are rounding.
            squared = np.maximum(residual**2 + loss.reg_variance, np.finfo(float).eps)
            log_variance = self._least_squares(X, np.log(squared) + _LOG_CHI2_BIAS, sample_weight)
        if log_variance is None:
            return None, None
        coef = np.hstack([mean[1].coef, log_variance[1].coef])
        intercept = np.concatenate([mean[1].intercept, log_variance[1].intercept])
        return coef, intercept

    def _interpolates(self, residual, sample_weight, reg_variance):
        """Whether the least-squares mean fits every weighted row to within rounding.

        Then, with ``alpha=0`` and ``reg_variance > 0``, the likelihood's
        maximum is known (:meth:`_interpolating_maximiser`): a residual ``r``
        counts as zero when ``r^2`` is lost in rounding next to ``reg_variance``.
        """
        if self.alpha != 0 or not self.fit_intercept or not reg_variance > 0:
            return False
        weighted = residual[sample_weight > 0, 0]
        return bool(np.max(weighted**2) <= np.finfo(float).eps * reg_variance)

    def _interpolating_maximiser(self, mean, reg_variance):
        """The maximiser when the mean head interpolates: every variance ``reg_variance``.

        Each weighted row's term ``v/2 + (r^2 + delta) / (2 e^v)`` is at its
        least, ``(log delta + 1) / 2``, exactly when ``r = 0`` and ``v = log
        delta``: so the interpolating mean head with a constant log-variance
        ``log delta`` maximises the likelihood. Other log-variance heads that
        are ``log delta`` on every weighted row do too (with more features
        than rows); the one without slopes is the least-norm one, as the
        core's least-squares mean head is, so the fit does not depend on how
        the rows are weighted or repeated.
        """
        coef = np.hstack([mean.coef, np.zeros_like(mean.coef)])
        intercept = np.concatenate([mean.intercept, [np.log(reg_variance)]])
        return coef, intercept

    def _least_squares(self, X, y, sample_weight):
        """``(fitted values, FitResult)`` of least squares by the core, or None.

        None if the fit is worse than the best constant beyond rounding: the
        core can fail on rank-deficient sparse X at a tight ``tol``.
        """
        result = LinearModelBase._minimise(
            self, X, y, SquaredError(), sample_weight, None, None, tol=_START_TOL_RATIO * self.tol
        )
        fitted = np.asarray(X @ result.coef) + result.intercept
        weight = sample_weight / np.sum(sample_weight)
        constant = weight @ y if self.fit_intercept else np.zeros(1)
        rounding = np.finfo(float).eps * (weight @ y**2)
        if not weight @ (y - fitted) ** 2 <= weight @ (y - constant) ** 2 + rounding:
            return None
        return fitted, result

    def _mean_and_log_variance_columns(self):
        return [0], [1]

    def _store_params(self, coef, intercept):
        self.coef_, self.intercept_ = coef.T, intercept

    def _fitted_params(self):
        return np.asarray(self.coef_, dtype=float).T, np.asarray(self.intercept_, dtype=float)

    @blockwise_on_dask
    def predict(self, X, return_std=False):
        """Predicted mean, and optionally standard deviation, of y given X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False
            Whether to return the predicted standard deviation too.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            The conditional mean :math:`\\mu(x)`.
        y_std : ndarray of shape (n_samples,)
            The conditional standard deviation :math:`\\sigma(x)`; only with
            ``return_std=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import HeteroscedasticRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.uniform(0, 1, size=(5000, 1))
        >>> y = 3 * X[:, 0] + np.exp(-2 + 2 * X[:, 0]) * rng.normal(size=5000)
        >>> model = HeteroscedasticRegressor().fit(X, y)
        >>> mean, std = model.predict([[0.1], [0.9]], return_std=True)
        >>> mean.round(1), std.round(1)  # the truth: (0.3, 2.7) and (0.17, 0.82)
        (array([0.3, 2.7]), array([0.2, 0.8]))
        """
        raw = self._raw_output(X)
        mean = raw[:, 0]
        if not return_std:
            return mean
        return mean, np.exp(0.5 * raw[:, 1])

    @with_fragments
    def sample(self, X, n_samples=1, random_state=None):
        """Draw y from the predicted Gaussian of each row of X.

        {% sampling_parameters %}

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import HeteroscedasticRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(500, 2))
        >>> model = HeteroscedasticRegressor().fit(X, X[:, 0] + rng.normal(size=500))
        >>> model.sample(X[:3], n_samples=4, random_state=0).shape
        (3, 4)
        """
        n_samples = self._check_n_samples(n_samples)
        mean, std = self.predict(X, return_std=True)
        noise = check_random_state(random_state).standard_normal((len(mean), n_samples))
        return mean[:, np.newaxis] + std[:, np.newaxis] * noise
