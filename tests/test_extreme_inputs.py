"""Input at the edges of float64: exact fixes where they exist, clear errors otherwise."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    MixtureDensityRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3))
Y_REG = X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(size=60)
Y_BIN = (X[:, 0] + RNG.normal(size=60) > 0).astype(int)

CASES = [
    (LinearRegressor(loss="huber", tol=1e-10), Y_REG),
    (LinearGaussianRegressor(tol=1e-10), Y_REG),
    (MedianRegressor(), Y_REG),
    (SigmoidClassifier(tol=1e-10), Y_BIN),
    (SoftmaxClassifier(tol=1e-10), Y_BIN),
    (HeteroscedasticRegressor(tol=1e-10), Y_REG),
    (MixtureDensityRegressor(n_components=2, alpha=1e-2, tol=1e-8), Y_REG),
]
IDS = [type(model).__name__ for model, _ in CASES]
REGRESSION_CASES = [(model, y) for model, y in CASES if y is Y_REG]


def _fitted_values(model):
    return np.concatenate([np.ravel(model.coef_), np.ravel(model.intercept_)])


@pytest.mark.parametrize("model, y", CASES, ids=IDS)
@pytest.mark.parametrize("scale", [1e308, 1e-310])
def test_weights_whose_sum_overflows_or_underflows_fit_like_the_same_relative_weights(
    model, y, scale
):
    # The objective divides by the total weight: only relative weights count.
    relative = np.where(np.arange(60) % 3 == 0, 1.0, 0.25)
    expected = clone(model).fit(X, y, sample_weight=relative)
    extreme = clone(model).fit(X, y, sample_weight=relative * scale)
    assert np.isfinite(extreme.objective_)
    np.testing.assert_allclose(_fitted_values(extreme), _fitted_values(expected), rtol=1e-5)
    np.testing.assert_allclose(extreme.objective_, expected.objective_, rtol=1e-9)


def _with_entry(array, value):
    array = array.copy()
    array.flat[7] = value
    return array


BAD_X = {
    "X times 1e200": X * 1e200,
    "one entry 1e300": _with_entry(X, 1e300),
    "one entry -1e300, sparse": sparse.csr_matrix(_with_entry(X, -1e300)),
}


@pytest.mark.parametrize("model, y", CASES, ids=IDS)
@pytest.mark.parametrize("bad_X", BAD_X.values(), ids=BAD_X.keys())
def test_X_too_large_to_square_is_rejected_naming_the_problem(model, y, bad_X):
    model = clone(model).fit(X, y)
    fitted = _fitted_values(model)
    with pytest.raises(ValueError, match=r"this X: .* squares overflow float64 .* Rescale X"):
        model.fit(bad_X, y)
    # The estimator is left as it was.
    np.testing.assert_array_equal(_fitted_values(model), fitted)
    assert model.n_features_in_ == 3


@pytest.mark.parametrize("model, y", REGRESSION_CASES, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("bad_y", [Y_REG * 1e200, _with_entry(Y_REG, 1e300)])
def test_y_too_large_to_square_is_rejected_naming_the_problem(model, y, bad_y):
    model = clone(model)
    with pytest.raises(ValueError, match=r"this y: .* squares overflow float64 .* Rescale y") as e:
        model.fit(X, bad_y)
    assert "reg_variance" not in str(e.value)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


@pytest.mark.parametrize(
    "model, y",
    [CASES[1], CASES[3], CASES[5]],
    ids=["LinearGaussianRegressor", "SigmoidClassifier", "HeteroscedasticRegressor"],
)
def test_X_scaled_up_as_far_as_its_squares_allow_gives_the_same_predictions(model, y):
    # Scaling every column by c scales the slopes by 1 / c; predictions stay.
    expected = clone(model).fit(X, y)
    scaled = clone(model).fit(X * 1e150, y)
    np.testing.assert_allclose(scaled.predict(X * 1e150), expected.predict(X), rtol=1e-6)


@pytest.mark.parametrize("model, y", [CASES[5], CASES[6]], ids=IDS[5:])
def test_distributional_spread_of_y_near_the_limit_does_not_overflow(model, y):
    # The largest |y| is below the limit, but summing squared deviations of
    # 60 samples of about 1e154 would overflow: the variance is scaled first.
    y = y / np.max(np.abs(y)) * 1e154
    model = clone(model).fit(X, y)
    assert np.all(np.isfinite(_fitted_values(model)))
    std = np.std(y / 1e154) * 1e154
    assert np.isclose(model.loss_.reg_variance, 1e-6 * std**2, rtol=1e-6)
