"""The one call of scipy's L-BFGS-B, guarded against overflow, with BLAS on one thread."""

import functools

import numpy as np
import scipy.optimize

from ._blocks import threadpool_controller

# Function evaluations allowed per iteration: a line search usually takes
# one or two; the cap only ends runs whose line searches keep failing.
_EVALUATIONS_PER_ITERATION = 20
# Line-search steps per iteration (scipy's default is 20): overflowing
# trial points return inf and need room to back off.
_MAX_LINE_SEARCH = 50
# Gradient size below which a failed line search counts as converged: the
# floating-point floor of an objective of order one.
_GRADIENT_FLOOR = 1e-7
# Curvature pairs of the gap estimate: L-BFGS-B's default memory.
_MEMORY = 10


class _BestFinite:
    """Wraps an objective; remembers the best finite point it evaluated.

    L-BFGS can step into overflow on pathological data; the fit then falls
    back to the best finite point instead of returning NaN coefficients.
    """

    def __init__(self, function):
        self.function = function
        self.theta = None
        self.value = np.inf
        self.start_value = None
        self.last_gradient = None

    def __call__(self, theta):
        value, gradient = self.function(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            # Tell the line search to back off.
            return np.inf, np.zeros_like(theta)
        if self.start_value is None:
            self.start_value = value
        self.last_gradient = gradient
        if value < self.value:
            self.value, self.theta = value, theta.copy()
        return value, gradient


def projected_gradient(theta, gradient, bounds):
    """``gradient`` without the entries that push out of the box at a bound."""
    if bounds is None:
        return gradient
    # At a bound, a gradient pushing out of the box is no descent direction.
    blocked = ((theta <= bounds.lb) & (gradient > 0)) | ((theta >= bounds.ub) & (gradient < 0))
    return np.where(blocked, 0.0, gradient)


class _StoppingRule:
    """L-BFGS-B callback: stops the run once the iterate passes :meth:`met`.

    The optimizer's coordinates make the Hessian of a loss of unit
    curvature about the identity, so ``|g|_inf <= tol`` leaves a gap of
    about ``|g|^2 / 2 <= n tol^2 / 2``. Near-separable classes or an
    interpolating wide ridge fit have an optimum, and a curvature, many
    times smaller than at the start: there the same gradient leaves a gap
    far larger than the objective. The rule therefore also asks the
    quasi-Newton estimate of the gap, ``g^T H g / 2`` with ``H`` the
    inverse Hessian of the last steps' curvature pairs, to be below
    ``n tol^2 / 2`` times ``min(1, value / start value)``: the same bound on
    an ordinary fit, a bound relative to the optimum's depth on a deep one.
    """

    def __init__(self, tracked, tol, bounds):
        self.tracked = tracked
        self.tol = tol
        self.bounds = bounds
        self.pairs = []
        self.previous = None
        self.met = False

    def gap_limit(self, value, n):
        depth = 1.0
        start = self.tracked.start_value
        if start is not None and 0 < value < start:
            depth = value / start
        return 0.5 * n * self.tol**2 * depth

    def estimated_gap(self, gradient):
        """``g^T H g / 2`` by the two-loop recursion (``H = I`` before any pair)."""
        q, coefficients = gradient.copy(), []
        for step, change in reversed(self.pairs):
            rho = 1.0 / (change @ step)
            a = rho * (step @ q)
            q -= a * change
            coefficients.append((rho, a))
        if self.pairs:
            step, change = self.pairs[-1]
            q *= (step @ change) / (change @ change)
        for (step, change), (rho, a) in zip(self.pairs, reversed(coefficients), strict=True):
            q += step * (a - rho * (change @ q))
        return 0.5 * float(gradient @ q)

    def met_at(self, theta, value, gradient):
        gradient = projected_gradient(theta, gradient, self.bounds)
        if np.max(np.abs(gradient), initial=0.0) > self.tol:
            return False
        return self.estimated_gap(gradient) <= self.gap_limit(value, theta.size)

    def __call__(self, intermediate_result):
        # The last evaluation is at the new iterate: the line search ends there.
        theta, gradient = intermediate_result.x.copy(), self.tracked.last_gradient
        if self.previous is not None:
            step, change = theta - self.previous[0], gradient - self.previous[1]
            if step @ change > 1e-12 * (step @ step + change @ change):
                self.pairs = [*self.pairs[1 - _MEMORY :], (step, change)]
        self.previous = theta, gradient
        if self.met_at(theta, intermediate_result.fun, gradient):
            self.met = True
            raise StopIteration


def lbfgs(function, theta, max_iter, tol, bounds=None, interrupt=None, start_value=None):
    """Minimise ``function`` (theta -> value, gradient) from ``theta``.

    Stops when the largest projected gradient entry is below ``tol`` and the
    estimated gap is small relative to the objective (:class:`_StoppingRule`).
    ``bounds`` (a ``scipy.optimize.Bounds``) keeps ``theta`` in a box; the
    start is moved into it.

    ``interrupt(theta, gradient)``, if given, is asked after every iteration
    the rule did not stop: True ends the run there (the caller knows why).
    ``start_value`` is the objective at the start of a run this one
    continues (the rule's depth is relative to it); the value at ``theta``
    if None.

    Returns
    -------
    theta, n_iter, converged, message, value
        ``value`` is the function at the returned ``theta``.
    """
    tracked = _BestFinite(function)
    tracked.start_value = start_value
    if bounds is not None:
        theta = np.clip(theta, bounds.lb, bounds.ub)
    rule = _StoppingRule(tracked, tol, bounds)

    def callback(intermediate_result):
        rule(intermediate_result)
        if interrupt(intermediate_result.x, tracked.last_gradient):
            raise StopIteration

    result = scipy.optimize.minimize(
        tracked,
        theta,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        options={
            "maxiter": max_iter,
            "maxfun": _EVALUATIONS_PER_ITERATION * (max_iter + 1),
            # The callback tests every iterate; scipy's own test would stop
            # on the gradient alone (0 still stops at a stationary start).
            "gtol": 0.0,
            # Stop on the gradient, not on a stalled decrease.
            "ftol": 0.0,
            "maxls": _MAX_LINE_SEARCH,
        },
        callback=rule if interrupt is None else callback,
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
    gradient = projected_gradient(theta, gradient, bounds)
    gradient_norm = np.max(np.abs(gradient), initial=0.0)
    converged = (
        rule.met
        or result.status == 0
        or (result.status != 1 and gradient_norm <= max(tol, _GRADIENT_FLOOR))
    )
    return theta, result.nit, converged, str(result.message), value


def with_single_threaded_blas(function):
    """``function`` run with BLAS on one thread (the setting is restored after).

    While L-BFGS runs, the products are on cache-sized blocks of X, too
    small for BLAS threads to pay, and OpenBLAS's idle threads spin after
    each of L-BFGS-B's own vector operations, taking the cores from the
    evaluations: limiting them made fits up to 2.5x faster on 2 cores.
    Sparse X gets its parallelism from skloss's own threads (``_blocks``).
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threadpool_controller().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper
