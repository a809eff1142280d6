"""The one call of scipy's L-BFGS-B, guarded against overflow, with BLAS on one thread."""

import functools

import numpy as np
import scipy.optimize
from threadpoolctl import ThreadpoolController

# Function evaluations allowed per iteration: a line search usually takes
# one or two; the cap only ends runs whose line searches keep failing.
_EVALUATIONS_PER_ITERATION = 20
# Line-search steps per iteration (scipy's default is 20): overflowing
# trial points return inf and need room to back off.
_MAX_LINE_SEARCH = 50
# Gradient size below which a failed line search counts as converged: the
# floating-point floor of an objective of order one.
_GRADIENT_FLOOR = 1e-7


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


def lbfgs(function, theta, max_iter, tol):
    """Minimise ``function`` (theta -> value, gradient) from ``theta``.

    Stops when the largest projected gradient entry is below ``tol``.

    Returns
    -------
    theta, n_iter, converged, message, value
        ``value`` is the function at the returned ``theta``.
    """
    tracked = _BestFinite(function)
    result = scipy.optimize.minimize(
        tracked,
        theta,
        method="L-BFGS-B",
        jac=True,
        options={
            "maxiter": max_iter,
            "maxfun": _EVALUATIONS_PER_ITERATION * (max_iter + 1),
            "gtol": tol,
            # Stop on the gradient, not on a stalled decrease.
            "ftol": 0.0,
            "maxls": _MAX_LINE_SEARCH,
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
    converged = result.status == 0 or (
        result.status != 1 and gradient_norm <= max(tol, _GRADIENT_FLOOR)
    )
    return theta, result.nit, converged, str(result.message), value


@functools.cache
def _threadpool_controller():
    return ThreadpoolController()


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
        with _threadpool_controller().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper
