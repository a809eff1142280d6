"""Distributional regressors: the whole conditional distribution of y, not only its mean.

Both are fitted by the same L-BFGS-B core as every other estimator; their
losses (:class:`~skloss.losses.GaussianNLL`,
:class:`~skloss.losses.GaussianMixtureNLL`) give the raw output several
linear heads per sample.
"""

import dataclasses
import numbers
import warnings

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_scalar,
    column_or_1d,
    validate_data,
)

from ._base import LinearModelBase
from ._objective import column_moments
from .losses import GaussianMixtureNLL, GaussianNLL
from .losses._weighted import weighted_mean, weighted_quantile

_COMMON_PARAMETERS_DOC = r"""reg_variance : float, default=1e-6
        Variance regularisation :math:`\delta`, as a fraction of the
        weighted variance :math:`\sigma_y^2` of the training targets:
        :math:`\delta = \text{reg\_variance} \cdot \sigma_y^2` is
        added to every squared residual in the loss, so the best variance for
        a residual :math:`r` is :math:`r^2 + \delta`, never 0. It keeps the
        likelihood bounded where the mean fits some samples exactly (like
        ``reg_covar`` of ``sklearn.mixture.GaussianMixture``); 0 removes it.
    fit_intercept : bool, default=True
        Whether every head has an (unpenalised) intercept.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations (per start).
    tol : float, default=1e-5
        L-BFGS stops when the largest gradient entry falls below ``tol``.
    warm_start : bool, default=False
        Start from the previous fit's coefficients."""

_SAMPLES_DOC = """Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        n_samples : int, default=1
            Number of draws for each row of ``X``.
        random_state : int, RandomState instance or None, default=None
            Seed or generator of the draws.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples)
            Row ``i`` holds independent draws from the predicted
            distribution of y given ``X[i]``."""


class _DistributionalRegressorBase(RegressorMixin, LinearModelBase):
    """Shared plumbing: one target, variance regularisation, likelihood, sampling."""

    _target_kind = "distribution"

    def _validate_params(self):
        super()._validate_params()
        check_scalar(self.reg_variance, "reg_variance", numbers.Real, min_val=0.0)
        if not np.isfinite(self.reg_variance):
            raise ValueError(f"reg_variance must be finite, got {self.reg_variance!r}.")

    def _single_target(self, y):
        if y.ndim == 2 and y.shape[1] != 1 or y.ndim > 2:
            raise ValueError(
                f"{type(self).__name__} models a single target: y must be 1-d or a single "
                f"column, got shape {y.shape}. Fit one model per target."
            )
        return column_or_1d(y, warn=True)

    def _validate_data_and_target(self, X, y):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
        )
        return X, self._single_target(y)

    def _encode_target(self, y, sample_weight):
        name = type(self).__name__
        n_positive = int(np.count_nonzero(sample_weight > 0))
        if n_positive < 2:
            raise ValueError(
                f"{name} needs at least 2 samples with positive weight to estimate a "
                f"variance; got {n_positive} sample{'' if n_positive == 1 else 's'}."
            )
        variance = _target_variance(y[:, np.newaxis], sample_weight)
        if not variance > 0:
            raise ValueError(
                f"{name} needs a target that varies: y has zero (weighted) variance, so "
                "there is no spread to model."
            )
        self._y_scale = float(np.sqrt(variance))
        return self._loss_param().encode_target(y)

    def _configure_loss(self, loss, target, sample_weight):
        return loss.set_params(reg_variance=float(self.reg_variance) * self._y_scale**2)

    def _mean_and_log_variance_columns(self):
        """Columns of the raw output that are mean heads and log-variance heads."""
        raise NotImplementedError

    def _minimise(self, X, target, loss, sample_weight, coef_init, intercept_init):
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


def _target_variance(y, sample_weight):
    """Weighted variance of the single column of ``y``."""
    mean = weighted_mean(y, sample_weight)
    return float(weighted_mean((y - mean) ** 2, sample_weight)[0])


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
    {common}

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
    head with the other fixed; the fit starts from zero slopes and the best
    constant (the weighted mean and log-variance of ``y``).

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
        self.reg_variance = reg_variance
        super().__init__(
            alpha=alpha,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
        )

    def _loss_param(self):
        return GaussianNLL()

    def _mean_and_log_variance_columns(self):
        return [0], [1]

    def _store_params(self, coef, intercept):
        self.coef_, self.intercept_ = coef.T, intercept

    def _fitted_params(self):
        return np.asarray(self.coef_, dtype=float).T, np.asarray(self.intercept_, dtype=float)

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

    def sample(self, X, n_samples=1, random_state=None):
        """Draw y from the predicted Gaussian of each row of X.

        {samples}

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

    sample.__doc__ = sample.__doc__.replace("{samples}", _SAMPLES_DOC)


HeteroscedasticRegressor.__doc__ = HeteroscedasticRegressor.__doc__.replace(
    "{common}", _COMMON_PARAMETERS_DOC
)


class MixtureDensityRegressor(_DistributionalRegressorBase):
    r"""Mixture density regression: a mixture of linear-Gaussian experts.

    Maximum likelihood for

    .. math::

        p(y \mid x) = \sum_{k=1}^K \pi_k(x)\,
            \mathcal{N}\big(y; \mu_k(x), \sigma_k^2(x)\big),

    with, for each component :math:`k`, three linear heads on the same
    features: the mixing logit :math:`a_k(x) = x w_{a,k} + b_{a,k}`, the
    mean :math:`\mu_k(x) = x w_{\mu,k} + b_{\mu,k}` and the log-variance
    :math:`v_k(x) = x w_{v,k} + b_{v,k}`;
    :math:`\pi(x) = \operatorname{softmax}(a(x))` and
    :math:`\sigma_k^2(x) = e^{v_k(x)}`. The mixing weights depend on
    :math:`x`, so the model can switch between modes, and several modes can
    coexist at one :math:`x`. The coefficients minimise

    .. math::

        -\frac{1}{\sum_i s_i} \sum_i s_i \operatorname{logsumexp}_k \Big(
            \log\pi_k(x_i) - \frac{1}{2}\log(2\pi) - \frac{v_k(x_i)}{2}
            - \frac{(y_i - \mu_k(x_i))^2 + \delta}{2 e^{v_k(x_i)}}\Big)
        + \frac{\alpha}{2} \Big(\frac{\|W_\mu\|_F^2}{\sigma_y^2}
            + \|W_a\|_F^2 + \|W_v\|_F^2\Big)

    (the loss :class:`~skloss.losses.GaussianMixtureNLL`, with
    :math:`\log\pi = \operatorname{log\_softmax}(a)`), with
    :math:`W_a, W_\mu, W_v` the coefficients of the logit, mean and
    log-variance heads, unpenalised intercepts, sample weights :math:`s_i`,
    :math:`\sigma_y^2` the weighted variance of the training targets and
    :math:`\delta = \text{reg\_variance} \cdot \sigma_y^2` a small
    variance regularisation. For :math:`\delta = 0` the first term is
    exactly :math:`-\sum_i s_i \log p(y_i \mid x_i) / \sum_i s_i`. The
    prediction is the conditional mean :math:`\sum_k \pi_k(x) \mu_k(x)`.

    Parameters
    ----------
    n_components : int, default=3
        Number of mixture components :math:`K`.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the coefficients of all heads, those
        of the mean heads measured in standard deviations of ``y``. Keep it
        positive when the modes are separable in ``x``, where the mixing
        logits would otherwise grow without bound (as in logistic
        regression).
    {common}
    n_init : int, default=1
        Number of starts of the fit; the one with the lowest objective is
        kept. The first start is deterministic (see Notes), the others are
        drawn with ``random_state``. Raise it for hard problems (many
        components, modes that cross); the fit time grows in proportion.
        With ``warm_start``, a refit runs once from the previous
        coefficients.
    random_state : int, RandomState instance or None, default=None
        Seed of the random starts. Pass an int for reproducible fits when
        ``n_init > 1``.

    Attributes
    ----------
    coef_ : ndarray of shape (3, n_components, n_features)
        ``coef_[0]`` are the mixing-logit heads :math:`w_a`, ``coef_[1]`` the
        mean heads :math:`w_\mu`, ``coef_[2]`` the log-variance heads
        :math:`w_v`; row ``k`` of each belongs to component ``k``.
    intercept_ : ndarray of shape (3, n_components)
        The intercepts, in the same layout; the mixing-logit intercepts sum
        to zero.
    loss_ : GaussianMixtureNLL
        The fitted loss; its ``reg_variance`` is :math:`\delta` in the units
        of ``y`` squared.
    n_iter_ : int
        Number of L-BFGS iterations of the kept start.
    objective_ : float
        Value of the objective at the fitted coefficients (the kept start).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    HeteroscedasticRegressor : One Gaussian with a predicted variance.
    sklearn.mixture.GaussianMixture : Mixtures of Gaussians without inputs.

    Notes
    -----
    The objective is not convex (relabelling the components leaves it
    unchanged, and coinciding components are a stationary point), so the
    fit is run from ``n_init`` starts and the best is kept.

    The deterministic first start has zero slopes in every head, equal
    mixing weights, means at the weighted quantiles :math:`(k - 1/2)/K` of
    ``y`` (spread by 1% of its standard deviation so that ties stay
    distinct) and a common variance :math:`\sigma_y^2/K^2`
    (:meth:`skloss.losses.GaussianMixtureNLL.init_raw`). Each random start
    puts the means at weighted quantiles of ``y`` at uniformly random
    levels, gives the mean heads random slopes of about half the standard
    deviation of ``y`` per standard deviation of the features, and random
    mixing-logit intercepts (centred: softmax ignores a common shift, and
    the fit keeps them summing to zero); all its draws depend on the data only through
    weighted statistics, so integer sample weights and repeated samples
    give the same fit. Without an intercept (``fit_intercept=False``) the
    starts differ in the slopes of the mean heads only.

    A component collapsing onto data it fits exactly would make the
    likelihood unbounded; ``reg_variance`` keeps it bounded.

    As in :class:`HeteroscedasticRegressor`, the core fits
    :math:`y / \sigma_y` and the mean heads' penalty is measured in units of
    :math:`\sigma_y`, so the fit does not depend on the units of ``y``, and
    without intercepts the log-variance intercepts are fixed at
    :math:`\log\sigma_y^2`.

    The fit can need more than the default ``max_iter`` when components
    are much narrower than the spread of ``y`` or switch off over parts of
    the input space: there the objective is flat in some directions (a
    component with no weight) and steep in others. A larger ``alpha`` or
    ``max_iter`` helps.

    Examples
    --------
    Two branches, :math:`y = \pm x` plus noise: the conditional mean is 0
    everywhere, but the mixture finds both branches.

    >>> import numpy as np
    >>> from skloss import MixtureDensityRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 2, size=(2000, 1))
    >>> y = rng.choice([-1.0, 1.0], size=2000) * X[:, 0] + 0.1 * rng.normal(size=2000)
    >>> model = MixtureDensityRegressor(n_components=2, random_state=0).fit(X, y)
    >>> weights, means, stds = model.predict_mixture(np.array([[1.5]]))
    >>> np.sort(means.round(1)), weights.round(1), stds.round(2)
    (array([[-1.5,  1.5]]), array([[0.5, 0.5]]), array([[0.1, 0.1]]))
    >>> model.sample(np.array([[1.5]]), n_samples=4, random_state=0).shape
    (1, 4)
    """

    _named_losses = {"gaussian_mixture_nll": GaussianMixtureNLL}

    def __init__(
        self,
        n_components=3,
        *,
        alpha=1e-4,
        reg_variance=1e-6,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-5,
        warm_start=False,
        n_init=1,
        random_state=None,
    ):
        self.n_components = n_components
        self.reg_variance = reg_variance
        self.n_init = n_init
        self.random_state = random_state
        super().__init__(
            alpha=alpha,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
        )

    def _validate_params(self):
        super()._validate_params()
        check_scalar(self.n_components, "n_components", numbers.Integral, min_val=1)
        check_scalar(self.n_init, "n_init", numbers.Integral, min_val=1)

    def _loss_param(self):
        return GaussianMixtureNLL(n_components=int(self.n_components))

    def _mean_and_log_variance_columns(self):
        k = int(self.n_components)
        return slice(k, 2 * k), slice(2 * k, 3 * k)

    def _store_params(self, coef, intercept):
        k = int(self.n_components)
        self.coef_ = coef.T.reshape(3, k, -1)
        self.intercept_ = intercept.reshape(3, k)

    def _fitted_params(self):
        coef = np.asarray(self.coef_, dtype=float)
        return coef.reshape(-1, coef.shape[-1]).T, np.asarray(self.intercept_, dtype=float).ravel()

    # -- fitting: several starts ------------------------------------------

    def _fit_standardised(self, X, target, loss, sample_weight, coef_init, intercept_init):
        fit_once = super()._fit_standardised
        if coef_init is not None:
            # Warm start: one run from the previous fit.
            return fit_once(X, target, loss, sample_weight, coef_init, intercept_init)
        rng = check_random_state(self.random_state)
        starts = int(self.n_init)
        best, best_warnings = None, []
        for start in range(starts):
            if start == 0:
                coef, intercept = self._deterministic_start(X, target, loss, sample_weight)
            else:
                coef, intercept = self._random_start(X, target, loss, sample_weight, rng)
            if starts == 1:
                return fit_once(X, target, loss, sample_weight, coef, intercept)
            # Only the kept start's convergence matters; others warn for nothing.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                result = fit_once(X, target, loss, sample_weight, coef, intercept)
            for caught_warning in caught:
                if not issubclass(caught_warning.category, ConvergenceWarning):
                    warnings.warn_explicit(
                        caught_warning.message,
                        caught_warning.category,
                        caught_warning.filename,
                        caught_warning.lineno,
                    )
            if best is None or result.objective < best.objective:
                best = result
                best_warnings = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        for caught_warning in best_warnings:
            warnings.warn(caught_warning.message, ConvergenceWarning, stacklevel=4)
        return best

    def _slope_scale(self, X, target, sample_weight):
        """Per-feature slope giving one standard deviation of y per feature std."""
        _, x_std = column_moments(X, sample_weight)
        y_std = np.sqrt(_target_variance(target[:, :1], sample_weight))
        scale = np.zeros_like(x_std)
        varying = x_std > 0
        scale[varying] = y_std / (x_std[varying] * np.sqrt(np.count_nonzero(varying)))
        return scale

    def _deterministic_start(self, X, target, loss, sample_weight):
        k = int(self.n_components)
        coef = np.zeros((X.shape[1], 3 * k))
        intercept = loss.init_raw(target, sample_weight)
        if not self.fit_intercept:
            # No intercepts to tell the components apart: distinct mean slopes.
            spread = (np.arange(k) - (k - 1) / 2) / k
            coef[:, k : 2 * k] = np.outer(self._slope_scale(X, target, sample_weight), spread)
            intercept = np.zeros(3 * k)
        return coef, intercept

    def _random_start(self, X, target, loss, sample_weight, rng):
        k = int(self.n_components)
        x_mean, _ = column_moments(X, sample_weight)
        slopes = (
            0.5
            * self._slope_scale(X, target, sample_weight)[:, np.newaxis]
            * (rng.standard_normal((X.shape[1], k)))
        )
        levels = rng.uniform(size=k)
        centres = np.array(
            [weighted_quantile(target[:, :1], sample_weight, level)[0] for level in levels]
        )
        coef = np.zeros((X.shape[1], 3 * k))
        coef[:, k : 2 * k] = slopes
        intercept = loss.init_raw(target, sample_weight)
        # Softmax ignores a common shift of the logits; centred logits keep
        # the intercepts summing to zero, as every gradient step does too.
        logits = 0.5 * rng.standard_normal(k)
        intercept[:k] = logits - logits.mean()
        # Each component passes through its centre at the weighted mean of X.
        intercept[k : 2 * k] = centres - x_mean @ slopes
        if not self.fit_intercept:
            intercept = np.zeros(3 * k)
        return coef, intercept

    # -- prediction -------------------------------------------------------

    def _mixture(self, X):
        raw = self._raw_output(X)  # checks that the model is fitted first
        log_weights, means, log_variances = self.loss_.mixture_parameters(raw)
        return np.exp(log_weights), means, log_variances

    def predict(self, X, return_std=False):
        """Predicted mean, and optionally standard deviation, of y given X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False
            Whether to return the mixture's standard deviation too.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            The conditional mean :math:`\\sum_k \\pi_k(x) \\mu_k(x)`.
        y_std : ndarray of shape (n_samples,)
            The conditional standard deviation of the mixture,
            :math:`\\sqrt{\\sum_k \\pi_k (\\sigma_k^2 + (\\mu_k - \\bar y)^2)}`;
            only with ``return_std=True``. For a multimodal distribution it
            includes the spread between the modes.

        Examples
        --------
        Two branches :math:`y = \\pm 2` with small noise: the mean is 0 and
        the standard deviation is the distance to the branches, 2.

        >>> import numpy as np
        >>> from skloss import MixtureDensityRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(1000, 1))
        >>> y = rng.choice([-2.0, 2.0], size=1000) + 0.1 * rng.normal(size=1000)
        >>> model = MixtureDensityRegressor(n_components=2).fit(X, y)
        >>> mean, std = model.predict([[0.0]], return_std=True)
        >>> bool(abs(mean[0]) < 0.2), std.round(1)
        (True, array([2.]))
        """
        weights, means, log_variances = self._mixture(X)
        mean = np.sum(weights * means, axis=1)
        if not return_std:
            return mean
        spread = np.exp(log_variances) + (means - mean[:, np.newaxis]) ** 2
        return mean, np.sqrt(np.sum(weights * spread, axis=1))

    def predict_mixture(self, X):
        """The mixture parameters predicted for each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        weights : ndarray of shape (n_samples, n_components)
            Mixing weights :math:`\\pi_k(x)`; each row sums to 1.
        means : ndarray of shape (n_samples, n_components)
            Component means :math:`\\mu_k(x)`.
        stds : ndarray of shape (n_samples, n_components)
            Component standard deviations :math:`\\sigma_k(x)`.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import MixtureDensityRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(1000, 1))
        >>> y = rng.choice([-2.0, 2.0], size=1000) + 0.1 * rng.normal(size=1000)
        >>> model = MixtureDensityRegressor(n_components=2).fit(X, y)
        >>> weights, means, stds = model.predict_mixture([[0.0]])
        >>> weights.round(1), np.sort(means).round(1), stds.round(1)
        (array([[0.5, 0.5]]), array([[-2.,  2.]]), array([[0.1, 0.1]]))
        """
        weights, means, log_variances = self._mixture(X)
        return weights, means, np.exp(0.5 * log_variances)

    def sample(self, X, n_samples=1, random_state=None):
        """Draw y from the predicted mixture of each row of X.

        Each draw picks a component with the mixing weights, then draws from
        that component's Gaussian.

        {samples}

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import MixtureDensityRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(1000, 1))
        >>> y = rng.choice([-2.0, 2.0], size=1000) + 0.1 * rng.normal(size=1000)
        >>> model = MixtureDensityRegressor(n_components=2).fit(X, y)
        >>> draws = model.sample([[0.0]], n_samples=1000, random_state=0)
        >>> bool(np.all(np.abs(np.abs(draws) - 2) < 0.5))
        True
        """
        n_samples = self._check_n_samples(n_samples)
        weights, means, stds = self.predict_mixture(X)
        rng = check_random_state(random_state)
        uniform = rng.uniform(size=(len(weights), n_samples, 1))
        cumulative = np.cumsum(weights, axis=1)[:, np.newaxis, :]
        component = np.minimum(np.sum(uniform >= cumulative, axis=2), weights.shape[1] - 1)
        rows = np.arange(len(weights))[:, np.newaxis]
        noise = rng.standard_normal((len(weights), n_samples))
        return means[rows, component] + stds[rows, component] * noise

    sample.__doc__ = sample.__doc__.replace("{samples}", _SAMPLES_DOC)


MixtureDensityRegressor.__doc__ = MixtureDensityRegressor.__doc__.replace(
    "{common}", _COMMON_PARAMETERS_DOC
)
