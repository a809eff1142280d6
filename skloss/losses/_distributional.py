r"""Distributional losses: the raw output holds a whole conditional distribution.

Both losses are negative log-likelihoods, constants included: with
``reg_variance=0`` (the default), ``-loss(y, raw)`` is exactly the
log-density of ``y`` under the predicted distribution. Their raw output has
several heads per target, so the target they are fitted against has the raw
output's shape: ``encode_target`` repeats ``y`` in every column, and the
losses read ``y`` from the first columns. They also accept the plain ``y``
of shape (n_samples, n_targets).

Numerics
--------
A variance is parameterised by its logarithm :math:`v`,
:math:`\sigma^2 = e^{v}`, and the only exponential taken is the precision
:math:`e^{-v}`. It is exact for :math:`v \ge -300` (variances above about
5e-131) and continued linearly, :math:`e^{300}(1 - 300 - v)`, below, so the
loss and its gradient stay finite and continuously differentiable for any
finite raw output of moderate size (the tests use :math:`|z|` up to 1e3,
where the largest term is about 1e139) instead of overflowing at
:math:`v < -709`. Mixing weights enter only as log-softmax of the logits and
the mixture density only through logsumexp; the mixing weights and the
responsibilities are shifted exponentials divided by their sum, so they sum
to 1 even when the log-densities are huge.

Variance regularisation
-----------------------
The likelihood of a Gaussian whose mean fits a sample exactly grows without
bound as its variance shrinks to 0. ``reg_variance`` (:math:`\delta \ge 0`)
adds :math:`\delta` to every squared residual, which adds
:math:`\delta / (2\sigma^2)` to the loss: the best variance for a residual
:math:`r` becomes :math:`r^2 + \delta` instead of :math:`r^2`, so every
minimiser has finite log-variances of at least :math:`\log\delta`. It is the
``reg_covar`` of scikit-learn's ``GaussianMixture``, which adds the same
:math:`\delta` to each variance it estimates.
"""

import numbers

import numpy as np

from .._statistics import weighted_mean, weighted_quantile
from ._base import Loss
from ._output_units import GaussianMean, MixtureMean

__all__ = ["GaussianNLL", "GaussianMixtureNLL"]

_LOG_2PI = float(np.log(2.0 * np.pi))

# exp(-v) is exact for v >= -_PRECISION_CAP and continued linearly below: at
# v = -1e3 and a residual of 1e3 the term r^2 exp(-v) is then ~1e139, finite.
_PRECISION_CAP = 300.0


def _check_reg_variance(owner, reg_variance):
    if not (
        isinstance(reg_variance, numbers.Real)
        and not isinstance(reg_variance, bool)
        and np.isfinite(reg_variance)
        and reg_variance >= 0
    ):
        raise ValueError(
            f"{owner} reg_variance must be a finite number >= 0, got {reg_variance!r}."
        )


def _precision(log_variance):
    """``exp(-v)``, continued linearly below ``v = -_PRECISION_CAP``, and its v-slope."""
    exponent = np.minimum(-log_variance, _PRECISION_CAP)
    slope = np.exp(exponent)
    return slope * (1.0 - log_variance - exponent), -slope


def _neg_log_normal(squared, log_variance, reg_variance):
    """Per-entry ``-log N`` (plus ``reg / (2 sigma^2)``) and its slopes.

    Returns the value, the precision (the slope in the mean is
    ``-residual * precision``) and the slope in the log-variance.
    """
    precision, dprecision = _precision(log_variance)
    regularised = squared + reg_variance
    value = 0.5 * (_LOG_2PI + log_variance + regularised * precision)
    return value, precision, 0.5 * (1.0 + regularised * dprecision)


def _normalise(a):
    """Row-wise logsumexp of finite ``a`` (a column) and the softmax of ``a``.

    The softmax is divided by its sum rather than taken as
    ``exp(a - logsumexp(a))``: when ``|a|`` is huge, adding ``log(sum)`` to
    the row maximum rounds away, and tied maxima would then both get
    probability 1. Plain numpy, as scipy's logsumexp costs more than the
    whole loss for small arrays.
    """
    shift = np.max(a, axis=1, keepdims=True)
    exponentials = np.exp(a - shift)
    total = np.sum(exponentials, axis=1, keepdims=True)
    return shift + np.log(total), exponentials / total


def _observed(y, raw, n_targets, name):
    """The observed targets, from either the plain ``y`` or its encoding."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or y.shape[0] != raw.shape[0]:
        raise ValueError(
            f"{name} needs y and raw as 2-d arrays with one row per sample; got shapes "
            f"{y.shape} and {raw.shape}."
        )
    if y.shape[1] == raw.shape[1] or y.shape[1] == n_targets:
        return y[:, :n_targets]
    raise ValueError(
        f"{name}: y has {y.shape[1]} columns, but a raw output of {raw.shape[1]} columns "
        f"needs y with {n_targets} (the targets) or {raw.shape[1]} (encode_target(y))."
    )


def _weighted_variance(y, sample_weight):
    mean = weighted_mean(y, sample_weight)
    return weighted_mean((y - mean) ** 2, sample_weight)


def _log_at_least_tiny(value):
    """log(value), bounded below by -300 (the edge of the exact precision)."""
    return np.log(np.maximum(value, np.exp(-_PRECISION_CAP)))


class _LossFromTerms(Loss):
    """A loss whose value and gradient come together from ``_terms(y, raw)``."""

    def loss(self, y, raw):
        return self._terms(y, raw)[0]

    def gradient(self, y, raw):
        return self._terms(y, raw)[1]

    def _weighted_loss_gradient(self, y, raw, weight):
        per_sample, gradient = self._terms(y, raw)
        gradient *= weight[:, np.newaxis]
        return float(weight @ per_sample), gradient


class GaussianNLL(_LossFromTerms):
    r"""Negative log-likelihood of a Gaussian with a predicted mean and variance.

    The raw output has two heads per target: the means :math:`\mu`, then the
    log-variances :math:`v` (shape (n_samples, 2 * n_targets); columns
    ``[mu_1 .. mu_m, v_1 .. v_m]``). The targets are independent Gaussians
    :math:`y_j \sim \mathcal{N}(\mu_j, \sigma_j^2)`,
    :math:`\sigma_j^2 = e^{v_j}`, and the per-sample loss is

    .. math::

        l(y, z) = \sum_j \frac{1}{2}\log(2\pi) + \frac{v_j}{2}
            + \frac{(y_j - \mu_j)^2 + \delta}{2 e^{v_j}},

    the exact negative log-density for :math:`\delta = 0` (the default).
    With a fixed unit variance it would be :class:`SquaredError` plus a
    constant; learning :math:`v` lets a model learn the spread of
    :math:`y \mid x` too. The prediction of the output unit
    (:class:`GaussianMean`) is the mean.

    Parameters
    ----------
    reg_variance : float, default=0.0
        :math:`\delta \ge 0`, in the units of ``y`` squared, added to every
        squared residual: the best variance for a residual :math:`r` is then
        :math:`r^2 + \delta`, never 0 (like ``reg_covar`` of scikit-learn's
        ``GaussianMixture``). Without it the likelihood has no maximum when
        the mean fits some samples exactly.

    See Also
    --------
    GaussianMixtureNLL : A mixture of such Gaussians.
    SquaredError : The Gaussian with unit variance.

    Notes
    -----
    Why a log-variance head and not a softplus-parameterised precision: a
    linear log-variance makes the variance multiplicative in the features,
    :math:`\sigma^2 = e^{b} \prod_j e^{w_j x_j}` (the classic model of
    heteroscedasticity); it needs no constraint, and rescaling ``y`` by
    :math:`c` only shifts its intercept by :math:`2\log c`, whereas
    :math:`\operatorname{softplus}(u)/c^2` is not a softplus of a shifted
    :math:`u`. Its one danger is the precision :math:`e^{-v}` overflowing
    for very negative :math:`v`; it is continued linearly below
    :math:`v = -300` (see the module notes), which keeps the loss and
    gradient finite for any moderate raw output. The loss is convex in
    :math:`\mu` and in :math:`v` separately, not jointly.

    The target passed with a raw output of shape (n, 2m) is either the plain
    ``y`` of shape (n, m) or :meth:`encode_target` of it, shape (n, 2m),
    which the fitting core needs (it gives the target the raw output's
    shape).

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import GaussianNLL, check_gradient
    >>> y = np.array([[1.0], [1.0]])
    >>> raw = np.array([[1.0, 0.0], [3.0, np.log(4.0)]])  # N(1, 1) and N(3, 4)
    >>> GaussianNLL().loss(y, raw).round(6)
    array([0.918939, 2.112086])
    >>> GaussianNLL().loss(y, np.array([[0.0, -1e3], [1e3, 1e3]])) < np.inf
    array([ True,  True])
    >>> check_gradient(GaussianNLL(), GaussianNLL().encode_target(y), raw) < 1e-6
    True
    """

    output_unit = GaussianMean()

    def __init__(self, reg_variance=0.0):
        self.reg_variance = reg_variance

    def validate(self):
        _check_reg_variance("GaussianNLL", self.reg_variance)
        return self

    def _residual_and_log_variance(self, y, raw):
        raw = np.asarray(raw, dtype=float)
        if raw.ndim != 2 or raw.shape[1] % 2:
            raise ValueError(
                "GaussianNLL needs a raw output with an even number of columns "
                f"(means, then log-variances); got shape {raw.shape}."
            )
        n_targets = raw.shape[1] // 2
        y = _observed(y, raw, n_targets, "GaussianNLL")
        return y - raw[:, :n_targets], raw[:, n_targets:]

    def _terms(self, y, raw):
        residual, log_variance = self._residual_and_log_variance(y, raw)
        self._ensure_valid()
        reg_variance = float(self.reg_variance)
        value, precision, dlog_variance = _neg_log_normal(
            residual * residual, log_variance, reg_variance
        )
        return value.sum(axis=1), np.hstack([-residual * precision, dlog_variance])

    def hessian(self, y, raw):
        residual, log_variance = self._residual_and_log_variance(y, raw)
        self._ensure_valid()
        reg_variance = float(self.reg_variance)
        precision, dprecision = _precision(log_variance)
        # exp(-v) is its own second derivative; its linear continuation has none.
        d2precision = np.where(-log_variance <= _PRECISION_CAP, precision, 0.0)
        n_samples, n_targets = residual.shape
        means, log_variances = np.arange(n_targets), n_targets + np.arange(n_targets)
        hessian = np.zeros((n_samples, 2 * n_targets, 2 * n_targets))
        hessian[:, means, means] = precision
        hessian[:, means, log_variances] = -residual * dprecision
        hessian[:, log_variances, means] = -residual * dprecision
        hessian[:, log_variances, log_variances] = (
            0.5 * (residual * residual + reg_variance) * d2precision
        )
        return hessian

    def init_raw(self, y, sample_weight):
        r"""The best constant: the weighted mean and log-variance of ``y``.

        Parameters
        ----------
        y : ndarray of shape (n_samples, 2 * n_targets)
            Targets in the raw output's layout, as :meth:`encode_target`
            gives them (the fitting core passes them so).
        sample_weight : ndarray of shape (n_samples,)

        Returns
        -------
        raw : ndarray of shape (2 * n_targets,)
            The weighted means, then
            :math:`\log(\operatorname{Var}(y) + \delta)`, the exact minimiser
            of the weighted mean loss over constants (bounded below by -300
            when the variance and :math:`\delta` are both 0).

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import GaussianNLL
        >>> loss = GaussianNLL()
        >>> loss.init_raw(loss.encode_target(np.array([1.0, 3.0])), np.ones(2))  # mean 2, log 1
        array([2., 0.])
        """
        y = np.asarray(y, dtype=float)
        if y.ndim != 2 or y.shape[1] % 2:
            raise ValueError(
                "GaussianNLL.init_raw needs the target in the raw output's layout, "
                f"encode_target(y), with an even number of columns; got shape {y.shape}."
            )
        y = y[:, : y.shape[1] // 2]
        self._ensure_valid()
        reg_variance = float(self.reg_variance)
        log_variance = _log_at_least_tiny(_weighted_variance(y, sample_weight) + reg_variance)
        return np.concatenate([weighted_mean(y, sample_weight), log_variance])

    def encode_target(self, y):
        """The target in the raw output's layout, for fitting: ``y`` in both heads.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        target : ndarray of shape (n_samples, 2 * n_targets)
            ``[y, y]``: columns ``j`` and ``n_targets + j`` hold ``y_j``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import GaussianNLL
        >>> GaussianNLL().encode_target(np.array([1.0, 2.0]))
        array([[1., 1.],
               [2., 2.]])
        """
        y = np.asarray(y, dtype=float)
        y = y.reshape(y.shape[0], -1)
        return np.hstack([y, y])


class GaussianMixtureNLL(_LossFromTerms):
    r"""Negative log-likelihood of a mixture of Gaussians, for one target.

    The raw output has three heads per component :math:`k = 1 \dots K`:
    mixing logits :math:`a_k`, means :math:`\mu_k` and log-variances
    :math:`v_k` (shape (n_samples, 3K); columns
    ``[a_1 .. a_K, mu_1 .. mu_K, v_1 .. v_K]``). The target has the density

    .. math::

        p(y) = \sum_k \pi_k\, \mathcal{N}(y; \mu_k, \sigma_k^2), \qquad
        \pi = \operatorname{softmax}(a), \qquad \sigma_k^2 = e^{v_k},

    and the per-sample loss is

    .. math::

        l(y, z) = -\operatorname{logsumexp}_k \Big(\log\pi_k
            - \frac{1}{2}\log(2\pi) - \frac{v_k}{2}
            - \frac{(y - \mu_k)^2 + \delta}{2 e^{v_k}}\Big),

    with :math:`\log\pi = \operatorname{log\_softmax}(a)`: the exact
    :math:`-\log p(y)` for :math:`\delta = 0` (the default). Its gradient is
    :math:`\pi_k - \rho_k` for :math:`a_k`,
    :math:`-\rho_k (y - \mu_k) e^{-v_k}` for :math:`\mu_k` and
    :math:`\frac{\rho_k}{2}\big(1 - ((y - \mu_k)^2 + \delta) e^{-v_k}\big)`
    for :math:`v_k`, with :math:`\rho_k` the responsibilities (the
    posterior probabilities of the components given :math:`y`). The
    prediction of the output unit (:class:`MixtureMean`) is the mixture's
    mean.

    Parameters
    ----------
    n_components : int, default=3
        Number of components :math:`K`.
    reg_variance : float, default=0.0
        :math:`\delta \ge 0`, in the units of ``y`` squared, added to every
        squared residual, as in :class:`GaussianNLL`. Without it the
        likelihood has no maximum: it grows without bound when one component
        collapses onto a sample its mean fits exactly.

    See Also
    --------
    GaussianNLL : A single Gaussian with a predicted mean and variance.

    Notes
    -----
    The loss is not convex: it is invariant to relabelling the components,
    and has a stationary point wherever several components coincide. The
    variances are computed as in :class:`GaussianNLL`, so the loss and
    gradient are finite for any moderate raw output.

    :meth:`init_raw` is a deterministic start: equal mixing weights, the
    means at the weighted quantiles :math:`(k - 1/2)/K` of ``y`` (spread by
    1% of its standard deviation, so that tied quantiles stay distinct) and
    the common variance :math:`\operatorname{Var}(y) / K^2 + \delta`.

    The target passed with a raw output of shape (n, 3K) is either the plain
    ``y`` of shape (n, 1) or :meth:`encode_target` of it, shape (n, 3K).

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import GaussianMixtureNLL, GaussianNLL

    Two values, -1 and 1: the best single Gaussian, N(0, 1), against an equal
    mixture of two narrow components at -1 and 1 (log-variances -4):

    >>> y = np.array([[-1.0], [1.0]])
    >>> GaussianNLL().loss(y, np.array([[0.0, 0.0], [0.0, 0.0]])).round(6)
    array([1.418939, 1.418939])
    >>> mixture = np.array([[0.0, 0.0, -1.0, 1.0, -4.0, -4.0]] * 2)
    >>> GaussianMixtureNLL(n_components=2).loss(y, mixture).round(6)
    array([-0.387914, -0.387914])
    """

    output_unit = MixtureMean()

    def __init__(self, n_components=3, reg_variance=0.0):
        self.n_components = n_components
        self.reg_variance = reg_variance

    def validate(self):
        k = self.n_components
        if not (isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 1):
            raise ValueError(f"GaussianMixtureNLL n_components must be an integer >= 1, got {k!r}.")
        _check_reg_variance("GaussianMixtureNLL", self.reg_variance)
        return self

    def _k(self):
        self._ensure_valid()
        return int(self.n_components)

    def _split(self, raw):
        k = self._k()
        raw = np.asarray(raw, dtype=float)
        if raw.ndim != 2 or raw.shape[1] != 3 * k:
            raise ValueError(
                f"GaussianMixtureNLL(n_components={k}) needs a raw output of 3 * {k} = "
                f"{3 * k} columns (logits, means, log-variances); got shape {raw.shape}."
            )
        return raw[:, :k], raw[:, k : 2 * k], raw[:, 2 * k :]

    def _terms(self, y, raw):
        logits, means, log_variances = self._split(raw)
        y = _observed(y, raw, 1, "GaussianMixtureNLL")
        self._ensure_valid()
        reg_variance = float(self.reg_variance)
        log_normaliser, weights = _normalise(logits)
        log_weights = logits - log_normaliser
        residual = y - means
        component, precision, dlog_variance = _neg_log_normal(
            residual * residual, log_variances, reg_variance
        )
        joint = log_weights - component
        log_density, responsibility = _normalise(joint)
        gradient = np.concatenate(
            [
                weights - responsibility,
                -responsibility * residual * precision,
                responsibility * dlog_variance,
            ],
            axis=1,
        )
        return -log_density[:, 0], gradient

    def init_raw(self, y, sample_weight):
        r"""The deterministic start: equal weights, means at quantiles, a common variance.

        Parameters
        ----------
        y : ndarray of shape (n_samples, 3 * n_components) or (n_samples, 1)
            Targets, as :meth:`encode_target` gives them or plain.
        sample_weight : ndarray of shape (n_samples,)

        Returns
        -------
        raw : ndarray of shape (3 * n_components,)
            Logits 0; means :math:`q_k + 0.01\,s\,(k - (K + 1)/2)` with
            :math:`q_k` the weighted :math:`(k - 1/2)/K` quantile and
            :math:`s` the weighted standard deviation of ``y``; log-variances
            :math:`\log(s^2/K^2 + \delta)` (bounded below by -300). For
            :math:`K = 1` this is the best constant, as in
            :meth:`GaussianNLL.init_raw`.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import GaussianMixtureNLL
        >>> y = np.array([[-1.0], [-1.0], [1.0], [1.0]])
        >>> GaussianMixtureNLL(n_components=2).init_raw(y, np.ones(4)).round(3)
        array([ 0.   ,  0.   , -1.005,  1.005, -1.386, -1.386])
        """
        k = self._k()
        y = np.asarray(y, dtype=float)
        if y.ndim != 2 or y.shape[1] not in (1, 3 * k):
            raise ValueError(
                f"GaussianMixtureNLL.init_raw needs y of shape (n_samples, 1) or "
                f"(n_samples, {3 * k}); got {y.shape}."
            )
        y = y[:, :1]
        self._ensure_valid()
        reg_variance = float(self.reg_variance)
        variance = float(_weighted_variance(y, sample_weight)[0])
        if k == 1:
            means = weighted_mean(y, sample_weight)
        else:
            quantiles = [weighted_quantile(y, sample_weight, (j + 0.5) / k)[0] for j in range(k)]
            spread = 0.01 * np.sqrt(variance) * (np.arange(k) - (k - 1) / 2)
            means = np.asarray(quantiles) + spread
        log_variance = _log_at_least_tiny(variance / k**2 + reg_variance)
        return np.concatenate([np.zeros(k), means, np.full(k, log_variance)])

    def encode_target(self, y):
        """The target in the raw output's layout, for fitting: ``y`` in every column.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, 1)

        Returns
        -------
        target : ndarray of shape (n_samples, 3 * n_components)

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import GaussianMixtureNLL
        >>> GaussianMixtureNLL(n_components=2).encode_target(np.array([1.0, 2.0]))
        array([[1., 1., 1., 1., 1., 1.],
               [2., 2., 2., 2., 2., 2.]])
        """
        y = np.asarray(y, dtype=float)
        if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
            raise ValueError(
                "GaussianMixtureNLL models one target: y must be 1-d or a single column, "
                f"got shape {y.shape}."
            )
        return np.repeat(y.reshape(-1, 1), 3 * self._k(), axis=1)

    def mixture_parameters(self, raw):
        """Per-sample mixture parameters from the raw output.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, 3 * n_components)

        Returns
        -------
        log_weights : ndarray of shape (n_samples, n_components)
            Log mixing weights (log-softmax of the logits).
        means : ndarray of shape (n_samples, n_components)
        log_variances : ndarray of shape (n_samples, n_components)

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import GaussianMixtureNLL
        >>> raw = np.array([[0.0, np.log(3.0), -1.0, 1.0, 0.0, 2.0]])
        >>> log_weights, means, log_variances = GaussianMixtureNLL(2).mixture_parameters(raw)
        >>> np.exp(log_weights), means, log_variances
        (array([[0.25, 0.75]]), array([[-1.,  1.]]), array([[0., 2.]]))
        """
        logits, means, log_variances = self._split(raw)
        return logits - _normalise(logits)[0], means.copy(), log_variances.copy()
