"""``python -m benchmarks.per_evaluation [--fast] [--repeats N] [--threads SETTING]``.

One evaluation of the objective a fit minimises (its value and gradient, a
pass over X) against the *floor*: one fused pass over X in plain numpy,
``Z = X_b W; G = sigmoid(Z) - Y_b`` (softmax for several classes)
``; acc += X_b^T G`` over 2,048-row blocks, in X's precision, on one
thread. Both are timed in the same run, alternating, on dense X in float64
and float32, binary and 10-class, 200,000 x 100 and 20,000 x 2,000, under
each thread setting of :mod:`skloss._fair_timing`. BLAS runs on one thread
for both, as during a fit; skloss's own threads over row blocks follow the
setting.

Reported per case: median milliseconds per evaluation, the median over
repeats of the paired ratio skloss / floor, and the CPU utilisation of
skloss's evaluations, (user + sys CPU time) / wall time of the process:
above 1.5 means both cores were busy. On a shared machine other processes
take cores too; the load average is printed with the table.
"""

import argparse
import os
import sys
import time

import numpy as np
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skloss._core._objective import make_objective
from skloss._core._problem import make_problem
from skloss._fair_timing import THREAD_SETTINGS, thread_setting
from skloss._showcase import format_table
from skloss.losses import BernoulliLogLoss, MultinoulliLogLoss

# Rows per block of the floor's loop (the figure issue 12 states the bar in).
FLOOR_BLOCK_ROWS = 2048
SHAPES = ((200_000, 100), (20_000, 2_000))
HEADER = ["case", "setting", "skloss ms", "floor ms", "ratio", "skloss CPU/wall"]


def fused_floor(X, Y, W):
    """``X^T (p(X W) - Y)`` by one blocked pass in X's precision (p: sigmoid or softmax)."""
    total = np.zeros_like(W)
    for start in range(0, X.shape[0], FLOOR_BLOCK_ROWS):
        rows = slice(start, start + FLOOR_BLOCK_ROWS)
        Z = X[rows] @ W
        if W.shape[1] == 1:
            G = 1.0 / (1.0 + np.exp(-Z))
        else:
            G = np.exp(Z - Z.max(axis=1, keepdims=True))
            G /= G.sum(axis=1, keepdims=True)
        G -= Y[rows]
        total += X[rows].T @ G
    return total


def _data(n_samples, n_features, n_classes):
    X, labels = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=n_classes,
        random_state=0,
    )
    Y = labels[:, np.newaxis].astype(float) if n_classes == 2 else np.eye(n_classes)[labels]
    return X, Y


def _skloss_evaluation(X, Y):
    """The objective of the fit of ``Y`` on ``X`` and a point to evaluate it at."""
    loss = BernoulliLogLoss() if Y.shape[1] == 1 else MultinoulliLogLoss()
    weights = np.ones(len(Y))
    problem = make_problem(X, Y, weights, 1.0 / len(Y), True)
    objective = make_objective(problem, loss)
    coef = np.random.default_rng(0).normal(scale=0.01, size=(X.shape[1], Y.shape[1]))
    theta = objective.pack(coef, loss.init_raw(Y, weights))
    return lambda: objective.value_and_gradient(theta)


def _timed(function, evaluations):
    """Wall and process CPU seconds of ``evaluations`` calls of ``function``."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(evaluations):
        function()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(X, Y, setting, repeats=7, evaluations=3):
    """Per-evaluation seconds of skloss and of the floor, their paired ratio and skloss's CPU use.

    Returns
    -------
    dict
        ``skloss`` and ``floor``: median seconds per evaluation; ``ratio``:
        median over repeats of skloss / floor; ``cpu``: median of skloss's
        (user + sys) / wall.
    """
    evaluate = _skloss_evaluation(X, Y)
    W = np.random.default_rng(0).normal(scale=0.01, size=(X.shape[1], Y.shape[1]))
    W, Y_floor = W.astype(X.dtype), Y.astype(X.dtype)
    ours, floors, usage = [], [], []
    with thread_setting(setting), threadpool_limits(limits=1, user_api="blas"):
        evaluate(), fused_floor(X, Y_floor, W)  # warm-up: blocks, caches
        for _ in range(repeats):
            floor_wall, _ = _timed(lambda: fused_floor(X, Y_floor, W), evaluations)
            our_wall, our_cpu = _timed(evaluate, evaluations)
            floors.append(floor_wall / evaluations)
            ours.append(our_wall / evaluations)
            usage.append(our_cpu / our_wall)
    return {
        "skloss": float(np.median(ours)),
        "floor": float(np.median(floors)),
        "ratio": float(np.median(np.divide(ours, floors))),
        "cpu": float(np.median(usage)),
    }


def run(scale=1.0, repeats=7, settings=THREAD_SETTINGS, out=sys.stdout, progress=None):
    """Measure every case under every setting in ``settings``; print the table, return its rows."""
    rows = []
    for n_samples, n_features in SHAPES:
        n_samples = max(200, int(n_samples * scale))
        n_features = max(10, int(n_features * scale))
        for n_classes in (2, 10):
            X64, Y = _data(n_samples, n_features, n_classes)
            for X in (X64, X64.astype(np.float32)):
                kind = "binary" if n_classes == 2 else f"{n_classes}-class"
                name = f"{kind} {n_samples}x{n_features} {X.dtype}"
                for setting in settings:
                    result = measure(X, Y, setting, repeats)
                    row = [
                        name,
                        setting,
                        f"{1e3 * result['skloss']:.2f}",
                        f"{1e3 * result['floor']:.2f}",
                        f"{result['ratio']:.2f}",
                        f"{result['cpu']:.2f}",
                    ]
                    rows.append(row)
                    if progress is not None:
                        print("  " + "  ".join(row), file=progress, flush=True)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        "One evaluation (value and gradient) of skloss's objective against the floor,\n"
        "a fused numpy pass over X in 2,048-row blocks in X's precision on one thread;\n"
        f"medians of {repeats} alternating repeats, ratio = median of paired skloss / floor;\n"
        "CPU/wall = (user + sys CPU time) / wall time during skloss's evaluations\n"
        f"(above 1.5: both cores busy). Load average (1, 5, 15 min): {load}.",
        file=out,
    )
    print(format_table(HEADER, rows), file=out)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--repeats", type=int, default=7, help="alternating repeats per case")
    parser.add_argument(
        "--threads", choices=[*THREAD_SETTINGS, "both"], default="both", help="thread setting"
    )
    args = parser.parse_args(argv)
    settings = THREAD_SETTINGS if args.threads == "both" else (args.threads,)
    run(0.01 if args.fast else 1.0, args.repeats, settings, progress=sys.stderr)


if __name__ == "__main__":
    main()
