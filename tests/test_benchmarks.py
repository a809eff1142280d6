"""The benchmark suite runs in fast mode, so it cannot rot (timings are not checked)."""

import io

import numpy as np
import pytest
from scipy.special import expit, softmax
from threadpoolctl import threadpool_info

from benchmarks import per_evaluation
from benchmarks.run import HEADER, run
from skloss._fair_timing import THREAD_SETTINGS, thread_setting


def _times(row, setting):
    return [row[HEADER.index(f"{what} ({setting})")] for what in ("skloss s", "peer s", "ratio")]


def test_fast_benchmark_runs_every_case_and_skloss_reaches_the_peers_objective():
    # Every case on one thread: on a loaded machine a peer's idle threads can
    # make its fits ten times slower, and this test only needs them to run.
    out = io.StringIO()
    rows = run(scale=0.01, out=out, repeats=1, settings=("1 thread",))
    cases = {row[0].split()[0] for row in rows}
    assert cases == {"1", "2", "3", "4", "5", "6", "7"}
    assert all(len(row) == len(HEADER) for row in rows)
    for row in rows:
        assert _times(row, "defaults") == ["-"] * 3
        if "skipped" in row[HEADER.index("peer s (1 thread)")]:
            continue
        assert all(float(cell) >= 0.0 for cell in _times(row, "1 thread")), row
        relative_difference = float(row[HEADER.index("obj rel diff")])
        # skloss's objective is never meaningfully worse than its peer's
        # (peers at their defaults may stop early: then skloss is lower); at
        # both libraries' default tolerances each stops near, not at, the optimum.
        limit = 1e-4 if "defaults" in row[0] else 1e-6
        assert relative_difference <= limit, row
    text = out.getvalue()
    assert "ratio = skloss / peer" in text
    # The table is printed once, at the end.
    assert text.count("skloss s (1 thread)") == 1
    assert text.count("3 mean (ridge)") == 1


def test_benchmark_times_both_libraries_under_every_thread_setting():
    rows = run(scale=0.01, only="1 binary dense", out=io.StringIO(), repeats=1)
    assert len(rows) == 1
    for setting in THREAD_SETTINGS:
        ours, theirs, ratio = map(float, _times(rows[0], setting))
        assert ours > 0 and theirs > 0 and ratio >= 0


def test_thread_setting_limits_blas_for_the_peer_and_restores_it():
    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    with thread_setting("1 thread"):
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before


def test_per_evaluation_benchmark_times_every_case_against_the_floor():
    out = io.StringIO()
    rows = per_evaluation.run(scale=0.01, repeats=1, settings=("1 thread",), out=out)
    # Two shapes, binary and 10-class, float64 and float32.
    assert len(rows) == 8
    assert {row[0].split()[-1] for row in rows} == {"float64", "float32"}
    for row in rows:
        assert row[1] == "1 thread"
        skloss_ms, floor_ms, ratio, cpu = map(float, row[2:])
        assert skloss_ms > 0 and floor_ms > 0 and ratio > 0 and cpu > 0
    assert "Load average" in out.getvalue()


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_the_floor_is_the_gradient_of_the_log_loss(n_outputs):
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(5000, 6)), rng.normal(size=(6, n_outputs))
    Y = np.eye(n_outputs)[rng.integers(0, n_outputs, 5000)] if n_outputs > 1 else None
    Y = (rng.random((5000, 1)) < 0.5).astype(float) if Y is None else Y
    Z = X @ W
    P = expit(Z) if n_outputs == 1 else softmax(Z, axis=1)
    np.testing.assert_allclose(per_evaluation.fused_floor(X, Y, W), X.T @ (P - Y), rtol=1e-10)
