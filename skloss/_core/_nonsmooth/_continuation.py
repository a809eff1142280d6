"""Smoothing continuation, with screened stages and an exact finish for kinked losses."""

import numpy as np

from ..._statistics import weighted_quantile
from .._lbfgs import lbfgs
from ._duality_gap import duality_gap
from ._exact import kink_step
from ._screening import ScreenedObjective, near_samples, widened

# Continuation widths, relative to the typical residual size: 1e-1 ... 1e-7.
# The smoothed objective is within width/2 of the true one per unit slope,
# so the last stage alone is already within 1e-7 (relative) of the optimum.
_SMOOTHING_WIDTHS = 10.0 ** -np.arange(1, 8)
# A fit the exact finish could not certify is still certified when its
# duality gap is below this fraction of its objective: the precision of the
# exact finish's own optimality checks.
_CERTIFIED_GAP = 1e-9


def minimise_non_smooth(objective, theta, max_iter, tol):
    """Minimise a non-smooth loss through smoothed losses of shrinking width.

    For a loss with its kink at ``raw == y``, every stage ends with an exact
    step (:func:`._exact.kink_step`); once that step comes with an
    optimality certificate the fit stops, usually long before the narrowest
    width.

    Parameters
    ----------
    objective : LinearObjective
        Of a loss with ``is_smooth = False``.
    theta : ndarray
        Starting point, in the objective's coordinates.
    max_iter : int
        L-BFGS iterations over all stages.
    tol : float
        L-BFGS's gradient tolerance in each stage.

    Returns
    -------
    theta, n_iter, converged, message
    """
    problem, loss = objective.problem, objective.loss
    scale = _residual_scale(problem, objective.raw_output(theta))
    if not scale > 0:
        # Every residual is already zero: the start is optimal.
        return theta, 0, True, "all residuals are zero"

    n_iter, converged, message = 0, True, ""
    smooth = None
    for width in scale * _SMOOTHING_WIDTHS:
        budget = max_iter - n_iter
        if budget <= 0:
            converged = False
            message = "the iteration budget ran out during smoothing continuation"
            break
        smooth = loss.smoothed(width)
        theta, stage_iter, converged, message, screened = _smoothed_stage(
            objective, theta, smooth, width, budget, tol
        )
        n_iter += stage_iter
        if loss.kink_at_target:
            last_chance = width == scale * _SMOOTHING_WIDTHS[-1]
            theta, certified = _exact_step(objective, theta, screened, width, scale, last_chance)
            if certified:
                return theta, n_iter, True, "optimality certified"
    if loss.kink_at_target and converged and smooth is not None:
        # Promised exact, not proven by the exact finish: a small enough
        # duality gap proves it to within that gap; otherwise say what is known.
        value = objective.exact_value(theta)
        gap = duality_gap(objective, theta, smooth)
        if gap is not None and gap <= _CERTIFIED_GAP * abs(value):
            return theta, n_iter, True, "optimality certified by the duality gap"
        return theta, n_iter, False, _uncertified(objective, theta, smooth, value, gap)
    return theta, n_iter, converged, message


def _uncertified(objective, theta, smooth, value, gap):
    """Why a kinked fit is not certified, and what is known of its distance to the optimum.

    With a penalty, the duality gap (:mod:`._duality_gap`) bounds it.
    Without, only this is known: the smoothed loss lies below the loss, so
    the smoothed optimum lies below the optimum, and if L-BFGS reached it
    the objective exceeds the optimum by at most its excess over the
    smoothed objective here. That is not verified.
    """
    scale = max(abs(value), 1e-300)
    cause = (
        "the exact finish could not certify optimality, for example on rank-deficient "
        "or badly conditioned X, or beyond 2000 parameters; "
    )
    if gap is not None:
        return cause + (
            f"a duality gap certifies that the objective exceeds the optimum by at most "
            f"{gap / scale:.1e} (relative)"
        )
    excess = max(value - objective.value(theta, smooth), 0.0) / scale
    return cause + (
        "without a penalty (alpha=0) no certificate is computed: the loss exceeds its "
        f"smoothed version at the returned point by {excess:.1e} (relative), which is at "
        "most the excess over the optimum only if the smoothed problem was solved exactly "
        "(not verified)"
    )


def _residual_scale(problem, raw):
    """Typical residual size: the weighted median of the samples' mean absolute residuals.

    A median, so a far outlier does not widen the smoothing zones of all
    samples; the weighted mean when more than half the weight has zero
    residual already.
    """
    residual = np.mean(np.abs(problem.data.y - raw), axis=1)
    weight = problem.data.sample_weight
    scale = float(weighted_quantile(residual[:, np.newaxis], weight, 0.5)[0])
    return scale if scale > 0 else float(weight @ residual)


def _smoothed_stage(objective, theta, smooth, width, max_iter, tol):
    """Minimise the objective under the smoothed loss ``smooth`` of width ``width``.

    For a loss with its kink at ``raw == y``, when few samples are near
    their kinks, the stage runs on those only (:mod:`._screening`), until a
    pass over all of X confirms that no other sample came near.

    Returns
    -------
    theta, n_iter, converged, message
    screened : ScreenedObjective or None
        The objective the stage was solved on, if screened.
    """
    n_iter, near = 0, None
    if objective.loss.kink_at_target:
        raw = objective.raw_output(theta)
        near = near_samples(objective.problem, raw, width)
    while near is not None and n_iter < max_iter:
        screened = ScreenedObjective(objective, raw, near, smooth)
        start = screened.pack(*objective.unpack(theta))
        result, stage_iter, converged, message, _ = lbfgs(
            lambda t, screened=screened: screened.value_and_gradient(t, smooth),
            start,
            max_iter - n_iter,
            tol,
            screened.theta_bounds(),
        )
        n_iter += stage_iter
        theta = objective.pack(*screened.unpack(result))
        raw = objective.raw_output(theta)
        came_near = screened.came_near(raw, width)
        if not np.any(came_near):
            return theta, n_iter, converged, message, screened
        # Solve again with them; give up screening if too many came.
        near = widened(near, came_near)
    if n_iter >= max_iter:
        return theta, n_iter, False, "the iteration budget ran out", None
    theta, stage_iter, converged, message, _ = lbfgs(
        lambda t: objective.value_and_gradient(t, smooth),
        theta,
        max_iter - n_iter,
        tol,
        objective.theta_bounds(),
    )
    return theta, n_iter + stage_iter, converged, message, None


def _exact_step(objective, theta, screened, width, scale, last_chance):
    """The exact finish (:func:`._exact.kink_step`), on the screened problem if any.

    A screened candidate stands for the full problem only while every far
    sample is still strictly on its side of its kink: checked by one pass.
    Returns ``(theta, certified)``.
    """
    if screened is None:
        return kink_step(objective, theta, width, scale, last_chance)
    start = screened.pack(*objective.unpack(theta))
    candidate, certified = kink_step(
        screened, start, width, scale, last_chance, full_problem=objective.problem
    )
    candidate = objective.pack(*screened.unpack(candidate))
    if np.any(screened.came_near(objective.raw_output(candidate), 0.0)):
        return theta, False
    return candidate, certified
