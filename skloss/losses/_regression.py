"""Regression losses on the identity output unit."""

import numbers

import numpy as np

from .._statistics import normalised_weights, weighted_mean, weighted_quantile
from ._base import Loss, diagonal_hessian

__all__ = ["SquaredError", "AbsoluteError", "Huber", "Pinball"]


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class SquaredError(Loss):
    r"""Half squared error, the negative log-likelihood of a unit-variance Gaussian.

    :math:`l(y, z) = \frac{1}{2}(y - z)^2` (up to a constant), summed over
    outputs. Its minimiser is the conditional mean.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import SquaredError
    >>> SquaredError().loss(np.array([[1.0]]), np.array([[3.0]]))
    array([2.])
    """

    is_half_squared_error = True
    has_dispersion = True

    def loss(self, y, raw):
        return 0.5 * np.sum((raw - y) ** 2, axis=1)

    def gradient(self, y, raw):
        return raw - y

    def hessian(self, y, raw):
        return diagonal_hessian(np.ones(np.shape(raw)))

    def loss_gradient(self, y, raw, sample_weight):
        weight = normalised_weights(sample_weight)
        residual = raw - y
        value = 0.5 * float(weight @ np.einsum("ij,ij->i", residual, residual))
        residual *= weight[:, np.newaxis]
        return value, residual

    def init_raw(self, y, sample_weight):
        return weighted_mean(y, sample_weight)

    def for_target_scale(self, scale):
        return self, scale * scale


class Huber(Loss):
    r"""Huber loss: quadratic for small residuals, linear for large ones.

    .. math::

        l(y, z) = \begin{cases}
            \frac{1}{2} r^2 & |r| \le \delta \\
            \delta (|r| - \frac{\delta}{2}) & |r| > \delta
        \end{cases}, \qquad r = y - z,

    summed over outputs. It is the negative log-likelihood of a density that
    is Gaussian in the centre with Laplace tails, so it learns a location
    between the mean and the median that is robust to outliers. ``delta`` is
    in the units of ``y``.

    Parameters
    ----------
    delta : float, default=1.0
        Residual size at which the loss turns from quadratic to linear.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import Huber
    >>> Huber(delta=1.0).loss(np.zeros((2, 1)), np.array([[0.5], [3.0]]))
    array([0.125, 2.5  ])
    """

    def __init__(self, delta=1.0):
        self.delta = delta

    def validate(self):
        if not (_is_real(self.delta) and np.isfinite(self.delta) and self.delta > 0):
            raise ValueError(f"Huber delta must be a positive number, got {self.delta!r}.")
        return self

    def loss(self, y, raw):
        self._ensure_valid()
        absolute = np.abs(raw - y)
        quadratic = np.minimum(absolute, self.delta)
        # 0.5 q^2 + delta * (|r| - q) equals the two branches above.
        return np.sum(quadratic * (0.5 * quadratic - self.delta) + self.delta * absolute, axis=1)

    def gradient(self, y, raw):
        self._ensure_valid()
        return np.clip(raw - y, -self.delta, self.delta)

    def hessian(self, y, raw):
        # 1 in the quadratic zone, 0 where the loss is linear.
        self._ensure_valid()
        return diagonal_hessian((np.abs(raw - y) <= self.delta).astype(float))

    def init_raw(self, y, sample_weight):
        self._ensure_valid()
        return weighted_quantile(y, sample_weight, 0.5)

    def for_target_scale(self, scale):
        self._ensure_valid()
        # A power of two changes a positive finite delta exactly.
        return self._with_params(delta=self.delta / scale), scale * scale


class Pinball(Loss):
    r"""Pinball (quantile) loss: its minimiser is the conditional quantile.

    .. math::

        l(y, z) = \max(\tau r, (\tau - 1) r), \qquad r = y - z,

    summed over outputs, with :math:`\tau` the ``quantile``. It is not
    differentiable at :math:`r = 0`; see :class:`AbsoluteError` for how it
    is fitted.

    Parameters
    ----------
    quantile : float, default=0.5
        The quantile to estimate, strictly between 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import Pinball
    >>> Pinball(quantile=0.9).loss(np.zeros((2, 1)), np.array([[-1.0], [1.0]]))
    array([0.9, 0.1])
    """

    is_smooth = False
    kink_at_target = True
    _scale = 1.0

    def __init__(self, quantile=0.5):
        self.quantile = quantile

    def validate(self):
        tau = self.quantile
        if not (_is_real(tau) and 0 < tau < 1):
            raise ValueError(
                f"Pinball quantile must be a number strictly between 0 and 1, got {tau!r}."
            )
        return self

    def _tau(self):
        self._ensure_valid()
        return float(self.quantile)

    def kink_slopes(self):
        tau = self._tau()
        return -self._scale * tau, self._scale * (1.0 - tau)

    def for_target_scale(self, scale):
        return self, scale

    def loss(self, y, raw):
        # max(tau r, (tau - 1) r) = tau r + max(-r, 0)
        residual = y - raw
        tau = self._tau()
        return self._scale * np.sum(tau * residual + np.maximum(-residual, 0.0), axis=1)

    def gradient(self, y, raw):
        # Off the kink; at raw == y it returns the right derivative.
        tau = self._tau()
        return self._scale * np.where(raw >= y, 1.0 - tau, -tau)

    def init_raw(self, y, sample_weight):
        return weighted_quantile(y, sample_weight, self._tau())

    def smoothed(self, width):
        if not (_is_real(width) and width > 0):
            raise ValueError(f"The smoothing width must be a positive number, got {width!r}.")
        return _SmoothedPinball(self._tau(), self._scale, float(width))


class AbsoluteError(Pinball):
    r"""Absolute error, the negative log-likelihood of a Laplace distribution.

    :math:`l(y, z) = |y - z|`, summed over outputs. Its minimiser is the
    conditional median. It equals twice :class:`Pinball` at ``quantile=0.5``.

    Notes
    -----
    The loss has a kink at :math:`y = z`, where L-BFGS's line search
    breaks down. The fitting core therefore minimises a sequence of smoothed
    losses (see :meth:`smoothed`), warm-started with a width shrinking by a
    factor of ten from 1e-1 to 1e-7 of the typical residual size (late
    stages run on the samples near their kinks only), and after
    each stage tries an exact step onto the kinks: a vertex of the linear
    program followed by simplex pivots for ``alpha=0``, an active-set method
    on the quadratic program for ``alpha>0``. It stops as soon as that step is
    certified optimal (KKT conditions of the non-smooth problem hold), so the
    result is the exact optimum, not an approximation. When no step can be
    certified (for example the iteration budget ran out), the fit returns
    the best smoothed solution and says so in a ConvergenceWarning.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import AbsoluteError
    >>> AbsoluteError().loss(np.zeros((2, 1)), np.array([[-1.0], [2.0]]))
    array([1., 2.])
    """

    _scale = 2.0

    def __init__(self):
        pass

    def _tau(self):
        return 0.5

    def validate(self):
        return self


class _SmoothedPinball(Loss):
    """Pinball loss with its kink rounded off over a zone of width ``width``.

    tau r + max(-r, 0) (r = y - raw) with max(u, 0) replaced by its Huber
    smoothing h(u) = u^2 / (2 width) on [0, width], u - width / 2 beyond:
    the zone is one-sided, y <= raw <= y + width. The slopes outside it are
    exact and the value is within ``scale * width / 2`` of the pinball loss.
    """

    def __init__(self, tau, scale, width):
        self.tau = tau
        self.scale = scale
        self.width = width

    def loss(self, y, raw):
        residual = y - raw
        positive_part = np.clip(-residual, 0.0, self.width)
        hinge = positive_part * (0.5 * positive_part / self.width - 1.0) + np.maximum(
            -residual, 0.0
        )
        return self.scale * np.sum(self.tau * residual + hinge, axis=1)

    def gradient(self, y, raw):
        # d/draw of tau (y - raw) + h(raw - y)
        return self.scale * (np.clip((raw - y) / self.width, 0.0, 1.0) - self.tau)

    def loss_gradient(self, y, raw, sample_weight):
        # The fitting loop's hot path: one pass, few temporaries.
        weight = normalised_weights(sample_weight)
        excess = raw - y  # minus the residual
        zone = np.clip(excess, 0.0, self.width)
        per_sample = zone * (0.5 * zone / self.width - 1.0)
        per_sample += np.maximum(excess, 0.0)
        per_sample -= self.tau * excess
        value = self.scale * float(weight @ per_sample.sum(axis=1))
        zone *= self.scale / self.width
        zone -= self.scale * self.tau
        zone *= weight[:, np.newaxis]
        return value, zone
