"""MixtureDensityRegressor: a mixture of Gaussians with linear heads."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._base import PositiveCount
from ._core import column_moments
from ._dask_input import blockwise_on_dask
from ._distributional_base import (
    _DistributionalRegressorBase,
    _target_std,
)
from ._docstrings import with_fragments
from ._statistics import weighted_quantile
from .losses import GaussianMixtureNLL


@with_fragments
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
    n_components : int, default=2
        Number of mixture components :math:`K`. Raise it when the data show
        more modes: a component the data do not need switches off slowly
        (its mixing weight drifts towards 0 along a nearly flat direction
        of the objective), so a fit with more components than modes needs
        many more iterations (on two branches, 3 components take about
        1,500 L-BFGS iterations where 2 take about 70).
    alpha : float, default=1e-4
        Strength of the L2 penalty on the coefficients of all heads, those
        of the mean heads measured in standard deviations of ``y``. Keep it
        positive when the modes are separable in ``x``, where the mixing
        logits would otherwise grow without bound (as in logistic
        regression).
    {% distributional_parameters %}
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
    weighted statistics. Without an intercept (``fit_intercept=False``) the
    starts differ in the slopes of the mean heads only.

    What sample weights mean: an integer weight gives the objective the
    same term as repeating the sample, and every start is the same for
    weighted and repeated data, so both fits begin at the same point of the
    same objective. The optimiser's arithmetic is not the same (its sums run
    over different rows), and on a non-convex objective a difference at the
    level of rounding can end in a different local maximum, or, where the
    maximiser is not unique, at a different point of the same maximum. The
    two fits agree when the maximum reached is well separated from others;
    they are not guaranteed to be equal.

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
    _parameter_constraints = {
        **_DistributionalRegressorBase._parameter_constraints,
        "n_components": [PositiveCount()],
        "n_init": [PositiveCount()],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=2,
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
        self._store_init_arguments(locals())

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
        y_std = _target_std(target[:, :1], sample_weight)
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

    @blockwise_on_dask
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

    @blockwise_on_dask
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

    @with_fragments
    def sample(self, X, n_samples=1, random_state=None):
        """Draw y from the predicted mixture of each row of X.

        Each draw picks a component with the mixing weights, then draws from
        that component's Gaussian.

        {% sampling_parameters %}

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
