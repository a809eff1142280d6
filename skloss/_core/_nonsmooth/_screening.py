"""Screening: fit a smoothing stage on the samples near their kinks only.

A loss with ``kink_at_target`` is linear in ``raw`` on each side of its
kink, and its smoothed version differs from it only within ``width`` of the
kink. A sample whose residual stays far from zero therefore adds a *linear*
function of ``(W, b)`` to the objective: its gradient is a constant. Late
smoothing stages move the model by little more than the previous width, so
almost all samples stay far. The stage is then minimised over the few
samples near their kinks, with the others summed once into the problem's
linear term, and a pass over all of X afterwards checks that none of them
came near its kink; any that did join the near samples and the stage is
solved again. The idea is Portnoy and Koenker's "globbing" of observations
far from the quantile-regression fit (Statistical Science, 1997).
"""

import numpy as np

from .._objective import LinearObjective

# Samples with residuals within this many smoothing widths are kept: the
# stage before moved the model by about ten of the current widths.
_NEAR_WIDTHS = 30.0
# Screening pays only while the near samples are a small share of all; it
# also copies their rows of X, which this keeps to a tenth of X.
_MAX_NEAR_SHARE = 0.1
# The optimum has about n_params residuals at zero: keep at least this
# many times that many candidates.
_MIN_NEAR_PER_PARAM = 10


def near_samples(problem, raw, width):
    """Samples whose residual is within ``_NEAR_WIDTHS * width`` of a kink, or None.

    Parameters
    ----------
    problem : FitProblem
    raw : ndarray of shape (n_samples, n_outputs)
        Current raw outputs.
    width : float
        Width of the smoothing zone next to each kink.

    Returns
    -------
    near : ndarray of bool of shape (n_samples,) or None
        None when too many samples are near for screening to pay.
    """
    distance = np.min(np.abs(problem.data.y - raw), axis=1)
    # Samples without weight add nothing wherever they are: never near.
    distance[problem.data.sample_weight <= 0] = np.inf
    near = distance <= _NEAR_WIDTHS * width
    minimum = min(len(distance), _MIN_NEAR_PER_PARAM * problem.n_params)
    if np.count_nonzero(near) < minimum:
        near[np.argpartition(distance, minimum - 1)[:minimum]] = True
    return _unless_too_many(near)


def widened(near, came_near):
    """``near`` joined by the samples that came near, or None if too many are."""
    return _unless_too_many(near | came_near)


def _unless_too_many(near):
    return None if np.count_nonzero(near) > _MAX_NEAR_SHARE * len(near) else near


class ScreenedObjective(LinearObjective):
    """The stage's objective on the ``near`` samples, the others as a linear term.

    ``F(W, b) = sum_{i near} w_i l(y_i, x_i W + b) + alpha/2 ||W||^2 + <G, W> + <g, b>
    + const``, where ``G``, ``g`` are the far samples' summed gradients,
    constant while each stays on its side of its kink, outside the smoothing
    zone. It is a :class:`LinearObjective` of the sub-problem of the near
    samples (their rows of X are copied: at most a tenth of X), whose
    linear term is the far samples' gradient.

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
        problem = objective.problem
        weight = problem.data.sample_weight
        far_gradient = smooth.gradient(problem.data.y, raw) * weight[:, np.newaxis]
        far_gradient[near] = 0.0
        linear_term = (objective.coef_gradient_of(far_gradient), far_gradient.sum(axis=0))
        super().__init__(problem.sub_problem(np.flatnonzero(near), linear_term), objective.loss)
        self._all_y = problem.data.y
        self._side = np.sign(problem.data.y - raw)
        # Weightless samples cannot change the objective, wherever they go.
        self._watched = ~near & (weight > 0)

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
