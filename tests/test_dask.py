"""Fitting and predicting on Dask arrays, checked against the in-memory fit of the same data.

The truth is skloss's in-memory fit, itself tested against scikit-learn,
statsmodels and closed forms elsewhere: a Dask fit runs the same objective
on the same rows, so it must reach the same optimum (coefficients to 1e-6
relative, objective to 1e-9).
"""

import importlib
import os
import pickle
import signal
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from sklearn.base import clone

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from skloss import (  # noqa: E402
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    MixtureDensityRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss._core import _dask_rows  # noqa: E402
from skloss._core._dask_rows import DaskRows, WorkerLostError  # noqa: E402
from skloss.losses import NegativeBinomialNLL  # noqa: E402

# Eight chunks of unequal sizes.
_CHUNKS = (37, 81, 12, 60, 45, 70, 23, 72)
_N = sum(_CHUNKS)


@pytest.fixture(scope="module")
def client():
    """A two-worker cluster of threads, closed after this module."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _data(kind, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(_N, 4)) * [1.0, 3.0, 0.5, 2.0]
    raw = X @ [0.8, -0.3, 1.5, 0.2]
    if kind == "binary":
        y = (raw + rng.logistic(size=_N) > 0).astype(int)
    elif kind == "multiclass":
        y = np.digitize(raw + rng.logistic(size=_N), [-1.0, 1.0])
    elif kind == "counts":
        y = rng.poisson(np.exp(0.3 * raw))
    elif kind == "positive":
        y = rng.gamma(2.0, np.exp(0.3 * raw) / 2.0)
    else:
        y = raw + 1.0 + rng.standard_t(3, size=_N) * (1 + 0.5 * np.abs(X[:, 0]))
    weight = rng.uniform(0.2, 3.0, size=_N)
    return X, y, weight


_TIGHT = {"tol": 1e-10, "max_iter": 5000}
_CASES = [
    (LinearRegressor(loss="squared_error", **_TIGHT), "continuous"),
    (LinearRegressor(loss="absolute_error", **_TIGHT), "continuous"),
    (LinearRegressor(loss="huber", alpha=1e-3, **_TIGHT), "continuous"),
    (LinearRegressor(loss="quantile", alpha=1e-2, **_TIGHT), "continuous"),
    (LinearRegressor(loss="poisson", **_TIGHT), "counts"),
    (LinearRegressor(loss="gamma", **_TIGHT), "positive"),
    (LinearRegressor(loss="tweedie", **_TIGHT), "positive"),
    (LinearRegressor(loss=NegativeBinomialNLL(dispersion=0.5), **_TIGHT), "counts"),
    (LinearGaussianRegressor(**_TIGHT), "continuous"),
    (MedianRegressor(**_TIGHT), "continuous"),
    (SigmoidClassifier(loss="log_loss", **_TIGHT), "binary"),
    (SigmoidClassifier(loss="squared_error", **_TIGHT), "binary"),
    (SoftmaxClassifier(loss="log_loss", **_TIGHT), "multiclass"),
    (SoftmaxClassifier(loss="squared_error", **_TIGHT), "multiclass"),
    (SoftmaxClassifier(class_weight="balanced", **_TIGHT), "multiclass"),
    (HeteroscedasticRegressor(**_TIGHT), "continuous"),
    # One start: from several, the best is a tie between relabelled components.
    (MixtureDensityRegressor(n_components=2, **_TIGHT), "continuous"),
]


def _case_id(case):
    estimator, _ = case
    loss = getattr(estimator, "loss", "")
    loss = loss if isinstance(loss, str) else type(loss).__name__
    balanced = "-balanced" if getattr(estimator, "class_weight", None) else ""
    return f"{type(estimator).__name__}-{loss}{balanced}"


def _assert_same_fit(in_memory, on_dask):
    scale = max(1.0, float(np.max(np.abs(in_memory.coef_))))
    np.testing.assert_allclose(on_dask.coef_, in_memory.coef_, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(on_dask.intercept_, in_memory.intercept_, rtol=1e-6, atol=1e-6)
    # loss="huber" estimates its threshold from a pilot fit's residuals (a
    # median): optimiser-level differences (gradients of 1e-10) move it, and
    # with it the objective, by about 1e-8; the fits themselves agree.
    resolved_delta = getattr(in_memory, "loss", None) == "huber"
    if resolved_delta:
        assert on_dask.loss_.delta == pytest.approx(in_memory.loss_.delta, rel=1e-6)
    assert abs(on_dask.objective_ - in_memory.objective_) <= (
        1e-6 if resolved_delta else 1e-9
    ) * max(1.0, abs(in_memory.objective_))
    assert isinstance(on_dask.coef_, np.ndarray)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", _CASES, ids=_case_id)
def test_dask_fit_on_a_cluster_equals_the_in_memory_fit(client, case, weighted):
    estimator, kind = case
    X, y, weight = _data(kind)
    weight = weight if weighted else None
    in_memory = clone(estimator).fit(X, y, sample_weight=weight)
    X_dask = da.from_array(X, chunks=(_CHUNKS, 2))  # column chunks too: rechunked
    y_dask = da.from_array(y, chunks=100)  # chunked unlike X
    weight_dask = None if weight is None else da.from_array(weight, chunks=_CHUNKS)
    on_dask = clone(estimator).fit(X_dask, y_dask, sample_weight=weight_dask)
    _assert_same_fit(in_memory, on_dask)


@pytest.mark.parametrize(
    "estimator, kind",
    [
        (SigmoidClassifier(**_TIGHT), "binary"),
        (MedianRegressor(**_TIGHT), "continuous"),
    ],
)
def test_dask_fit_on_the_local_scheduler_equals_the_in_memory_fit(client, estimator, kind):
    X, y, weight = _data(kind, seed=1)
    in_memory = clone(estimator).fit(X, y, sample_weight=weight)
    # The local scheduler, although a client is active.
    with dask.config.set(scheduler="sync"):
        on_dask = clone(estimator).fit(
            da.from_array(X, chunks=(_CHUNKS, 4)), da.from_array(y, chunks=_CHUNKS), weight
        )
    _assert_same_fit(in_memory, on_dask)


def test_fitted_model_predicts_lazily_and_pickles_without_a_cluster(client):
    X, y, _ = _data("multiclass")
    X_dask = da.from_array(X, chunks=(_CHUNKS, 4))
    model = SoftmaxClassifier().fit(X_dask, y)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        lazy = getattr(model, method)(X_dask)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == _CHUNKS
        np.testing.assert_array_equal(lazy.compute(), getattr(model, method)(X))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_distributional_predictions_on_dask_are_lazy(client):
    X, y, _ = _data("continuous")
    X_dask = da.from_array(X, chunks=(_CHUNKS, 4))
    model = HeteroscedasticRegressor().fit(X, y)
    mean, std = model.predict(X_dask, return_std=True)
    assert isinstance(mean, da.Array) and isinstance(std, da.Array)
    expected_mean, expected_std = model.predict(X, return_std=True)
    np.testing.assert_array_equal(mean.compute(), expected_mean)
    np.testing.assert_array_equal(std.compute(), expected_std)
    mixture = MixtureDensityRegressor(n_components=2, random_state=0).fit(X, y)
    for lazy, expected in zip(
        mixture.predict_mixture(X_dask), mixture.predict_mixture(X), strict=True
    ):
        np.testing.assert_array_equal(lazy.compute(), expected)


def _bad_inputs():
    X, y, weight = _data("binary")
    nan_X = X.copy()
    nan_X[100, 2] = np.nan
    inf_X = X.copy()
    inf_X[5, 0] = np.inf
    negative = weight.copy()
    negative[7] = -1.0
    return [
        ("nan", nan_X, y, None, "contains NaN"),
        ("inf", inf_X, y, None, "infinity"),
        ("negative weight", X, y, negative, "Negative values in data passed to .sample_weight"),
        ("one class", X, np.ones(_N, dtype=int), None, "only one class"),
        ("short y", X, y[:-3], None, "inconsistent numbers of samples"),
        ("short weight", X, y, weight[:-3], "sample_weight.shape"),
    ]


@pytest.mark.parametrize(
    "X, y, weight, message", [case[1:] for case in _bad_inputs()], ids=[c[0] for c in _bad_inputs()]
)
def test_bad_dask_input_gives_the_in_memory_error(client, X, y, weight, message):
    with pytest.raises(ValueError, match=message):
        SigmoidClassifier().fit(X, y, sample_weight=weight)
    chunked = da.from_array(X, chunks=(_CHUNKS, 4))
    y_dask = da.from_array(y, chunks=50)
    weight_dask = None if weight is None else da.from_array(weight, chunks=50)
    model = SigmoidClassifier()
    with pytest.raises(ValueError, match=message):
        model.fit(chunked, y_dask, sample_weight=weight_dask)
    assert not hasattr(model, "coef_")


def test_dask_array_of_unknown_chunk_sizes_is_refused_with_the_fix():
    X, y, _ = _data("binary")
    X_dask = da.from_array(X, chunks=(_CHUNKS, 4))
    filtered = X_dask[X_dask[:, 0] > -10]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        SigmoidClassifier().fit(filtered, y)


@pytest.mark.parametrize("estimator", [LinearGaussianRegressor, MedianRegressor])
def test_non_negative_dask_fit_equals_the_in_memory_fit(client, estimator):
    X, y, weight = _data("continuous")
    in_memory = estimator(positive=True, **_TIGHT).fit(X, y, sample_weight=weight)
    assert np.any(in_memory.coef_ == 0.0)  # a bound is active, so it matters
    on_dask = estimator(positive=True, **_TIGHT).fit(
        da.from_array(X, chunks=(_CHUNKS, 4)),
        da.from_array(y, chunks=_CHUNKS),
        sample_weight=da.from_array(weight, chunks=_CHUNKS),
    )
    _assert_same_fit(in_memory, on_dask)


def test_offsets_with_a_dask_x_are_refused_not_ignored(client):
    X, y, _ = _data("continuous")
    X_dask = da.from_array(X, chunks=(_CHUNKS, 4))
    offset = np.ones(_N)
    with pytest.raises(NotImplementedError, match="does not take offsets"):
        LinearGaussianRegressor().fit(X_dask, y, offset=offset)
    model = LinearGaussianRegressor().fit(X, y)
    with pytest.raises(NotImplementedError, match="does not take offsets"):
        model.predict(X_dask, offset=offset)


@pytest.mark.parametrize(
    "estimator, kind, grid",
    [
        (LinearRegressor(), "continuous", {"loss": ["squared_error", "absolute_error", "huber"]}),
        (LinearGaussianRegressor(), "continuous", {"alpha": [0.0, 1.0]}),
        (MedianRegressor(), "continuous", {"alpha": [0.0, 1.0]}),
        (SigmoidClassifier(), "binary", {"loss": ["log_loss", "squared_error"]}),
        (SoftmaxClassifier(), "multiclass", {"alpha": [1e-4, 1.0]}),
        (HeteroscedasticRegressor(), "continuous", {"alpha": [0.0, 1.0]}),
        (
            MixtureDensityRegressor(n_components=2, max_iter=5000),
            "continuous",
            {"alpha": [0.1, 1.0]},
        ),
    ],
    ids=lambda value: type(value).__name__ if hasattr(value, "fit") else None,
)
def test_grid_search_under_joblibs_dask_backend_equals_the_local_search(
    client, estimator, kind, grid
):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y, _ = _data(kind)
    local = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with joblib.parallel_backend("dask"):
        on_cluster = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    assert on_cluster.best_params_ == local.best_params_
    np.testing.assert_allclose(
        on_cluster.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], rtol=1e-9
    )


def test_importing_skloss_does_not_import_dask():
    code = "import sys, skloss; print('dask' in sys.modules, 'distributed' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["False", "False"]


# Each worker process is told this limit. Its enforcement (spilling,
# pausing) is off: a worker's own Python takes about 100 MB already.
_WORKER_MEMORY_LIMIT = 32 * 2**20
_NO_MEMORY_MANAGEMENT = {
    f"distributed.worker.memory.{threshold}": False
    for threshold in ("target", "spill", "pause", "terminate")
}


@pytest.fixture(scope="module")
def process_client():
    """Two worker processes, restarted by their nannies when killed."""
    with (
        dask.config.set(_NO_MEMORY_MANAGEMENT),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit=_WORKER_MEMORY_LIMIT,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # Workers import skloss before the tests (and their clocks) start.
        client.run(importlib.import_module, "skloss")
        yield client


def test_data_larger_than_a_worker_fits_without_coming_to_the_client(process_client):
    n_samples, n_features = 50_000, 100
    X = da.random.default_rng(0).standard_normal((n_samples, n_features), chunks=(5_000, -1))
    y = (X[:, :5].sum(axis=1) + da.random.default_rng(1).logistic(size=n_samples) > 0).astype(int)
    assert X.nbytes > _WORKER_MEMORY_LIMIT
    tracemalloc.start()
    try:
        model = SigmoidClassifier().fit(X, y)
        _, client_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # y, the weights and their copies come to the client (about ten values
    # a sample, a tenth of X here), X never.
    assert client_peak < X.nbytes / 5
    # The truth: the data-generating coefficients, ones on the first five features.
    np.testing.assert_allclose(model.coef_[0, :5], 1.0, atol=0.1)
    np.testing.assert_allclose(model.coef_[0, 5:], 0.0, atol=0.1)


def _kill_a_worker_at_evaluation(monkeypatch, client, evaluation):
    """Kill (SIGKILL) one worker process when the fit runs its ``evaluation``-th pass."""
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    passes = []
    sum_over_blocks = DaskRows.sum_over_blocks

    def killing(self, *args, **kwargs):
        passes.append(1)
        if len(passes) == evaluation:
            os.kill(pids[victim], signal.SIGKILL)
        return sum_over_blocks(self, *args, **kwargs)

    monkeypatch.setattr(DaskRows, "sum_over_blocks", killing)
    return victim


def test_worker_killed_mid_fit_is_recovered_with_the_same_model(process_client, monkeypatch):
    X, y, weight = _data("continuous", seed=2)
    in_memory = MedianRegressor(**_TIGHT).fit(X, y, sample_weight=weight)
    _kill_a_worker_at_evaluation(monkeypatch, process_client, evaluation=6)
    on_dask = MedianRegressor(**_TIGHT).fit(
        da.from_array(X, chunks=(_CHUNKS, 4)), y, sample_weight=weight
    )
    _assert_same_fit(in_memory, on_dask)


def test_worker_lost_beyond_the_retries_is_named_in_the_error(process_client, monkeypatch):
    X, y, _ = _data("binary", seed=2)
    monkeypatch.setattr(_dask_rows, "_MAX_RETRIES", 0)
    victim = _kill_a_worker_at_evaluation(monkeypatch, process_client, evaluation=3)
    model = SigmoidClassifier()
    with pytest.raises(WorkerLostError, match=victim):
        model.fit(da.from_array(X, chunks=(_CHUNKS, 4)), y)
    assert not hasattr(model, "coef_")
