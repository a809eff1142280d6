"""``loss="huber"``: a threshold relative to the residuals' spread, so fits scale with y."""

import numpy as np
import pytest
import scipy.stats
from sklearn.linear_model import HuberRegressor, LinearRegression

from skloss import LinearRegressor
from skloss.losses import Huber


def _contaminated_line(n=2_000, noise=10.0, seed=0):
    """y = 150 + 30 x1 - 20 x2 + N(0, noise^2), with 10% gross outliers in y."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = 150.0 + X @ np.array([30.0, -20.0]) + rng.normal(scale=noise, size=n)
    outliers = rng.random(n) < 0.1
    y[outliers] += rng.uniform(300.0, 600.0, size=outliers.sum())
    return X, y


@pytest.mark.parametrize("factor", [1e-3, 1e-1, 1e3, 1e6])
def test_huber_coefficients_scale_exactly_with_y(factor):
    X, y = _contaminated_line()
    reference = LinearRegressor(loss="huber", tol=1e-10).fit(X, y)
    scaled = LinearRegressor(loss="huber", tol=1e-10).fit(X, factor * y)
    np.testing.assert_allclose(scaled.coef_, factor * reference.coef_, rtol=1e-8)
    assert scaled.intercept_ == pytest.approx(factor * reference.intercept_, rel=1e-8)
    assert scaled.loss_.delta == pytest.approx(factor * reference.loss_.delta, rel=1e-8)


def test_huber_threshold_is_1_345_noise_standard_deviations():
    # The noise sd is 10. The MAD-based sigma of the residuals estimates it
    # (sampling error ~3% on 2,000 residuals), inflated by the 10% outliers:
    # the median |residual| m solves 0.9 P(|N(0, 10^2)| <= m) = 1/2.
    X, y = _contaminated_line(noise=10.0)
    model = LinearRegressor(loss="huber").fit(X, y)
    assert isinstance(model.loss_, Huber)
    mad = 10.0 * scipy.stats.norm.ppf(0.5 + 0.5 * (0.5 / 0.9))
    sigma = mad / scipy.stats.norm.ppf(0.75)
    assert model.loss_.delta == pytest.approx(1.345 * sigma, rel=0.06)
    assert model.loss == "huber"  # the parameter is left as given


def test_huber_default_is_robust_like_scikit_learns_huber_regressor():
    # HuberRegressor estimates its scale jointly with the coefficients (a
    # different estimator of sigma): the fits agree closely, both recover the
    # clean line, and least squares is pulled away by the outliers.
    X, y = _contaminated_line()
    ours = LinearRegressor(loss="huber", tol=1e-8).fit(X, y)
    theirs = HuberRegressor(epsilon=1.345, alpha=0.0, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0.02)
    np.testing.assert_allclose(ours.coef_, [30.0, -20.0], rtol=0.05)
    assert abs(ours.intercept_ - 150.0) < 3.0
    least_squares = LinearRegression().fit(X, y)
    assert abs(least_squares.intercept_ - 150.0) > 30.0


def test_huber_object_keeps_its_absolute_delta():
    X, y = _contaminated_line()
    model = LinearRegressor(loss=Huber(delta=1.0)).fit(X, y)
    assert model.loss_ == Huber(delta=1.0)
    # With delta = 1 on residuals of size ~10 the fit is nearly the median
    # fit, and not scale-equivariant: scaling y by 1000 gives another model.
    scaled = LinearRegressor(loss=Huber(delta=1.0)).fit(X, 1000 * y)
    assert not np.allclose(scaled.coef_, 1000 * model.coef_, rtol=1e-3)


def test_huber_with_a_constant_or_exactly_fitted_target_is_finite():
    X = np.arange(20.0).reshape(-1, 1)
    constant = LinearRegressor(loss="huber").fit(X, np.full(20, 3.0))
    assert constant.predict(X) == pytest.approx(np.full(20, 3.0), abs=1e-6)
    exact = LinearRegressor(loss="huber", tol=1e-10).fit(X, 2.0 * X[:, 0] + 1.0)
    assert exact.coef_ == pytest.approx([2.0], rel=1e-6)
    assert np.isfinite(exact.loss_.delta) and exact.loss_.delta > 0


def test_huber_with_sample_weights_equals_repetition():
    X, y = _contaminated_line(n=300)
    weight = np.random.default_rng(1).integers(1, 4, size=len(y))
    weighted = LinearRegressor(loss="huber", tol=1e-10).fit(X, y, sample_weight=weight)
    repeated = LinearRegressor(loss="huber", tol=1e-10).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6)
    assert weighted.loss_.delta == pytest.approx(repeated.loss_.delta, rel=1e-6)
