"""positive=True: non-negative coefficients, against the references' constrained fits.

Truths: scikit-learn's Ridge(positive=True) (``alpha=a`` here is
``Ridge(alpha=a * n_samples)``), scipy's non-negative least squares at
``alpha=0`` without intercept, the HiGHS linear program with bounds for
the absolute and pinball losses, and scipy's L-BFGS-B on the Poisson
objective written out here.
"""

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from sklearn.linear_model import Ridge

from skloss import LinearGaussianRegressor, LinearRegressor, MedianRegressor
from skloss.losses import Pinball

TIGHT = {"tol": 1e-10, "max_iter": 10_000}


def _data(n=200, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    X[:, 1] += 0.8 * X[:, 0]  # correlated: the bounds interact
    coef = np.resize([1.0, -2.0, 0.5, -0.3, 0.0, 2.0], n_features)
    return X, X @ coef + 3.0 + rng.standard_t(3, size=n), rng


@pytest.mark.parametrize("alpha", [1e-3, 0.1])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_positive_squared_error_equals_ridge_positive(alpha, fit_intercept):
    X, y, _ = _data()
    model = LinearGaussianRegressor(alpha=alpha, positive=True, fit_intercept=fit_intercept)
    model.set_params(**TIGHT).fit(X, y)
    reference = Ridge(alpha=alpha * len(y), positive=True, fit_intercept=fit_intercept)
    reference.set_params(tol=1e-12, max_iter=100_000).fit(X, y)
    assert np.min(model.coef_) >= 0.0
    assert np.sum(model.coef_ == 0) >= 2  # the constraint binds
    assert np.max(np.abs(model.coef_ - reference.coef_)) < 1e-7
    assert abs(model.intercept_ - reference.intercept_) < 1e-7


def test_positive_squared_error_without_penalty_or_intercept_equals_nnls():
    X, y, _ = _data(seed=1)
    model = LinearGaussianRegressor(positive=True, fit_intercept=False, **TIGHT).fit(X, y)
    coef, _ = scipy.optimize.nnls(X, y)
    assert np.max(np.abs(model.coef_ - coef)) < 1e-8


def test_positive_general_objective_on_wide_sparse_data_equals_nnls_on_its_columns():
    # More features than samples, sparse: the general objective with its
    # diagonal scaling (not the Gram path).
    rng = np.random.default_rng(2)
    X = scipy.sparse.random_array((40, 60), density=0.2, random_state=rng, format="csr")
    y = X @ np.abs(rng.normal(size=60)) + rng.normal(size=40)
    model = LinearRegressor(positive=True, fit_intercept=False, alpha=0.1, **TIGHT).fit(X, y)
    # The penalised problem is least squares on [X; sqrt(alpha n) I].
    stacked = np.vstack([X.toarray(), np.sqrt(0.1 * 40) * np.eye(60)])
    coef, _ = scipy.optimize.nnls(stacked, np.r_[y, np.zeros(60)])
    assert np.max(np.abs(model.coef_ - coef)) < 1e-6


def _bounded_quantile_lp(X, y, quantile, fit_intercept):
    """HiGHS on min sum(q u+ + (1 - q) u-) s.t. X w + b + u+ - u- = y, w >= 0, u >= 0."""
    n, p = X.shape
    intercept_column = np.ones((n, 1)) if fit_intercept else np.zeros((n, 1))
    A = np.hstack([X, intercept_column, np.eye(n), -np.eye(n)])
    cost = np.concatenate([np.zeros(p + 1), quantile * np.ones(n), (1 - quantile) * np.ones(n)])
    bounds = [(0, None)] * p + [(None, None)] + [(0, None)] * (2 * n)
    result = scipy.optimize.linprog(cost, A_eq=A, b_eq=y, bounds=bounds, method="highs")
    return result.x[:p], result.x[p], result.fun / n


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_positive_median_regressor_equals_the_bounded_linear_program(seed, fit_intercept):
    X, y, _ = _data(n=150, n_features=5, seed=seed)
    coef, intercept, objective = _bounded_quantile_lp(X, y, 0.5, fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # certified: no ConvergenceWarning
        model = MedianRegressor(positive=True, fit_intercept=fit_intercept).fit(X, y)
    assert np.max(np.abs(model.coef_ - coef)) < 1e-9
    assert abs(model.intercept_ - (intercept if fit_intercept else 0.0)) < 1e-9
    # The absolute error is twice the pinball loss at 0.5.
    assert abs(model.objective_ - 2 * objective) < 1e-12 * objective


def test_positive_pinball_equals_the_bounded_linear_program():
    X, y, _ = _data(n=150, n_features=5, seed=4)
    coef, intercept, objective = _bounded_quantile_lp(X, y, 0.8, True)
    model = LinearRegressor(loss=Pinball(quantile=0.8), positive=True).fit(X, y)
    assert np.max(np.abs(model.coef_ - coef)) < 1e-9
    assert abs(model.objective_ - objective) < 1e-12 * objective


def test_positive_poisson_equals_scipy_bounded_minimisation():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 4))
    y = rng.poisson(np.exp(X @ [0.4, -0.3, 0.2, 0.0] + 0.5)).astype(float)
    alpha = 0.01
    model = LinearRegressor(loss="poisson", alpha=alpha, positive=True, **TIGHT).fit(X, y)

    def objective(params):
        z = X @ params[1:] + params[0]
        value = np.mean(np.exp(z) - y * z) + 0.5 * alpha * params[1:] @ params[1:]
        residual = (np.exp(z) - y) / len(y)
        return value, np.r_[residual.sum(), X.T @ residual + alpha * params[1:]]

    bounds = [(None, None)] + [(0, None)] * 4
    reference = scipy.optimize.minimize(
        objective,
        np.zeros(5),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": 1e-13, "ftol": 0, "maxiter": 10_000},
    )
    assert np.sum(model.coef_ == 0) == 2
    assert np.max(np.abs(np.r_[model.intercept_, model.coef_] - reference.x)) < 1e-7


def test_positive_warm_start_from_an_unconstrained_fit():
    X, y, _ = _data(seed=6)
    cold = LinearRegressor(loss="huber", positive=True, **TIGHT).fit(X, y)
    warm = LinearRegressor(loss="huber", warm_start=True, **TIGHT).fit(X, y)
    assert np.min(warm.coef_) < 0
    warm.set_params(positive=True).fit(X, y)
    assert np.max(np.abs(warm.coef_ - cold.coef_)) < 1e-7


def test_positive_must_be_a_bool():
    with pytest.raises(TypeError, match="'positive' parameter of MedianRegressor must be"):
        MedianRegressor(positive="yes").fit([[0.0], [1.0]], [0.0, 1.0])


@pytest.mark.parametrize("seed", range(2))
def test_positive_penalised_median_regressor_meets_the_kkt_conditions(seed):
    # No reference solver for the bounded quadratic program: HiGHS checks
    # instead that multipliers proving optimality exist. With r the
    # residuals, optimality of (1/n) sum |r_i| + alpha/2 ||w||^2 over w >= 0
    # and free b asks for g_i = -sign(r_i) off the kinks and g_i in [-1, 1]
    # on them, with X^T g / n + alpha w = mu, sum(g) = 0, mu >= 0 and
    # mu_j = 0 where w_j > 0.
    X, y, _ = _data(n=150, n_features=5, seed=seed)
    alpha, n = 0.05, len(y)
    model = MedianRegressor(alpha=alpha, positive=True).fit(X, y)
    residual = y - model.predict(X)
    on_kink = np.abs(residual) < 1e-9 * np.max(np.abs(residual))
    at_bound = model.coef_ == 0
    assert 0 < np.sum(at_bound) < 5 and np.min(model.coef_) >= 0
    fixed_g = np.where(on_kink, 0.0, -np.sign(residual))
    kinks, bounds = np.flatnonzero(on_kink), np.flatnonzero(at_bound)
    # Unknowns: g on the kinks, then mu of the coefficients at their bound.
    A = np.zeros((6, len(kinks) + len(bounds)))
    A[:5, : len(kinks)] = X[kinks].T / n
    A[5, : len(kinks)] = 1.0
    A[bounds, len(kinks) + np.arange(len(bounds))] = -1.0
    b = -np.r_[X.T @ fixed_g / n + alpha * model.coef_, fixed_g.sum()]
    feasible = scipy.optimize.linprog(
        np.zeros(A.shape[1]),
        A_eq=A,
        b_eq=b,
        bounds=[(-1, 1)] * len(kinks) + [(0, None)] * len(bounds),
        method="highs",
    )
    assert feasible.status == 0
