"""The shared fitting core: every estimator is fitted here, by L-BFGS-B.

Smooth losses are minimised directly. A non-smooth loss is minimised as a
sequence of smoothed losses (continuation), each warm-started from the last
with a ten times narrower smoothing width; losses that are piecewise linear
with their kink at ``raw == y`` run the late stages on the samples near
their kinks only (:mod:`skloss._screening`) and get an exact finishing step
(:mod:`skloss._kinks`).
"""

import functools
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

from ._kinks import kink_step
from ._objective import make_objective
from ._screening import ScreenedObjective, near_samples, widened

# Continuation widths, relative to the typical residual size: 1e-1 ... 1e-7.
# The smoothed objective is within width/2 of the true one per unit slope,
# so the last stage alone is already within 1e-7 (relative) of the optimum.
_SMOOTHING_WIDTHS = 10.0 ** -np.arange(1, 8)


@dataclass
class FitResult:
    """What the core returns: fitted parameters and how the fit went."""

    coef: np.ndarray  # (n_features, n_outputs)
    intercept: np.ndarray  # (n_outputs,)
    n_iter: int
    converged: bool
    objective: float


class _BestFinite:
    """Wraps an objective; remembers the best finite point it evaluated.

    L-BFGS can step into overflow on pathological data; the fit then falls
    back to the best finite point instead of returning NaN coefficients.
    """

    def __init__(self, function):
        self.function = function
        self.theta = None
        self.value = np.inf

    def __call__(self, theta):
        value, gradient = self.function(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            # Tell the line search to back off.
            return np.inf, np.zeros_like(theta)
        if value < self.value:
            self.value, self.theta = value, theta.copy()
        return value, gradient


@functools.cache
def _threadpool_controller():
    return ThreadpoolController()


def _with_single_threaded_blas(function):
    """``function`` run with BLAS on one thread (the setting is restored after).

    While L-BFGS runs, the products are on cache-sized blocks of X, too
    small for BLAS threads to pay, and OpenBLAS's idle threads spin after
    each of L-BFGS-B's own vector operations, taking the cores from the
    evaluations: limiting them made fits up to 2.5x faster on 2 cores.
    Sparse X gets its parallelism from skloss's own threads (``_blocks``).
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _threadpool_controller().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


def _lbfgs(function, theta, max_iter, tol):
    """Run L-BFGS-B; return (theta, n_iter, converged, message, value at theta)."""
    tracked = _BestFinite(function)
    result = scipy.optimize.minimize(
        tracked,
        theta,
        method="L-BFGS-B",
        jac=True,
        options={
            "maxiter": max_iter,
            "maxfun": 20 * max_iter + 20,
            "gtol": tol,
            # Stop on the gradient, not on a stalled decrease.
            "ftol": 0.0,
            "maxls": 50,
        },
    )
    theta = result.x
    value = result.fun
    if tracked.theta is not None and (not np.isfinite(value) or tracked.value < value):
        theta, value = tracked.theta, tracked.value
    if tracked.theta is None:
        # Not even the starting point was finite: keep it, the caller warns.
        return theta, result.nit, False, "the objective was not finite", value
    # A failed line search at a tiny gradient is the floating-point floor,
    # not a failure to converge.
    gradient = result.jac if theta is result.x else function(theta)[1]
    gradient_norm = np.max(np.abs(gradient), initial=0.0)
    converged = result.status == 0 or (result.status != 1 and gradient_norm <= max(tol, 1e-7))
    return theta, result.nit, converged, str(result.message), value


def _caller_stacklevel():
    """The ``stacklevel`` that points a warning at the first frame outside skloss."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


@_with_single_threaded_blas
def fit_linear_model(
    X,
    y,
    loss,
    *,
    sample_weight,
    alpha,
    fit_intercept,
    max_iter,
    tol,
    coef_init=None,
    intercept_init=None,
):
    """Minimise the penalised mean loss of a linear model.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
        Target, encoded for ``loss``.
    loss : Loss
    sample_weight : ndarray of shape (n_samples,)
        Non-negative, with a positive sum.
    alpha : float
        L2 penalty strength on the coefficients (not the intercept).
    fit_intercept : bool
    max_iter : int
        Maximum number of L-BFGS iterations, over all continuation stages.
    tol : float
        L-BFGS-B stops when the largest projected gradient entry is below it.
    coef_init : ndarray of shape (n_features, n_outputs), default=None
        Starting coefficients (warm start); zeros if None.
    intercept_init : ndarray of shape (n_outputs,), default=None
        Starting intercept; the loss's best constant if None.

    Returns
    -------
    FitResult
    """
    objective = make_objective(X, y, loss, sample_weight, alpha, fit_intercept)
    if coef_init is None:
        coef_init = np.zeros((objective.n_features, objective.n_outputs))
    if intercept_init is None:
        intercept_init = loss.init_raw(y, sample_weight) if fit_intercept else np.zeros(y.shape[1])
    theta = objective.pack(coef_init, intercept_init)

    if loss.is_smooth:
        theta, n_iter, converged, message, value = _lbfgs(
            objective.value_and_gradient, theta, max_iter, tol
        )
    else:
        theta, n_iter, converged, message = _continuation(objective, theta, max_iter, tol)
        # The smoothed losses' values are not the objective: evaluate it.
        value = objective.value(theta)

    if not converged:
        warnings.warn(
            f"L-BFGS-B did not converge ({message}) after {n_iter} iterations "
            f"(max_iter={max_iter}, tol={tol}). Increase max_iter, loosen tol, "
            "or scale the features (for example with StandardScaler).",
            ConvergenceWarning,
            stacklevel=_caller_stacklevel(),
        )
    coef, intercept = objective.unpack(theta)
    return FitResult(
        coef=coef.copy(),
        intercept=intercept.copy(),
        n_iter=n_iter,
        converged=converged,
        objective=value,
    )


def _smoothed_stage(objective, theta, smooth, width, max_iter, tol):
    """Minimise the objective under the smoothed loss ``smooth`` of width ``width``.

    For a loss with its kink at ``raw == y``, when few samples are near
    their kinks, the stage runs on those only (:mod:`skloss._screening`),
    until a pass over all of X confirms that no other sample came near.

    Returns
    -------
    theta, n_iter, converged, message
    screened : ScreenedObjective or None
        The objective the stage was solved on, if screened.
    """
    n_iter, near = 0, None
    if objective.loss.kink_at_target:
        raw = objective.raw_output(theta)
        near = near_samples(objective, raw, width)
    while near is not None and n_iter < max_iter:
        screened = ScreenedObjective(objective, raw, near, smooth)
        start = screened.pack(*objective.unpack(theta))
        result, stage_iter, converged, message, _ = _lbfgs(
            screened.value_and_gradient_under(smooth), start, max_iter - n_iter, tol
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
    theta, stage_iter, converged, message, _ = _lbfgs(
        lambda t: objective.value_and_gradient(t, smooth), theta, max_iter - n_iter, tol
    )
    return theta, n_iter + stage_iter, converged, message, None


def _exact_step(objective, theta, screened, width, scale, last_chance):
    """The exact finish (:func:`skloss._kinks.kink_step`), on the screened problem if any.

    A screened candidate stands for the full problem only while every far
    sample is still strictly on its side of its kink: checked by one pass.
    Returns ``(theta, certified)``.
    """
    if screened is None:
        return kink_step(objective, theta, width, scale, last_chance)
    start = screened.pack(*objective.unpack(theta))
    candidate, certified = kink_step(screened, start, width, scale, last_chance)
    candidate = objective.pack(*screened.unpack(candidate))
    if np.any(screened.came_near(objective.raw_output(candidate), 0.0)):
        return theta, False
    return candidate, certified


def _continuation(objective, theta, max_iter, tol):
    """Minimise a non-smooth loss through smoothed losses of shrinking width.

    For a loss with its kink at ``raw == y``, every stage ends with an exact
    step (:func:`skloss._kinks.kink_step`); once that step comes with an optimality
    certificate the fit stops, usually long before the narrowest width.
    """
    loss = objective.loss
    raw = objective.raw_output(theta)
    weight = objective.sample_weight / np.sum(objective.sample_weight)
    scale = float(weight @ np.mean(np.abs(objective.y - raw), axis=1))
    if not scale > 0:
        # Every residual is already zero: the start is optimal.
        return theta, 0, True, "all residuals are zero"

    n_iter, converged, message = 0, True, ""
    for width in scale * _SMOOTHING_WIDTHS:
        budget = max_iter - n_iter
        if budget <= 0:
            converged = False
            message = "the iteration budget ran out during smoothing continuation"
            break
        theta, stage_iter, converged, message, screened = _smoothed_stage(
            objective, theta, loss.smoothed(width), width, budget, tol
        )
        n_iter += stage_iter
        if loss.kink_at_target:
            last_chance = width == scale * _SMOOTHING_WIDTHS[-1]
            theta, certified = _exact_step(objective, theta, screened, width, scale, last_chance)
            if certified:
                return theta, n_iter, True, "optimality certified"
    return theta, n_iter, converged, message
