"""Powell's kernel estimate for losses with a kink at the target (absolute, pinball).

The expected Hessian of such a loss is the density of the residuals at zero
times the jump of its slope there. Following Powell (1991) and Koenker
(2005), it is estimated by an Epanechnikov kernel with the Hall-Sheather
bandwidth, scaled as statsmodels' ``QuantReg`` scales it:
``h = min(std(y), IQR(e) / 1.34) * (Phi^-1(tau + b) - Phi^-1(tau - b))``
with ``b`` the Hall-Sheather rule for ``n`` samples.
"""

import numpy as np
from scipy.stats import norm

from .._statistics import weighted_mean, weighted_quantile

# Confidence level in the Hall-Sheather rule, as in statsmodels' default.
_HALL_SHEATHER_ALPHA = 0.05


def kink_slopes(loss, n_outputs):
    """Slope jump at the kink and the quantile ``tau``, per output.

    A loss with ``kink_at_target`` is linear on each side of ``raw == y``,
    so its gradient one unit either side gives both slopes: ``-tau`` times
    the jump on the left, ``1 - tau`` times it on the right.
    """
    zero, one = np.zeros((1, n_outputs)), np.ones((1, n_outputs))
    right = np.asarray(loss.gradient(zero, one), dtype=np.float64)[0]
    left = np.asarray(loss.gradient(zero, -one), dtype=np.float64)[0]
    jump = right - left
    if not np.all(jump > 0):
        raise ValueError(
            f"{loss!r} declares kink_at_target but its slope does not increase "
            f"across the kink (left slope {left}, right slope {right}), so it is "
            "not a convex pinball-type loss."
        )
    return jump, -left / jump


def hall_sheather(n_samples, tau):
    """The Hall-Sheather bandwidth rule, in probability units."""
    z = norm.ppf(tau)
    density = 1.5 * norm.pdf(z) ** 2 / (2.0 * z**2 + 1.0)
    level = norm.ppf(1.0 - _HALL_SHEATHER_ALPHA / 2.0)
    return n_samples ** (-1.0 / 3.0) * level ** (2.0 / 3.0) * density ** (1.0 / 3.0)


def bandwidths(residual, y, sample_weight, tau):
    """Kernel bandwidth per output, in the units of the residuals.

    Parameters
    ----------
    residual, y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    tau : ndarray of shape (n_outputs,)

    Returns
    -------
    ndarray of shape (n_outputs,)
    """
    n_samples = float(np.sum(sample_weight))
    spread = np.sqrt(weighted_mean((y - weighted_mean(y, sample_weight)) ** 2, sample_weight))
    upper = _quantiles(residual, sample_weight, 0.75)
    lower = _quantiles(residual, sample_weight, 0.25)
    scale = np.minimum(spread, (upper - lower) / 1.34)
    if not np.all(scale > 0):
        raise ValueError(
            "Powell's kernel estimate needs residuals that spread out: the "
            "interquartile range of the residuals (or the spread of y) is zero, "
            "as when most targets are fitted exactly (a discrete target, or more "
            "parameters than distinct values). Use cov_type='cluster' with "
            "suitable groups, or a smooth loss."
        )
    step = hall_sheather(n_samples, tau)
    # Keep tau +- step inside (0, 1) for extreme quantiles on few samples.
    edge = 0.5 / n_samples
    high = norm.ppf(np.clip(tau + step, edge, 1.0 - edge))
    low = norm.ppf(np.clip(tau - step, edge, 1.0 - edge))
    return scale * (high - low)


def _quantiles(values, sample_weight, quantile):
    """Column quantiles: numpy's linear interpolation (statsmodels') for equal weights."""
    if np.all(sample_weight == sample_weight[0]):
        return np.percentile(values, 100.0 * quantile, axis=0)
    return weighted_quantile(values, sample_weight, quantile)


def epanechnikov(u):
    """The Epanechnikov kernel ``3/4 (1 - u^2)`` on ``[-1, 1]``."""
    return np.where(np.abs(u) <= 1.0, 0.75 * (1.0 - u * u), 0.0)
