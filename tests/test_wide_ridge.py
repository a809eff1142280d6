"""Wide squared-error fits (n < d) are exact solves through the n x n kernel matrix.

Truths: scikit-learn's ``Ridge(solver="svd")`` on the same objective
(``alpha * sum of weights`` as its alpha), numpy's ``lstsq`` (the
minimum-norm least-squares solution) on the weighted, centred data at
``alpha = 0``, and closed forms.
"""

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import Ridge

import skloss._core._kernel_ridge
from skloss import LinearGaussianRegressor, LinearRegressor

FORMATS = {
    "dense": np.asarray,
    "csr": scipy.sparse.csr_matrix,
    "csc": scipy.sparse.csc_matrix,
}


def _wide_data(n, d, seed, dtype=np.float64):
    """Correlated columns on scales 0.01 to 100 with means, a third of them zero."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) / np.sqrt(d) + np.eye(d)
    X = rng.normal(size=(n, d)) @ mixing * 10.0 ** rng.uniform(-2, 2, size=d)
    X += rng.normal(scale=5.0, size=d)
    X[rng.random((n, d)) < 0.3] = 0.0
    X = X.astype(dtype).astype(float)
    y = X @ rng.normal(size=d) / (np.sqrt(d) * X.std()) + rng.normal(scale=0.1, size=n)
    weight = rng.uniform(0.0, 3.0, size=n)
    return X, y, weight


def _objective(X, y, weight, coef, intercept, alpha, offset=0.0):
    residual = (y - offset - X @ coef.T - intercept).reshape(len(y), -1)
    return weight @ np.sum(residual**2, axis=1) / (2 * weight.sum()) + alpha / 2 * np.sum(coef**2)


def _minimum_norm_least_squares(X, y, weight, fit_intercept):
    """``lstsq`` on sqrt(w) (X - mu) and sqrt(w) (y - ybar); the intercept ybar - mu W."""
    weight = weight / weight.sum()
    mean = weight @ X if fit_intercept else np.zeros(X.shape[1])
    y_mean = weight @ y if fit_intercept else 0.0
    root = np.sqrt(weight)
    coef = np.linalg.lstsq(root[:, None] * (X - mean), root * (y - y_mean), rcond=None)[0]
    return coef, y_mean - mean @ coef


@pytest.mark.parametrize("shape", [(20, 60), (40, 41), (6, 300)])
@pytest.mark.parametrize("alpha", [1e-8, 1e-3, 10.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("layout", ["dense", "csr", "csc", "float32"])
def test_wide_ridge_equals_scikit_learn_ridge(shape, alpha, fit_intercept, weighted, layout):
    dtype = np.float32 if layout == "float32" else np.float64
    X, y, weight = _wide_data(*shape, seed=sum(shape), dtype=dtype)
    if not weighted:
        weight = np.ones(len(y))
    fitted_X = X.astype(dtype) if layout == "float32" else FORMATS[layout](X)
    model = LinearGaussianRegressor(alpha=alpha, fit_intercept=fit_intercept)
    model.fit(fitted_X, y, sample_weight=weight)
    reference = Ridge(alpha=alpha * weight.sum(), fit_intercept=fit_intercept, solver="svd")
    reference.fit(X, y, sample_weight=weight)

    ours = _objective(X, y, weight, model.coef_, model.intercept_, alpha)
    theirs = _objective(X, y, weight, reference.coef_, reference.intercept_, alpha)
    assert ours <= theirs * (1 + 1e-9)
    assert model.objective_ == pytest.approx(ours, rel=1e-12)
    assert model.n_iter_ == 1
    if alpha >= 1e-3:
        scale = np.max(np.abs(reference.coef_))
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-7 * scale)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("layout", ["dense", "csr", "csc"])
@pytest.mark.parametrize(
    "degeneracy",
    ["none", "zero_weights", "duplicated_rows", "rank_3", "rank_1_far_out", "constant_columns"],
)
def test_wide_least_squares_is_the_minimum_norm_solution(fit_intercept, layout, degeneracy):
    rng = np.random.default_rng(7)
    X, y, weight = _wide_data(30, 80, seed=7)
    if degeneracy == "zero_weights":
        weight[:10] = 0.0
    elif degeneracy == "duplicated_rows":
        # Same x, different y: no coefficients interpolate them.
        X[15:] = X[:15]
    elif degeneracy == "rank_3":
        X = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 80)) + 2.0
    elif degeneracy == "rank_1_far_out":
        # Spread small next to the means: sparse X X^T cancels the most.
        X = np.outer(rng.normal(size=30), rng.normal(size=80)) + 50.0
    elif degeneracy == "constant_columns":
        X[:, :40] = 3.0
    model = LinearGaussianRegressor(fit_intercept=fit_intercept)
    model.fit(FORMATS[layout](X), y, sample_weight=weight)
    coef, intercept = _minimum_norm_least_squares(X, y, weight, fit_intercept)
    scale = np.max(np.abs(coef))
    np.testing.assert_allclose(model.coef_, coef, rtol=0, atol=1e-8 * scale)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-8, abs=1e-8 * scale)
    assert model.objective_ == pytest.approx(
        _objective(X, y, weight, coef, intercept, 0.0), rel=1e-6, abs=1e-12 * np.mean(y**2)
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_features_without_spread_give_zero_coefficients_and_the_mean(fit_intercept):
    rng = np.random.default_rng(0)
    X = np.full((10, 30), 2.0)
    y = rng.normal(size=10)
    weight = rng.uniform(0.5, 2.0, size=10)
    model = LinearGaussianRegressor(alpha=0.0).fit(X, y, sample_weight=weight)
    # With an intercept the constant columns are absorbed by it.
    np.testing.assert_array_equal(model.coef_, 0.0)
    assert model.intercept_ == pytest.approx(weight @ y / weight.sum(), rel=1e-12)
    no_intercept = LinearGaussianRegressor(alpha=0.0, fit_intercept=False)
    no_intercept.fit(X, y, sample_weight=weight)
    # Minimum norm: the same weight on every identical column.
    share = (weight @ y) / (weight.sum() * 2.0 * 30)
    np.testing.assert_allclose(no_intercept.coef_, share, rtol=1e-10)


@pytest.mark.parametrize("alpha", [0.0, 1e-6, 1.0])
def test_wide_fit_with_offsets_and_several_outputs_equals_ridge_on_y_minus_offsets(alpha):
    X, y, weight = _wide_data(25, 70, seed=3)
    rng = np.random.default_rng(3)
    Y = np.column_stack([y, rng.normal(size=25)])
    offset = rng.normal(scale=3.0, size=(25, 2))
    model = LinearRegressor(loss="squared_error", alpha=alpha)
    model.fit(X, Y, sample_weight=weight, offset=offset)
    if alpha:
        reference = Ridge(alpha=alpha * weight.sum(), solver="svd")
        reference.fit(X, Y - offset, sample_weight=weight)
        coef, intercept = reference.coef_, reference.intercept_
    else:
        parts = [
            _minimum_norm_least_squares(X, Y[:, k] - offset[:, k], weight, True) for k in (0, 1)
        ]
        coef, intercept = np.array([p[0] for p in parts]), np.array([p[1] for p in parts])
    np.testing.assert_allclose(model.coef_, coef, rtol=0, atol=1e-7 * np.max(np.abs(coef)))
    ours = _objective(X, Y, weight, model.coef_, model.intercept_, alpha, offset)
    theirs = _objective(X, Y, weight, coef, intercept, alpha, offset)
    assert ours <= theirs * (1 + 1e-9) + 1e-14
    assert model.objective_ == pytest.approx(ours, rel=1e-10, abs=1e-14)


def _plain_data(n, d, seed):
    """Independent standard normal features: L-BFGS converges on these."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, X @ rng.normal(size=d) + rng.normal(size=n), rng.uniform(0.5, 2.0, size=n)


def test_wide_problems_beyond_the_kernel_cap_are_fitted_by_lbfgs(monkeypatch):
    X, y, weight = _plain_data(20, 60, seed=1)
    monkeypatch.setattr(skloss._core._kernel_ridge, "MAX_KERNEL_SAMPLES", 19)
    model = LinearGaussianRegressor(alpha=1e-2, tol=1e-10).fit(X, y, sample_weight=weight)
    reference = Ridge(alpha=1e-2 * weight.sum(), solver="svd").fit(X, y, sample_weight=weight)
    assert model.n_iter_ > 1
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-6)


def test_positive_wide_fit_stays_on_the_bounded_path():
    X, y, weight = _plain_data(20, 60, seed=2)
    model = LinearGaussianRegressor(alpha=1e-2, positive=True, tol=1e-10)
    model.fit(X, y, sample_weight=weight)
    assert np.all(model.coef_ >= 0) and np.any(model.coef_ == 0) and model.n_iter_ > 1


@pytest.mark.parametrize("units", [1e-300, 1e-160, 1e-100, 1e100, 1e150])
@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_wide_least_squares_scales_exactly_with_the_units_of_x(units, layout):
    # The minimum-norm solution of s X is that of X divided by s, even
    # where the squares of s X underflow or approach overflow.
    X, y, weight = _wide_data(15, 40, seed=4)
    coef, intercept = _minimum_norm_least_squares(X, y, weight, True)
    model = LinearGaussianRegressor().fit(FORMATS[layout](X * units), y, sample_weight=weight)
    np.testing.assert_allclose(model.coef_ * units, coef, rtol=0, atol=1e-8 * np.max(np.abs(coef)))
    assert model.intercept_ == pytest.approx(intercept, rel=1e-8)


@pytest.mark.parametrize("units", [1e13, 1e-13])
@pytest.mark.parametrize("alpha", [0.0, 1e-3])
def test_wide_fit_with_one_column_in_extreme_units_still_fits_the_others(units, alpha):
    # K squares the units: a column in units of 1e13 hid every other one
    # below K's rounding level (residuals of 3 where the data interpolate).
    rng = np.random.default_rng(1)
    n, d = 40, 120
    X = rng.normal(size=(n, d))
    y = X[:, :5] @ rng.normal(size=5) + 0.1 * rng.normal(size=n)
    X[:, 0] *= units
    model = LinearGaussianRegressor(alpha=alpha, tol=1e-10).fit(X, y)
    if alpha == 0.0:
        # n < d, X of full row rank: the least-squares fits interpolate.
        np.testing.assert_allclose(model.predict(X), y, rtol=0, atol=1e-6)
    else:
        reference = Ridge(alpha=alpha * n, solver="svd").fit(X, y)

        def objective(coef, intercept):
            residual = y - X @ coef - intercept
            return residual @ residual / (2 * n) + 0.5 * alpha * coef @ coef

        theirs = objective(reference.coef_, reference.intercept_)
        assert objective(model.coef_, model.intercept_) - theirs <= 1e-6 * theirs
