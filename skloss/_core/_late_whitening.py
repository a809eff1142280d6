"""Whitening X midway through a fit, once L-BFGS shows slow progress without it.

Where whitening dense X costs more than a few evaluations
(:func:`~._parametrisation.choose_preconditioner`), a fit starts in the
diagonal coordinates (the column scales): on well-conditioned data L-BFGS
converges there in 10 to 30 iterations. On correlated features it may
not: 20,000 x 1,000 binary with mixed features took 494 iterations (51 s)
at the default tol in the diagonal coordinates and 8 whitened (2.9 s, the
whitening included).

So such a fit is watched. Every ``k`` iterations, ``k`` what whitening
costs in evaluations (:func:`~._parametrisation.whitening_cost`), its
progress is judged: the largest gradient entry fell from ``g_0`` to
``g_k`` over those ``k`` iterations, and at that geometric rate reaching
``tol`` takes ``k log(tol / g_k) / log(g_k / g_0)`` more. Progress is
*slow* when that is more than ``k``, or the gradient did not fall: L-BFGS
often falls fast at first and then crawls, which the last ``k``
iterations show and the first ones do not. Then X is
whitened and L-BFGS restarts from the same ``(W, b)`` in the whitened
coordinates, with the iterations left and the same stopping rule. As in
renting skis before buying them, whitening only once the fit has spent
about its price keeps a fit within about twice the cost of the better
choice made up front, without knowing the conditioning in advance.
"""

import math

import numpy as np

from ._lbfgs import lbfgs
from ._objective import LinearObjective
from ._parametrisation import WHITENING_BUDGET, whitened_parametrisation, whitening_cost


def watch_budget(objective):
    """Iterations between judgements of progress, or None if whitening later cannot pay.

    Only an objective in diagonal coordinates on unbounded coefficients (a
    diagonal keeps bounds bounds), on data whose whitening is possible but
    was too dear to do up front.
    """
    if not isinstance(objective, LinearObjective) or objective.problem.coef_bounds is not None:
        return None
    if objective.parametrisation.transform.ndim != 1:
        return None
    cost = whitening_cost(objective.problem.data)
    if cost is None or cost <= WHITENING_BUDGET:
        return None
    return math.ceil(cost)


def is_slow(first, last, n_iter, tol, cost):
    """Whether a gradient falling from ``first`` to ``last`` in ``n_iter`` iterations is slow.

    Slow: at its geometric rate, reaching ``tol`` takes more than ``cost``
    further iterations (or it did not fall). Gradients are largest entries.
    """
    if not np.isfinite(first) or last <= tol:
        return False
    if not last < first:
        return True
    return n_iter * math.log(tol / last) / math.log(last / first) > cost


class _ProgressWatch:
    """Wraps an objective for L-BFGS; its ``interrupt`` hook stops a run when progress is slow."""

    def __init__(self, function, budget, tol, max_iter):
        self.function, self.budget, self.tol, self.max_iter = function, budget, tol, max_iter
        self.window_gradient, self.start_value = None, None
        self.n_iter, self.slow = 0, False

    def evaluate(self, theta):
        value, gradient = self.function(theta)
        if self.window_gradient is None:
            self.window_gradient = float(np.max(np.abs(gradient), initial=0.0))
            self.start_value = value
        return value, gradient

    def interrupt(self, theta, gradient):
        self.n_iter += 1
        # Whitening with no iterations left to use it would be wasted.
        if self.n_iter % self.budget == 0 and self.n_iter < self.max_iter:
            last = float(np.max(np.abs(gradient), initial=0.0))
            self.slow = is_slow(self.window_gradient, last, self.budget, self.tol, self.budget)
            self.window_gradient = last
        return self.slow


def minimise_smooth(objective, theta, max_iter, tol, bounds=None):
    """L-BFGS on ``objective`` from ``theta``, whitening X midway if progress is slow.

    Returns
    -------
    objective, theta, n_iter, converged, message, value
        The objective whose coordinates ``theta`` is in (a whitened one if
        the fit switched), then what :func:`~._lbfgs.lbfgs` returns, with
        the iterations of both runs.
    """
    budget = watch_budget(objective)
    if budget is None or budget >= max_iter:
        return objective, *lbfgs(objective.value_and_gradient, theta, max_iter, tol, bounds)
    watch = _ProgressWatch(objective.value_and_gradient, budget, tol, max_iter)
    result = lbfgs(watch.evaluate, theta, max_iter, tol, bounds, interrupt=watch.interrupt)
    if not watch.slow:
        return objective, *result
    theta, n_iter = result[0], result[1]
    problem = objective.problem
    whitened = LinearObjective(problem, objective.loss, whitened_parametrisation(problem))
    theta = whitened.pack(*objective.unpack(theta))
    theta, more, converged, message, value = lbfgs(
        whitened.value_and_gradient,
        theta,
        max_iter - n_iter,
        tol,
        bounds,
        start_value=watch.start_value,
    )
    return whitened, theta, n_iter + more, converged, message, value
