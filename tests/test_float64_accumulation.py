"""Sums over X in float64 whatever X's dtype; objective_ is the float64 objective."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from scipy.special import log_expit
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    MedianRegressor,
    SigmoidClassifier,
)

RNG = np.random.default_rng(11)


def _float32_data(kind, n=2000, d=5):
    """Float32 X with large column means (or nearly collinear columns), 30% zeros."""
    X = RNG.normal(size=(n, d))
    if kind == "collinear":
        X[:, 4] = 2.0 * X[:, 3] + 1e-3 * RNG.normal(size=n)
        X += 100.0
    else:
        X += kind
    X[RNG.random((n, d)) < 0.3] = 0.0
    y = X @ RNG.normal(size=d) + RNG.normal(size=n)
    return X.astype(np.float32), y


def _half_squared_error(X, y, coef, intercept):
    residual = y - X.astype(float) @ coef - intercept
    return 0.5 * np.mean(residual**2)


@pytest.mark.parametrize("kind", [100.0, 1000.0, "collinear"])
@pytest.mark.parametrize("sparse_format", ["csr", "csc"])
def test_sparse_float32_least_squares_equals_dense_float32(kind, sparse_format):
    X, y = _float32_data(kind)
    sparse = scipy.sparse.csr_matrix(X) if sparse_format == "csr" else scipy.sparse.csc_matrix(X)
    dense_fit = LinearGaussianRegressor().fit(X, y)
    sparse_fit = LinearGaussianRegressor().fit(sparse, y)
    # The truth: least squares on the float32 values, solved in float64.
    design = np.column_stack([X.astype(float), np.ones(len(y))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    scale = np.abs(solution[:-1]).max()
    for fit in (dense_fit, sparse_fit):
        np.testing.assert_allclose(fit.coef_, solution[:-1], atol=1e-6 * scale)
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, atol=1e-6 * scale)
    expected = _half_squared_error(X, y, sparse_fit.coef_, sparse_fit.intercept_)
    assert sparse_fit.objective_ == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_float32_classifier_reports_the_float64_objective_at_its_coefficients(sparse):
    X, _ = _float32_data(100.0)
    y = (X[:, 0] + RNG.normal(size=len(X)) > 90.0).astype(int)
    model = SigmoidClassifier(alpha=1e-3).fit(scipy.sparse.csr_matrix(X) if sparse else X, y)
    z = X.astype(float) @ model.coef_[0] + model.intercept_[0]
    expected = np.mean(-np.where(y == 1, log_expit(z), log_expit(-z)))
    expected += 0.5e-3 * np.sum(model.coef_**2)
    assert model.objective_ == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("model", [LinearGaussianRegressor(alpha=0.1), MedianRegressor()])
def test_objective_is_the_objective_at_the_returned_coefficients(model):
    X, y = load_diabetes(return_X_y=True)
    model.fit(X, y)
    residual = y - X @ model.coef_ - model.intercept_
    if isinstance(model, MedianRegressor):
        expected = np.mean(np.abs(residual))
    else:
        expected = 0.5 * np.mean(residual**2) + 0.05 * np.sum(model.coef_**2)
    assert model.objective_ == pytest.approx(expected, rel=1e-13)


def test_float32_gradient_beyond_float32_range_equals_the_float64_gradient():
    # At a trial point with a tiny variance the likelihood's gradient in the
    # raw output (about r^2 exp(-log variance) = 1e43) is not a float32
    # number; X^T G must still be the float64 gradient, not inf or NaN.
    from skloss._core._objective import LinearObjective
    from skloss._core._problem import make_problem
    from skloss.losses import GaussianNLL

    X = RNG.normal(size=(50, 3))
    y = (X @ [1.0, -2.0, 0.5] + RNG.normal(size=50))[:, np.newaxis]
    weight = np.full(50, 1 / 50)
    gradients = []
    for dtype in (np.float64, np.float32):
        X_ = X.astype(np.float32).astype(dtype)
        loss = GaussianNLL()
        problem = make_problem(X_, loss.encode_target(y[:, 0]), weight, 0.0, True)
        objective = LinearObjective(problem, loss)
        theta = objective.pack(np.zeros((3, 2)), np.array([0.0, -100.0]))
        with np.errstate(all="raise"):
            gradients.append(objective.value_and_gradient(theta)[1])
    assert np.all(np.isfinite(gradients[1]))
    np.testing.assert_allclose(gradients[1], gradients[0], rtol=1e-6)


def test_heteroscedastic_fit_on_a_tiny_float32_sample_raises_no_overflow():
    # Seen by the property tests: 7 samples, 3 features; the line search
    # tried variances whose gradients overflowed the float32 cast (seeds 3,
    # 11 and 35 did; 35 in the product).
    for seed in (3, 11, 35):
        rng = np.random.default_rng(seed)
        X = (rng.normal(size=(7, 3)) * 1e3).astype(np.float32)
        y = (X @ rng.normal(size=3) / 1e3 + rng.standard_t(3, size=7)) * 1e-10
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = HeteroscedasticRegressor().fit(X, y)
        assert np.all(np.isfinite(model.predict(X)))
        assert np.isfinite(model.objective_)
