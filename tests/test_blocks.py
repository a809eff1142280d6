"""Row blocks of X: views, never copies, and evaluations that match one pass."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse

from skloss import SigmoidClassifier, SoftmaxClassifier
from skloss._core import _blocks, column_moments
from skloss._core._blocks import available_threads, outer_slice, row_blocks
from skloss._core._objective import LinearObjective, QuadraticObjective
from skloss._core._problem import make_problem
from skloss.losses import BernoulliLogLoss, MultinoulliLogLoss, SquaredError

RNG = np.random.default_rng(7)


@pytest.fixture
def small_sparse_blocks(monkeypatch):
    """Cut even small CSR matrices into many blocks."""
    monkeypatch.setattr(_blocks, "_MIN_SPARSE_BLOCK_VALUES", 40)
    monkeypatch.setattr(_blocks, "_SPARSE_VALUES_PER_FEATURE", 1)


def _sparse(n_samples, n_features, density=0.3):
    X = RNG.normal(size=(n_samples, n_features)) * RNG.uniform(0.1, 10.0, n_features)
    return scipy.sparse.csr_matrix(np.where(RNG.random(X.shape) < density, X + 2.0, 0.0))


def test_csr_blocks_partition_X_and_share_its_memory(small_sparse_blocks):
    X = _sparse(300, 7)
    blocks = row_blocks(X)
    assert len(blocks) > 5
    assert [b.rows.start for b in blocks[1:]] == [b.rows.stop for b in blocks[:-1]]
    assert blocks[0].rows.start == 0 and blocks[-1].rows.stop == 300
    np.testing.assert_array_equal(scipy.sparse.vstack([b.X for b in blocks]).toarray(), X.toarray())
    for block in blocks:
        np.testing.assert_array_equal(block.XT.toarray(), block.X.toarray().T)
        assert np.shares_memory(block.X.data, X.data)
        assert np.shares_memory(block.X.indices, X.indices)
        assert np.shares_memory(block.XT.data, X.data)


def test_dense_blocks_are_views_of_X():
    X = RNG.normal(size=(20_000, 40))
    blocks = row_blocks(X)
    assert len(blocks) > 1
    assert all(np.shares_memory(b.X, X) and np.shares_memory(b.XT, X) for b in blocks)
    np.testing.assert_array_equal(np.vstack([b.X for b in blocks]), X)


def test_outer_slice_of_csc_takes_columns_without_copying():
    X = _sparse(50, 12).tocsc()
    columns = outer_slice(X, 3, 9)
    np.testing.assert_array_equal(columns.toarray(), X.toarray()[:, 3:9])
    assert np.shares_memory(columns.data, X.data)
    squared = outer_slice(X, 3, 9, np.square(columns.data))
    np.testing.assert_array_equal(squared.toarray(), X.toarray()[:, 3:9] ** 2)


@pytest.mark.parametrize(
    "loss, y",
    [
        (BernoulliLogLoss(), RNG.integers(0, 2, size=(300, 1)).astype(float)),
        (MultinoulliLogLoss(), np.eye(4)[RNG.integers(0, 4, size=300)]),
    ],
)
def test_many_block_sparse_objective_equals_the_dense_objective(small_sparse_blocks, loss, y):
    X = _sparse(300, 7)
    weight = RNG.uniform(0.5, 2.0, size=300)
    weight[40:120] = 0.0  # whole blocks without weight are skipped
    sparse = LinearObjective(make_problem(X, y, weight, 0.1, True), loss)
    dense = LinearObjective(make_problem(X.toarray(), y, weight, 0.1, True), loss)
    assert len(sparse.problem.data.blocks()) > 5
    coef, intercept = RNG.normal(size=(7, y.shape[1])) * 0.1, RNG.normal(size=y.shape[1])
    theta_sparse, theta_dense = sparse.pack(coef, intercept), dense.pack(coef, intercept)
    value, gradient = sparse.value_and_gradient(theta_sparse)
    dense_value, dense_gradient = dense.value_and_gradient(theta_dense)
    assert value == pytest.approx(dense_value, rel=1e-12)
    assert sparse.value(theta_sparse) == pytest.approx(dense_value, rel=1e-12)
    np.testing.assert_allclose(sparse.raw_output(theta_sparse), X @ coef + intercept, rtol=1e-12)
    # The parametrisations differ (diagonal vs covariance preconditioning):
    # compare the gradients in (coef, intercept) through a directional slope.
    delta_coef, delta_intercept = RNG.normal(size=coef.shape), RNG.normal(size=intercept.shape)

    def slope(objective, theta, theta_gradient):
        change = objective.pack(coef + delta_coef, intercept + delta_intercept) - theta
        return theta_gradient @ change

    expected = slope(dense, theta_dense, dense_gradient)
    assert slope(sparse, theta_sparse, gradient) == pytest.approx(expected, rel=1e-10)


def test_many_block_sparse_moments_match_numpy(small_sparse_blocks):
    X = _sparse(400, 6)
    weight = RNG.uniform(0.0, 2.0, size=400)
    mean, std = column_moments(X, weight)
    dense = X.toarray()
    expected_mean = np.average(dense, axis=0, weights=weight)
    expected_std = np.sqrt(np.average((dense - expected_mean) ** 2, axis=0, weights=weight))
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(std, expected_std, rtol=1e-9)
    y = RNG.normal(size=(400, 2))
    for X_format in (X, X.tocsc()):
        sparse = QuadraticObjective(make_problem(X_format, y, weight, 0.1, True), SquaredError())
        dense_objective = QuadraticObjective(
            make_problem(dense, y, weight, 0.1, True), SquaredError()
        )
        np.testing.assert_allclose(sparse.gram, dense_objective.gram, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(sparse.cross, dense_objective.cross, rtol=1e-10, atol=1e-12)


def test_available_threads_honours_omp_num_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    n_cpus = available_threads()
    assert n_cpus >= 1
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert available_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert available_threads() == n_cpus


def _peak_fit_memory(model, X, y):
    tracemalloc.start()
    try:
        model.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _x_bytes(X):
    if scipy.sparse.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


@pytest.mark.parametrize(
    "make_X",
    [
        lambda X: X,
        lambda X: np.asfortranarray(X),
        lambda X: X.astype(np.float32),
        lambda X: scipy.sparse.csr_matrix(np.where(X > 0.0, X, 0.0)),
        lambda X: scipy.sparse.csc_matrix(np.where(X > 0.0, X, 0.0)),
    ],
    ids=["C", "F", "float32", "csr", "csc"],
)
@pytest.mark.parametrize("model", [SigmoidClassifier(), SoftmaxClassifier()])
def test_fit_never_copies_X(make_X, model, monkeypatch):
    # Scratch memory per CSR block is a few times the block's size (about
    # 3 MB per thread at full size); smaller blocks make X dominate here.
    monkeypatch.setattr(_blocks, "_MIN_SPARSE_BLOCK_VALUES", 2**15)
    X = make_X(RNG.normal(size=(20_000, 200)))
    y = RNG.integers(0, 3, size=20_000)
    if isinstance(model, SigmoidClassifier):
        y = (y > 0).astype(int)
    # A copy of X would cost 100% of its size; the fit's own arrays (raw
    # outputs, gradients, a few n_features^2 matrices) are far smaller.
    assert _peak_fit_memory(model, X, y) < 0.5 * _x_bytes(X)
