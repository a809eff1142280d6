"""Sums over X in float64 whatever X's dtype; objective_ is the float64 objective."""

import numpy as np
import pytest
import scipy.sparse
from scipy.special import log_expit
from sklearn.datasets import load_diabetes

from skloss import LinearGaussianRegressor, MedianRegressor, SigmoidClassifier

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
