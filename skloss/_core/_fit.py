"""The shared fitting core's entry point: every estimator is fitted here, by L-BFGS-B.

One fit: the target is put in units of its own spread (:mod:`._units`),
the arrays become a :class:`FitProblem`, :func:`make_objective` picks the
objective for the loss, and L-BFGS-B minimises it (whitening X midway if
it progresses slowly, :mod:`._late_whitening`); a non-smooth loss goes through
:func:`~skloss._core._nonsmooth.minimise_non_smooth` instead.
"""

import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._kernel_ridge import kernel_ridge_solution, solves_directly
from ._late_whitening import minimise_smooth
from ._lbfgs import with_single_threaded_blas
from ._nonsmooth import minimise_non_smooth
from ._objective import LinearObjective, is_half_squared_error, make_objective
from ._parametrisation import Reparametrisation
from ._problem import make_problem
from ._start import starting_intercept
from ._units import TargetUnits


@dataclass
class FitResult:
    """What the core returns: fitted parameters and how the fit went."""

    coef: np.ndarray  # (n_features, n_outputs)
    intercept: np.ndarray  # (n_outputs,)
    n_iter: int
    objective: float


def _caller_stacklevel():
    """The ``stacklevel`` that points a warning at the first frame outside skloss."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


@with_single_threaded_blas
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
    offset=None,
    coef_bounds=None,
):
    """Minimise the penalised mean loss of a linear model.

    Parameters
    ----------
    X : {ndarray, CSR or CSC matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
        Target, encoded for ``loss``.
    loss : Loss
        Resolved and validated (:func:`skloss._loss_resolution.resolve_loss`).
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
        Starting intercept; the loss's best constant (given the offsets) if None.
    offset : ndarray of shape (n_samples, n_outputs), default=None
        Known terms of the raw output, ``z = X W + b + offset``; none if None.
    coef_bounds : tuple, default=None
        ``(lower, upper)`` bounds of the coefficients, each None or
        broadcastable to (n_features, n_outputs); unbounded if None.

    Returns
    -------
    FitResult
    """
    units = TargetUnits.of(loss, y, sample_weight)
    loss = units.loss
    y = units.to_fitted(y)
    problem = make_problem(
        X,
        y,
        sample_weight,
        units.alpha(alpha),
        fit_intercept,
        units.to_fitted(offset),
        units.bounds(coef_bounds),
    )
    if solves_directly(problem, is_half_squared_error(loss)):
        solution = kernel_ridge_solution(problem)
        if solution is not None:
            return _direct_result(problem, loss, units, *solution)
    objective = make_objective(problem, loss)
    if coef_init is None:
        coef_init = np.zeros((problem.n_features, problem.n_outputs))
    if intercept_init is None and (offset is None or not fit_intercept):
        intercept_init = (
            loss.init_raw(y, sample_weight) if fit_intercept else np.zeros(problem.n_outputs)
        )
    elif intercept_init is None:
        intercept_init = starting_intercept(problem, loss, tol)
    else:
        intercept_init = units.to_fitted(intercept_init)
    theta = objective.pack(units.to_fitted(coef_init), intercept_init)
    bounds = objective.theta_bounds()
    if bounds is not None:
        # A warm start from an unbounded fit may lie outside the bounds.
        theta = np.clip(theta, bounds.lb, bounds.ub)

    if loss.is_smooth:
        # The objective may come back in whitened coordinates (_late_whitening).
        objective, theta, n_iter, converged, message, value = minimise_smooth(
            objective, theta, max_iter, tol, bounds
        )
    else:
        theta, n_iter, converged, message = minimise_non_smooth(objective, theta, max_iter, tol)
        value = None
    if value is None or X.dtype != np.float64 or not isinstance(objective, LinearObjective):
        # The reported objective is the float64 objective at the returned
        # coefficients: not a smoothed loss's, nor one from float32
        # products or from moments.
        value = objective.exact_value(theta)

    if not converged:
        warnings.warn(
            f"The fit did not converge ({message}) after {n_iter} L-BFGS-B iterations "
            f"(max_iter={max_iter}, tol={tol}). Increase max_iter, loosen tol, "
            "or scale the features (for example with StandardScaler).",
            ConvergenceWarning,
            stacklevel=_caller_stacklevel(),
        )
    limitation = objective.limitation()
    if limitation is not None:
        warnings.warn(limitation + ".", ConvergenceWarning, stacklevel=_caller_stacklevel())
    coef, intercept = objective.unpack(theta)
    return FitResult(
        coef=units.to_user(coef),
        intercept=units.to_user(intercept),
        n_iter=n_iter,
        objective=units.factor * value,
    )


def _direct_result(problem, loss, units, coef, intercept):
    """The result of a direct solve: one iteration, its objective by a float64 pass."""
    identity = Reparametrisation(
        np.ones(problem.n_features),
        np.zeros(problem.n_features),
        np.zeros(problem.n_outputs),
        problem.n_outputs,
        problem.fit_intercept,
    )
    objective = LinearObjective(problem, loss, identity)
    value = objective.exact_value(objective.pack(coef, intercept))
    return FitResult(
        coef=units.to_user(coef),
        intercept=units.to_user(intercept),
        n_iter=1,
        objective=units.factor * value,
    )
