"""Property tests of the fitting core over shapes, units, weights, sparsity and dtypes.

Truths: weighted least squares solved in float64 (squared error) and the
weighted linear program solved by HiGHS (absolute error).
"""

import warnings

import numpy as np
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from skloss import LinearGaussianRegressor, MedianRegressor

PROBLEMS = st.fixed_dictionaries(
    {
        "n": st.integers(15, 60),
        "d": st.integers(1, 5),
        "y_exponent": st.integers(-60, 60),
        "column_exponent": st.integers(-8, 8),
        "weighted": st.booleans(),
        "sparse": st.booleans(),
        "float32": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)


def _data(problem):
    rng = np.random.default_rng(problem["seed"])
    n, d = problem["n"], problem["d"]
    X = rng.normal(size=(n, d)) + rng.uniform(-3, 3, size=d)
    X[rng.random((n, d)) < 0.2] = 0.0
    X[:, 0] *= 10.0 ** problem["column_exponent"]
    if problem["float32"]:
        X = X.astype(np.float32)
    y = (X.astype(float) @ rng.normal(size=d) + rng.standard_t(3.0, size=n)) * 10.0 ** problem[
        "y_exponent"
    ]
    weight = rng.uniform(0.2, 3.0, size=n) if problem["weighted"] else np.ones(n)
    fitted_X = scipy.sparse.csr_matrix(X) if problem["sparse"] else X
    return X.astype(float), fitted_X, y, weight


@settings(max_examples=25, deadline=None, derandomize=True)
@given(PROBLEMS)
def test_least_squares_fit_is_weighted_least_squares(problem):
    X, fitted_X, y, weight = _data(problem)
    model = LinearGaussianRegressor(tol=1e-8).fit(fitted_X, y, sample_weight=weight)
    root = np.sqrt(weight)[:, np.newaxis]
    design = np.column_stack([X, np.ones(len(y))]) * root
    solution = np.linalg.lstsq(design, y * root[:, 0], rcond=None)[0]
    prediction = X @ model.coef_ + model.intercept_
    expected = np.column_stack([X, np.ones(len(y))]) @ solution
    spread = np.std(y)
    np.testing.assert_allclose(prediction, expected, atol=1e-5 * spread)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(PROBLEMS)
def test_median_fit_reaches_the_weighted_linear_program_or_warns(problem):
    X, fitted_X, y, weight = _data(problem)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = MedianRegressor().fit(fitted_X, y, sample_weight=weight)
    n, d = X.shape
    share = weight / weight.sum()
    cost = np.concatenate([np.zeros(d + 1), share, share])
    # HiGHS's tolerances are absolute: give it columns and y of unit size
    # (the same linear program in other units).
    column_units = np.where(np.abs(X).max(axis=0) > 0, np.abs(X).max(axis=0), 1.0)
    equality = np.hstack([X / column_units, np.ones((n, 1)), np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * (d + 1) + [(0, None)] * (2 * n)
    units = np.abs(y).max()
    optimum = units * linprog(cost, A_eq=equality, b_eq=y / units, bounds=bounds).fun
    ours = share @ np.abs(y - X @ model.coef_ - model.intercept_)
    # HiGHS solves to a feasibility tolerance of 1e-7 on the unit problem.
    slack = 1e-7 * units
    if not any(issubclass(w.category, ConvergenceWarning) for w in caught):
        assert ours <= optimum * (1 + 1e-8) + slack
    else:
        assert ours <= optimum * (1 + 1e-4) + slack
