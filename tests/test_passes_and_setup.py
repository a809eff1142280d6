"""Threaded passes over X and their thread limits, the fused loss path, moments, memory."""

import os
import threading
import tracemalloc

import numpy as np
import pytest
import scipy.sparse
from scipy.special import expit, log_expit, logsumexp, softmax
from threadpoolctl import threadpool_limits

from skloss import SigmoidClassifier
from skloss._core import _blocks, _objective, column_moments
from skloss._core._blocks import available_threads, row_blocks, split_evenly
from skloss._core._objective import LinearObjective
from skloss._core._parametrisation import Reparametrisation, choose_preconditioner
from skloss._core._problem import make_problem
from skloss.losses import BernoulliLogLoss, Huber, MultinoulliLogLoss, SquaredError

RNG = np.random.default_rng(11)


def test_runs_of_blocks_partition_them_in_order_and_share_X_evenly(monkeypatch):
    monkeypatch.setattr(_blocks, "_MIN_THREADED_VALUES", 0)
    X = np.zeros((50_000, 30))
    blocks = row_blocks(X)
    runs = split_evenly(blocks, 3)
    assert len(runs) == 3
    assert [b for run in runs for b in run] == blocks
    rows = [sum(b.X.shape[0] for b in run) for run in runs]
    assert max(rows) - min(rows) <= max(b.X.shape[0] for b in blocks)


def test_small_passes_stay_on_one_thread():
    assert len(split_evenly(row_blocks(np.zeros((2000, 30))), 4)) == 1


@pytest.mark.parametrize("n_threads", ["1", "2", "3"])
def test_threaded_evaluation_matches_the_logistic_objective(n_threads, monkeypatch):
    # Many blocks on several threads add up to the closed-form objective.
    monkeypatch.setattr(_blocks, "_MIN_THREADED_VALUES", 0)
    monkeypatch.setattr(_blocks, "_DENSE_BLOCK_BYTES", 2**12)
    monkeypatch.setenv("OMP_NUM_THREADS", n_threads)
    n, d = 3000, 8
    X = RNG.normal(size=(n, d)).astype(np.float32)
    y = (RNG.random(n) < 0.4).astype(float)
    weight = RNG.uniform(0.0, 2.0, n)
    alpha, coef, intercept = 0.05, RNG.normal(size=(d, 1)), np.array([0.3])
    problem = make_problem(X, y[:, None], weight, alpha, True)
    assert len(problem.data.blocks()) > 10
    identity = Reparametrisation(np.ones(d), np.zeros(d), np.zeros(1), 1, True)
    objective = LinearObjective(problem, BernoulliLogLoss(), identity)
    value, gradient = objective.value_and_gradient(objective.pack(coef, intercept))

    z = X.astype(float) @ coef[:, 0] + intercept[0]
    share = weight / weight.sum()
    penalty = alpha / 2 * float(coef[:, 0] @ coef[:, 0])
    expected = share @ (-y * log_expit(z) - (1 - y) * log_expit(-z)) + penalty
    residual = share * (expit(z) - y)
    expected_gradient = np.append(X.astype(float).T @ residual + alpha * coef[:, 0], residual.sum())
    assert value == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(
    "loss, y",
    [
        (BernoulliLogLoss(), (RNG.random((40, 2)) < 0.5).astype(float)),
        (MultinoulliLogLoss(), np.eye(3)[RNG.integers(0, 3, 40)]),
        (SquaredError(), RNG.normal(size=(40, 2))),
        (Huber(delta=0.7), RNG.normal(size=(40, 1))),
    ],
)
def test_fused_weighted_path_is_the_weighted_sum_of_loss_and_gradient(loss, y):
    raw = RNG.normal(scale=3.0, size=y.shape)
    weight = RNG.uniform(0.0, 0.01, len(y))  # a block's share: not normalised
    value, gradient = loss._weighted_loss_gradient(y, raw, weight)
    assert value == pytest.approx(float(weight @ loss.loss(y, raw)), rel=1e-12)
    np.testing.assert_allclose(gradient, loss.gradient(y, raw) * weight[:, None], rtol=1e-12)


def test_subclass_redefining_the_loss_leaves_the_parents_fused_path():
    class Doubled(BernoulliLogLoss):
        def loss(self, y, raw):
            return 2.0 * super().loss(y, raw)

        def gradient(self, y, raw):
            return 2.0 * super().gradient(y, raw)

    y, raw = (RNG.random((30, 1)) < 0.5).astype(float), RNG.normal(size=(30, 1))
    weight = RNG.uniform(0.0, 0.1, 30)
    value, gradient = Doubled()._weighted_loss_gradient(y, raw, weight)
    parent_value, parent_gradient = BernoulliLogLoss()._weighted_loss_gradient(y, raw, weight)
    assert value == pytest.approx(2.0 * parent_value, rel=1e-12)
    np.testing.assert_allclose(gradient, 2.0 * parent_gradient, rtol=1e-12)


def test_one_pass_moments_do_not_cancel_for_a_large_offset():
    # A spread of 1e-3 around 1e6: E[x^2] - E[x]^2 would lose it entirely.
    X = 1e6 + 1e-3 * RNG.normal(size=(5000, 3))
    X[:100] += 5e-3  # the first rows alone are a poor shift
    weight = RNG.uniform(0.5, 2.0, 5000)
    mean, std = column_moments(X, weight)
    expected_mean = np.average(X, axis=0, weights=weight)
    expected_std = np.sqrt(np.average((X - expected_mean) ** 2, axis=0, weights=weight))
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-13)
    np.testing.assert_allclose(std, expected_std, rtol=1e-6)


def _data(n_samples, n_features, n_outputs=1, sparse=False):
    X = scipy.sparse.random(n_samples, n_features, 1e-3, "csr") if sparse else None
    from types import SimpleNamespace

    return SimpleNamespace(
        n_samples=n_samples, n_features=n_features, n_outputs=n_outputs, is_sparse=sparse, X=X
    )


def test_whitening_only_where_it_costs_a_few_evaluations():
    assert choose_preconditioner(_data(200_000, 100)) == "covariance"
    assert choose_preconditioner(_data(200_000, 100, n_outputs=10)) == "covariance"
    assert choose_preconditioner(_data(20_000, 2_000)) == "diagonal"
    assert choose_preconditioner(_data(200_000, 2_000, sparse=True)) == "diagonal"
    assert choose_preconditioner(_data(200_000, 500, sparse=True)) == "diagonal"
    # Small problems: whitening is too cheap to skip.
    assert choose_preconditioner(_data(300, 7, sparse=True)) == "covariance"


def test_sparse_fit_with_thousands_of_features_needs_no_dense_square_matrix(monkeypatch):
    # A 2,000 x 2,000 float64 matrix is 32 MB, over six times this X. Blocks
    # as small as at full size relative to X (scratch is a few per thread).
    monkeypatch.setattr(_blocks, "_MIN_SPARSE_BLOCK_VALUES", 2**15)
    X = scipy.sparse.random(20_000, 2_000, density=0.01, format="csr", random_state=3)
    row_sums = np.asarray(X.sum(axis=1)).ravel()
    y = (row_sums > np.median(row_sums)).astype(int)
    tracemalloc.start()
    try:
        SigmoidClassifier(alpha=1e-4).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)


def _recording_threads(monkeypatch):
    """The set of threads the evaluation kernel runs on, filled as passes run."""
    threads = set()
    kernel = _objective._value_and_gradient_kernel

    def recording(block, *params):
        threads.add(threading.get_ident())
        return kernel(block, *params)

    monkeypatch.setattr(_objective, "_value_and_gradient_kernel", recording)
    return threads


@pytest.mark.parametrize("equal_weights", [True, False])
@pytest.mark.parametrize("n_threads", ["1", "2", "3"])
def test_threaded_sparse_evaluation_matches_dense_numpy(n_threads, equal_weights, monkeypatch):
    # CSR row blocks on several threads add up to the objective computed
    # on the dense array by numpy; equal weights are held as one number.
    monkeypatch.setattr(_blocks, "_MIN_THREADED_VALUES", 0)
    monkeypatch.setattr(_blocks, "_MAX_SPARSE_BLOCK_ROWS", 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", n_threads)
    threads = _recording_threads(monkeypatch)
    n, d = 2000, 40
    X = scipy.sparse.random(n, d, density=0.05, format="csr", random_state=5)
    X.data = RNG.normal(size=X.nnz)
    y = (RNG.random(n) < 0.4).astype(float)
    weight = np.full(n, 2.5) if equal_weights else RNG.uniform(0.0, 2.0, n)
    alpha, coef, intercept = 0.05, RNG.normal(size=(d, 1)), np.array([-0.2])
    problem = make_problem(X, y[:, None], weight, alpha, True)
    assert len(problem.data.blocks()) >= 2 * int(n_threads)
    identity = Reparametrisation(np.ones(d), np.zeros(d), np.zeros(1), 1, True)
    objective = LinearObjective(problem, BernoulliLogLoss(), identity)
    value, gradient = objective.value_and_gradient(objective.pack(coef, intercept))

    dense = X.toarray()
    z = dense @ coef[:, 0] + intercept[0]
    share = weight / weight.sum()
    penalty = alpha / 2 * float(coef[:, 0] @ coef[:, 0])
    expected = share @ (-y * log_expit(z) - (1 - y) * log_expit(-z)) + penalty
    residual = share * (expit(z) - y)
    expected_gradient = np.append(dense.T @ residual + alpha * coef[:, 0], residual.sum())
    assert value == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-14)
    # The pool may run two runs on one of its threads, but not on the caller's.
    assert (len(threads) > 1) == (n_threads != "1")


@pytest.mark.parametrize("user_api", [None, "openmp"])
def test_passes_keep_to_threadpoolctl_limits(user_api, monkeypatch):
    # A large sparse pass that would run on four threads runs on the
    # caller's alone under threadpool_limits(1), as scikit-learn's loops do.
    monkeypatch.setattr(_blocks, "_MIN_THREADED_VALUES", 0)
    monkeypatch.setattr(_blocks, "_MAX_SPARSE_BLOCK_ROWS", 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    threads = _recording_threads(monkeypatch)
    X = scipy.sparse.random(2000, 40, density=0.05, format="csr", random_state=6)
    y = (np.asarray(X.sum(axis=1)).ravel() > 0.5).astype(int)
    with threadpool_limits(limits=1, user_api=user_api):
        assert available_threads() == 1
        SigmoidClassifier().fit(X, y)
    assert threads == {threading.get_ident()}
    if _blocks.threadpool_controller().select(user_api="openmp").lib_controllers:
        # Outside the limit the same pass spreads over the threads again.
        SigmoidClassifier().fit(X, y)
        assert len(threads) > 1


def test_sparse_fit_at_five_values_a_row_takes_under_half_of_X_in_memory(monkeypatch):
    # 500 features at 1% density: each per-sample float64 array is an
    # eighth of X. Blocks as many rows relative to X as at 200,000 rows.
    monkeypatch.setattr(_blocks, "_MAX_SPARSE_BLOCK_ROWS", 2**12)
    X = scipy.sparse.random(50_000, 500, density=0.01, format="csr", random_state=7)
    X.data = RNG.normal(size=X.nnz)
    y = (X @ RNG.normal(size=500) + RNG.logistic(size=50_000) > 0).astype(int)
    # Warm up: a first fit's one-time caches (imports, thread pool) are not
    # the fit's memory, and at this size would be a tenth of X.
    SigmoidClassifier().fit(X[:1000], y[:1000])
    tracemalloc.start()
    try:
        SigmoidClassifier(alpha=1 / 50_000).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)


@pytest.mark.parametrize("n_outputs", [1, 2, 4])
def test_float32_evaluations_equal_the_float64_objective_to_float32_precision(
    n_outputs, monkeypatch
):
    # One output multiplies by matrix-vector products, several by matrix
    # products; both keep float32 X in float32 over many blocks.
    monkeypatch.setattr(_blocks, "_DENSE_BLOCK_BYTES", 2**13)
    n, d = 4000, 12
    X = RNG.normal(size=(n, d)).astype(np.float32)
    if n_outputs == 4:
        loss, y = MultinoulliLogLoss(), np.eye(4)[RNG.integers(0, 4, n)]
    else:
        loss, y = BernoulliLogLoss(), (RNG.random((n, n_outputs)) < 0.4).astype(float)
    weight = RNG.uniform(0.0, 2.0, n)
    coef, intercept = RNG.normal(size=(d, n_outputs)), RNG.normal(size=n_outputs)
    problem = make_problem(X, y, weight, 0.0, True)
    assert len(problem.data.blocks()) > 10
    identity = Reparametrisation(np.ones(d), np.zeros(d), np.zeros(n_outputs), n_outputs, True)
    objective = LinearObjective(problem, loss, identity)
    value, gradient = objective.value_and_gradient(objective.pack(coef, intercept))

    # The closed forms in float64 on the same (float32) values of X.
    z = X.astype(float) @ coef + intercept
    share = weight / weight.sum()
    if n_outputs == 4:
        per_sample = logsumexp(z, axis=1) - np.sum(y * z, axis=1)
        residual = softmax(z, axis=1) - y
    else:
        per_sample = np.sum(-y * log_expit(z) - (1 - y) * log_expit(-z), axis=1)
        residual = expit(z) - y
    residual *= share[:, None]
    expected_gradient = np.concatenate([(X.astype(float).T @ residual).ravel(), residual.sum(0)])
    assert gradient.dtype == np.float64
    assert value == pytest.approx(share @ per_sample, rel=1e-6)
    scale = np.max(np.abs(expected_gradient))
    np.testing.assert_allclose(gradient, expected_gradient, rtol=0, atol=1e-5 * scale)
