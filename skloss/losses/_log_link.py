r"""Losses on the log output unit: counts and positive, skewed amounts.

Each loss is the negative log-likelihood of a distribution whose mean is
:math:`\mu = e^z`, up to terms free of the raw output :math:`z`. They are
written in :math:`z` with every exponential clipped below overflow
(``clipped_exp``), so that a target of 0 times a huge exponential is 0,
never NaN. For ``|raw|`` up to about 700 the values are finite; beyond, a
value that is too large for a double is ``+inf`` (the fitting core then
backs off), never NaN.
"""

import numbers

import numpy as np
from scipy.special import expit

from .._statistics import weighted_mean
from ._base import Loss
from ._output_units import Exp, clipped_exp

__all__ = ["PoissonNLL", "GammaNLL", "TweedieNLL", "NegativeBinomialNLL"]

# A weighted mean of 0 (all-zero counts) starts the intercept from a very
# negative but finite log-mean.
_MEAN_FLOOR = 1e-10


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class _LogLinkLoss(Loss):
    """Shared plumbing: a separable loss of :math:`z` on the exp output unit.

    Subclasses implement ``_value_gradient(y, raw)`` (element-wise loss and
    gradient, shape (n_samples, n_outputs) each), ``_curvature(y, raw)``
    (element-wise second derivative) and ``_target_domain()`` (None,
    ``"non-negative"`` or ``"positive"``).
    """

    output_unit = Exp()

    def loss(self, y, raw):
        with np.errstate(over="ignore"):
            return np.sum(self._value_gradient(y, raw)[0], axis=1)

    def gradient(self, y, raw):
        with np.errstate(over="ignore"):
            return self._value_gradient(y, raw)[1]

    def loss_gradient(self, y, raw, sample_weight):
        weight = sample_weight / np.sum(sample_weight)
        with np.errstate(over="ignore"):
            value, gradient = self._value_gradient(y, raw)
            value = float(weight @ value.sum(axis=1))
        gradient *= weight[:, np.newaxis]
        return value, gradient

    def hessian(self, y, raw):
        """Per-sample Hessian of the loss with respect to ``raw``.

        The outputs are independent, so each sample's Hessian is diagonal.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Target.
        raw : ndarray of shape (n_samples, n_outputs)
            Raw outputs (log-means).

        Returns
        -------
        hessian : ndarray of shape (n_samples, n_outputs, n_outputs)
            Second derivatives of each sample's loss.

        Examples
        --------
        The Poisson loss :math:`e^z - y z` has second derivative :math:`e^z`:

        >>> import numpy as np
        >>> from skloss.losses import PoissonNLL
        >>> PoissonNLL().hessian(np.array([[3.0]]), np.array([[np.log(2.0)]]))
        array([[[2.]]])
        """
        with np.errstate(over="ignore"):
            curvature = self._curvature(y, raw)
        n_samples, n_outputs = curvature.shape
        hessian = np.zeros((n_samples, n_outputs, n_outputs))
        diagonal = np.arange(n_outputs)
        hessian[:, diagonal, diagonal] = curvature
        return hessian

    def init_raw(self, y, sample_weight):
        # Every loss here is minimised, over constants, at the weighted mean.
        return np.log(np.maximum(weighted_mean(y, sample_weight), _MEAN_FLOOR))

    def check_target(self, y):
        domain = self._target_domain()
        lowest = float(np.min(y))
        if (domain == "non-negative" and lowest < 0) or (domain == "positive" and lowest <= 0):
            raise ValueError(
                f"{self!r} needs a {domain} target y, but y has a minimum of "
                f"{lowest!r}. Use a loss on the identity output unit (such as "
                "'squared_error') for targets of any sign."
            )


def _poisson(y, raw):
    mu = clipped_exp(raw)
    return mu - y * raw, mu - y


def _gamma(y, raw):
    scaled = y * clipped_exp(-raw)  # y / mu
    return scaled + raw, 1.0 - scaled


class PoissonNLL(_LogLinkLoss):
    r"""Poisson negative log-likelihood on the log output unit, for counts.

    :math:`l(y, z) = e^z - y z`, summed over outputs: the negative
    log-likelihood of :math:`y \sim \text{Poisson}(\mu)`, :math:`\mu = e^z`,
    without the term :math:`\log y!`, which is free of :math:`z`. It equals
    half the Poisson deviance up to such a term, so it learns the
    conditional mean of a count (or of any non-negative target: the
    conditional mean is its minimiser whatever the distribution). Targets
    must be non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import PoissonNLL
    >>> PoissonNLL().loss(np.array([[0.0], [2.0]]), np.array([[0.0], [np.log(2.0)]])).round(4)
    array([1.    , 0.6137])
    """

    def __init__(self):
        pass

    def _value_gradient(self, y, raw):
        return _poisson(y, raw)

    def _curvature(self, y, raw):
        return clipped_exp(raw)

    def _target_domain(self):
        return "non-negative"


class GammaNLL(_LogLinkLoss):
    r"""Gamma negative log-likelihood on the log output unit, for positive amounts.

    :math:`l(y, z) = y e^{-z} + z`, summed over outputs: the negative
    log-likelihood of a Gamma distribution with mean :math:`\mu = e^z` and a
    fixed shape, divided by the shape and without the terms free of
    :math:`z`. It equals half the Gamma deviance up to such terms. The
    Gamma's variance grows as :math:`\mu^2`, so errors count relative to the
    mean: it suits costs, durations and other skewed positive amounts.
    Targets must be positive.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import GammaNLL
    >>> GammaNLL().loss(np.array([[1.0], [1.0]]), np.array([[0.0], [-700.0]]))
    array([1.00000000e+000, 1.01423205e+304])
    """

    has_dispersion = True

    def __init__(self):
        pass

    def _value_gradient(self, y, raw):
        return _gamma(y, raw)

    def _curvature(self, y, raw):
        return y * clipped_exp(-raw)

    def _target_domain(self):
        return "positive"


class TweedieNLL(_LogLinkLoss):
    r"""Tweedie negative log-likelihood on the log output unit.

    The Tweedie distributions have variance :math:`\phi \mu^p` for a
    ``power`` :math:`p`. With :math:`\mu = e^z`, up to terms free of
    :math:`z` and division by :math:`\phi`, the loss is

    .. math::

        l(y, z) = \frac{y\, e^{(1 - p) z}}{p - 1} + \frac{e^{(2 - p) z}}{2 - p},

    summed over outputs, half the Tweedie deviance up to a term free of
    :math:`z`. Special powers:

    * :math:`p = 0`: normal; the loss is :math:`\frac{1}{2}(e^z - y)^2`,
      squared error of the exponential of the raw output (any target);
    * :math:`p = 1`: Poisson, :class:`PoissonNLL` (the formula's limit);
    * :math:`1 < p < 2`: compound Poisson-Gamma, a point mass at zero plus a
      positive continuous part: zero-inflated amounts such as insurance
      claim costs per policy;
    * :math:`p = 2`: Gamma, :class:`GammaNLL`;
    * :math:`p = 3`: inverse Gaussian.

    Targets must be non-negative for :math:`1 \le p < 2` and positive for
    :math:`p \ge 2`. No Tweedie distribution exists for :math:`0 < p < 1`.

    Parameters
    ----------
    power : float, default=1.5
        The variance power :math:`p`: 0, or at least 1.

    Examples
    --------
    At power 1 and 2 the loss is the Poisson and the Gamma loss:

    >>> import numpy as np
    >>> from skloss.losses import GammaNLL, PoissonNLL, TweedieNLL
    >>> y, raw = np.array([[0.0], [3.0]]), np.array([[1.0], [2.0]])
    >>> bool(np.allclose(TweedieNLL(power=1).loss(y + 1, raw), PoissonNLL().loss(y + 1, raw)))
    True
    >>> bool(np.allclose(TweedieNLL(power=2).loss(y + 1, raw), GammaNLL().loss(y + 1, raw)))
    True
    """

    has_dispersion = True

    def __init__(self, power=1.5):
        self.power = power

    def _power(self):
        p = self.power
        if not (_is_real(p) and np.isfinite(p) and (p == 0 or p >= 1)):
            raise ValueError(
                f"TweedieNLL power must be 0 or a number of at least 1 (no Tweedie "
                f"distribution has a power strictly between 0 and 1), got {p!r}."
            )
        return float(p)

    def _value_gradient(self, y, raw):
        p = self._power()
        if p == 0:
            mu = clipped_exp(raw)
            residual = mu - y
            return 0.5 * residual**2, mu * residual
        if p == 1:
            return _poisson(y, raw)
        if p == 2:
            return _gamma(y, raw)
        if p < 2:
            # Two non-negative terms: an extreme raw overflows to +inf, the
            # true limit, in the value and with the right sign in the gradient.
            scaled = y * clipped_exp((1 - p) * raw)  # y mu^(1-p)
            mean_term = clipped_exp((2 - p) * raw)  # mu^(2-p)
            return scaled / (p - 1) + mean_term / (2 - p), mean_term - scaled
        # For p > 2 the two terms have opposite signs and both explode as
        # raw -> -inf; factoring out mu^(1-p), the dominant one, keeps the
        # value at +inf there and at 0 (not 0 * inf) as raw -> +inf.
        factor = clipped_exp((1 - p) * raw)
        mean_term = clipped_exp(raw - np.log(p - 2))  # mu / (p - 2)
        return factor * (y / (p - 1) - mean_term), factor * (clipped_exp(raw) - y)

    def _curvature(self, y, raw):
        # d/dz of mu^(2-p) - y mu^(1-p), arranged as _value_gradient is.
        p = self._power()
        if p == 0:
            mu = clipped_exp(raw)
            return mu * (2 * mu - y)
        if p <= 2:
            return (2 - p) * clipped_exp((2 - p) * raw) + (p - 1) * y * clipped_exp((1 - p) * raw)
        factor = clipped_exp((1 - p) * raw)
        return factor * ((p - 1) * y - clipped_exp(raw + np.log(p - 2)))

    def _target_domain(self):
        p = self._power()
        if p == 0:
            return None
        return "non-negative" if p < 2 else "positive"


class NegativeBinomialNLL(_LogLinkLoss):
    r"""Negative binomial (NB2) negative log-likelihood on the log output unit.

    For over-dispersed counts: :math:`y` has mean :math:`\mu = e^z` and
    variance :math:`\mu + k \mu^2`, with :math:`k` the ``dispersion`` (a
    Poisson whose mean is Gamma distributed). Up to terms free of
    :math:`z`, the loss is

    .. math::

        l(y, z) = (y + 1/k) \log(1 + k\mu) - y \log(k\mu)
                = (y + 1/k) \operatorname{softplus}(t) - y t,
        \qquad t = z + \log k,

    summed over outputs. It tends to :class:`PoissonNLL` as :math:`k \to 0`.
    Compared with Poisson it gives less weight to samples with a large mean,
    whose counts vary more. Targets must be non-negative.

    Parameters
    ----------
    dispersion : float, default=1.0
        The dispersion :math:`k > 0` (``alpha`` of statsmodels'
        ``NegativeBinomial`` family).

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import NegativeBinomialNLL
    >>> NegativeBinomialNLL(dispersion=0.5).gradient(np.array([[2.0]]), np.array([[0.0]]))
    array([[-0.66666667]])
    """

    def __init__(self, dispersion=1.0):
        self.dispersion = dispersion

    def _dispersion(self):
        k = self.dispersion
        if not (_is_real(k) and np.isfinite(k) and k > 0):
            raise ValueError(
                f"NegativeBinomialNLL dispersion must be a positive number, got {k!r}."
            )
        return float(k)

    def _value_gradient(self, y, raw):
        k = self._dispersion()
        t = raw + np.log(k)
        total = y + 1.0 / k
        return total * np.logaddexp(0.0, t) - y * t, total * expit(t) - y

    def _curvature(self, y, raw):
        k = self._dispersion()
        t = raw + np.log(k)
        return (y + 1.0 / k) * expit(t) * expit(-t)

    def _target_domain(self):
        return "non-negative"
