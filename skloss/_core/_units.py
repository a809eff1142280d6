"""Fits in the units of the problem: the target is rescaled by a power of two near its spread.

A loss whose raw output is in the units of ``y`` says how it transforms
(:meth:`skloss.losses.Loss.for_target_scale`): ``l(y, z) = c l_s(y / s, z / s)``.
With ``W = s V`` and ``b = s d`` the objective is then

    F(W, b) = c [ mean l_s(y / s, X V + d) + (alpha s^2 / c) / 2 ||V||^2 ],

so the core fits ``y / s`` with the penalty ``alpha s^2 / c`` and maps the
solution back. ``s`` is a power of two, so both maps are exact in floating
point, and it is the spread of ``y`` (a weighted median absolute deviation,
which a far outlier does not move), so the fitted problem has unit scale
whatever the units of ``y``: the optimizer's tolerance, the smoothing widths
and the exact finish's slacks all mean the same on every scale.
"""

from dataclasses import dataclass

import numpy as np

from .._statistics import weighted_quantile
from ..losses import Loss


def target_spread(y, sample_weight):
    """Weighted median absolute deviation of ``y`` from its column medians (pooled).

    Falls back to the weighted mean absolute deviation when more than half
    of the weight sits on the medians, and returns 0 for a constant ``y``.
    """
    deviation = np.abs(y - weighted_quantile(y, sample_weight, 0.5)).reshape(-1, 1)
    weight = np.repeat(sample_weight, y.shape[1])
    spread = float(weighted_quantile(deviation, weight, 0.5)[0])
    if not spread > 0:
        spread = float(weight @ deviation[:, 0]) / float(np.sum(weight))
    return spread if np.isfinite(spread) else 0.0


@dataclass(frozen=True)
class TargetUnits:
    """The map between the user's problem and the one the core fits.

    Attributes
    ----------
    scale : float
        ``s``, a power of two (1 when the loss does not allow rescaling).
    loss : Loss
        The loss in units of ``y / s``.
    factor : float
        ``c``: the user's objective is ``c`` times the fitted one.
    """

    scale: float
    loss: Loss
    factor: float

    @classmethod
    def of(cls, loss, y, sample_weight):
        """The units for fitting ``y`` with ``loss``."""
        if type(loss).for_target_scale is Loss.for_target_scale:
            return cls(1.0, loss, 1.0)
        spread = target_spread(y, sample_weight)
        if not spread > 0:
            return cls(1.0, loss, 1.0)
        # A power of two within a factor two of the spread (spread = m 2^e, m in [1/2, 1)).
        scale = float(np.ldexp(1.0, int(np.frexp(spread)[1])))
        rescaled = loss.for_target_scale(scale)
        if rescaled is None:
            return cls(1.0, loss, 1.0)
        return cls(scale, rescaled[0], float(rescaled[1]))

    def alpha(self, alpha):
        """The penalty of the fitted problem."""
        return alpha * self.scale**2 / self.factor

    def to_fitted(self, values):
        """Target or raw outputs (or coefficients) in the fitted units, or None.

        In unchanged units, float ``values`` themselves (the core never
        writes to them): a copy of y would be a per-sample array more per fit.
        """
        if values is None:
            return None
        if self.scale == 1.0 and isinstance(values, np.ndarray) and values.dtype.kind == "f":
            return values
        return values / self.scale

    def bounds(self, coef_bounds):
        """Coefficient bounds ``(lower, upper)`` (each None or an array) in the fitted units."""
        if coef_bounds is None:
            return None
        return tuple(
            None if bound is None else self.to_fitted(np.asarray(bound, dtype=float))
            for bound in coef_bounds
        )

    def to_user(self, values):
        """Coefficients or intercepts back in the user's units."""
        return values * self.scale
