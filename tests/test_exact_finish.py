"""The exact finish of kinked losses: exact on rank-deficient, wide and tied data, or a warning."""

import warnings

import numpy as np
import pytest
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from skloss import LinearRegressor, MedianRegressor
from skloss.losses import Pinball


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return model.fit(X, y)


def _pinball_linear_program(X, y, quantile):
    """Optimal mean pinball loss, by HiGHS: min mean(tau u + (1 - tau) v), X b + c + u - v = y."""
    n, d = X.shape
    cost = np.concatenate(
        [np.zeros(d + 1), np.full(n, quantile / n), np.full(n, (1 - quantile) / n)]
    )
    equality = np.hstack([X, np.ones((n, 1)), np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * (d + 1) + [(0, None)] * (2 * n)
    result = linprog(cost, A_eq=equality, b_eq=y, bounds=bounds, method="highs")
    assert result.status == 0
    return result.fun


def _absolute_error_linear_program(X, y):
    return 2.0 * _pinball_linear_program(X, y, 0.5)


@pytest.mark.parametrize("shape", ["rank 5 of 6", "fewer samples than parameters", "n = p"])
def test_median_fit_is_exact_on_rank_deficient_and_wide_data(shape):
    rng = np.random.default_rng(3)
    n, d, rank = {"rank 5 of 6": (200, 6, 5), "fewer samples than parameters": (8, 12, 8)}.get(
        shape, (10, 9, 9)
    )
    X_ = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, d))
    y_ = X_ @ rng.normal(size=d) + rng.standard_t(2.0, size=n)
    model = _fit_quietly(MedianRegressor(), X_, y_)
    ours = np.mean(np.abs(y_ - X_ @ model.coef_ - model.intercept_))
    optimum = _absolute_error_linear_program(X_, y_)
    assert ours <= optimum + 1e-9 * max(optimum, np.mean(np.abs(y_)))


def test_kinked_fit_that_cannot_be_certified_warns_with_a_bound():
    # Beyond 2000 parameters the exact finish is not attempted.
    rng = np.random.default_rng(4)
    X_ = rng.normal(size=(30, 2001))
    y_ = rng.normal(size=30)
    with pytest.warns(ConvergenceWarning, match=r"could not certify optimality.*at most"):
        model = MedianRegressor().fit(X_, y_)
    ours = np.mean(np.abs(y_ - X_ @ model.coef_ - model.intercept_))
    assert ours >= _absolute_error_linear_program(X_, y_) - 1e-12


@pytest.mark.parametrize("quantile", [0.5, 0.8])
def test_degenerate_vertex_of_tied_data_is_certified_optimal(quantile):
    # Twelve samples on a 3 x 4 grid, eight of them fitted exactly: more
    # samples on their kinks than parameters (scikit-learn's sample-weight
    # checks use these data).
    X_ = np.array([[a, b] for a in (1.0, 2.0, 3.0) for b in (1.0, 2.0, 3.0, 4.0)])
    y_ = np.array([1.0, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1])
    model = MedianRegressor() if quantile == 0.5 else LinearRegressor(loss=Pinball(quantile))
    _fit_quietly(model, X_, y_)
    residual = y_ - X_ @ model.coef_ - model.intercept_
    ours = np.mean(np.maximum(quantile * residual, (quantile - 1) * residual))
    assert ours == pytest.approx(_pinball_linear_program(X_, y_, quantile), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("quantile", [0.5, 0.3])
@pytest.mark.parametrize("exponent", [38, 39, 100])
def test_float32_fit_to_a_target_beyond_float32_range_reaches_the_linear_program(
    quantile, exponent
):
    # The coefficients (about 1e39 and more) are not float32 numbers: the
    # predictions must still be the float64 products, at the optimum found
    # by HiGHS on the same (float64) X to float32 precision.
    rng = np.random.default_rng(5)
    X_ = rng.normal(size=(40, 3)).astype(np.float32)
    y_ = (X_.astype(float) @ [1.0, 2.0, 3.0] + rng.standard_t(3.0, size=40)) * 10.0**exponent
    model = MedianRegressor() if quantile == 0.5 else LinearRegressor(loss=Pinball(quantile))
    model = _fit_quietly(model, X_, y_)
    prediction = model.predict(X_)
    np.testing.assert_allclose(
        prediction, X_.astype(float) @ model.coef_ + model.intercept_, rtol=1e-6
    )
    residual = y_ - prediction
    ours = np.mean(np.maximum(quantile * residual, (quantile - 1) * residual))
    units = 10.0**exponent
    optimum = units * _pinball_linear_program(X_.astype(float), y_ / units, quantile)
    assert abs(ours - optimum) <= 1e-6 * optimum
