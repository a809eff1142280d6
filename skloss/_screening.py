"""Screening: fit a smoothing stage on the samples near their kinks only.

A loss with ``kink_at_target`` is linear in ``raw`` on each side of its
kink, and its smoothed version differs from it only within ``width`` of the
kink. A sample whose residual stays far from zero therefore adds a *linear*
function of ``(W, b)`` to the objective: its gradient is a constant. Late
smoothing stages move the model by little more than the previous width, so
almost all samples stay far. The stage is then minimised over the few
samples near their kinks, with the others summed once into a constant
gradient, and a pass over all of X afterwards checks that none of them came
near its kink; any that did join the near samples and the stage is solved
again. The idea is Portnoy and Koenker's "globbing" of observations far
from the quantile-regression fit (Statistical Science, 1997).
"""

import numpy as np

from ._objective import LinearObjective

# Samples with residuals within this many smoothing widths are kept: the
# stage before moved the model by about ten of the current widths.
_NEAR_WIDTHS = 30.0
# Screening pays only while the near samples are a small share of all; it
# also copies their rows of X, which this keeps to a tenth of X.
_MAX_NEAR_SHARE = 0.1


def near_samples(objective, raw, width):
    """Samples whose residual is within ``100 * width`` of a kink, or None.

    Parameters
    ----------
    objective : LinearObjective
    raw : ndarray of shape (n_samples, n_outputs)
        Current raw outputs.
    width : float
        Width of the smoothing zone next to each kink.

    Returns
    -------
    near : ndarray of bool of shape (n_samples,) or None
        None when too many samples are near for screening to pay.
    """
    distance = np.min(np.abs(objective.y - raw), axis=1)
    # Samples without weight add nothing wherever they are: never near.
    distance[objective.sample_weight <= 0] = np.inf
    near = distance <= _NEAR_WIDTHS * width
    # The optimum has about n_params residuals at zero: keep at least a few
    # times that many candidates.
    n_params = objective.n_features + int(objective.fit_intercept)
    minimum = min(len(distance), 10 * n_params)
    if np.count_nonzero(near) < minimum:
        near[np.argpartition(distance, minimum - 1)[:minimum]] = True
    return _unless_too_many(near)


def widened(near, came_near):
    """``near`` joined by the samples that came near, or None if too many are."""
    return _unless_too_many(near | came_near)


def _unless_too_many(near):
    return None if np.count_nonzero(near) > _MAX_NEAR_SHARE * len(near) else near


class ScreenedObjective:
    """The stage's objective with the samples outside ``near`` as a linear term.

    ``F(W, b) = (S_near / S) F_near(W, b) + <G, W> + <g, b> + const``, where
    ``S`` sums the sample weights, ``F_near`` is the objective of the near
    samples (its penalty scaled by ``S / S_near`` so the total penalty is
    unchanged) and ``G``, ``g`` are the far samples' summed gradients,
    constant while each stays on its side of its kink, outside the
    smoothing zone. The near samples' rows of X are copied (at most a tenth
    of X).

    Parameters
    ----------
    objective : LinearObjective
        The full objective.
    raw : ndarray of shape (n_samples, n_outputs)
        Raw outputs where the far samples' sides are read.
    near : ndarray of bool of shape (n_samples,)
    smooth : Loss
        The stage's smoothed loss.
    """

    def __init__(self, objective, raw, near, smooth):
        weight = objective.sample_weight
        total, near_total = float(np.sum(weight)), float(np.sum(weight[near]))
        self._share = near_total / total
        far_gradient = smooth.gradient(objective.y, raw) * (weight / total)[:, np.newaxis]
        far_gradient[near] = 0.0
        # The far samples' term, in (W, b); the exact finish reads it too.
        self.linear_term = (objective.coef_gradient_of(far_gradient), far_gradient.sum(axis=0))
        self._all_y = objective.y
        self._side = np.sign(objective.y - raw)
        # Weightless samples cannot change the objective, wherever they go.
        self._watched = ~near & (weight > 0)
        rows = np.flatnonzero(near)
        self._inner = LinearObjective(
            objective.X[rows],
            objective.y[rows],
            objective.loss,
            weight[rows],
            objective.alpha / self._share,
            objective.fit_intercept,
        )
        # What the exact finish (skloss._kinks) reads: the near samples,
        # weighted relative to all samples.
        self.X, self.y, self.loss = self._inner.X, self._inner.y, objective.loss
        self.sample_weight, self.weight_total = weight[rows], total
        self.alpha, self.fit_intercept = objective.alpha, objective.fit_intercept
        self.n_features, self.n_outputs = objective.n_features, objective.n_outputs

    def pack(self, coef, intercept):
        return self._inner.pack(coef, intercept)

    def unpack(self, theta):
        return self._inner.unpack(theta)

    def value_and_gradient(self, theta, loss):
        """Value (up to a constant) and gradient of the stage objective in ``theta``."""
        value, gradient = self._inner.value_and_gradient(theta, loss)
        coef, intercept = self._inner.unpack(theta)
        far_coef_gradient, far_intercept_gradient = self.linear_term
        value = self._share * value
        value += float(np.sum(far_coef_gradient * coef))
        value += float(far_intercept_gradient @ intercept)
        gradient *= self._share
        gradient += self._inner.parametrisation.gradient(far_coef_gradient, far_intercept_gradient)
        return value, gradient

    def value_and_gradient_under(self, loss):
        """``theta -> value_and_gradient(theta, loss)``, the function L-BFGS minimises."""
        return lambda theta: self.value_and_gradient(theta, loss)

    def came_near(self, raw, width):
        """Far samples that left their side, or came within ``width`` of a kink.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw outputs of all samples at the stage's solution.
        width : float
            Zero asks only whether a sample reached or crossed its kink.

        Returns
        -------
        ndarray of bool of shape (n_samples,)
        """
        signed = self._side * (self._all_y - raw)
        return self._watched & np.any(signed <= width, axis=1)
