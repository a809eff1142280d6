"""``python -m benchmarks.dask_case``: logistic regression on a Dask array, side by side.

On one LocalCluster (worker processes), on the same persisted Dask array:
skloss's ``SigmoidClassifier``, dask-ml's ``LogisticRegression`` with its
``lbfgs`` and default ``admm`` solvers, and skloss in memory on the same
rows. Every model is scored by one formula, the penalised mean log-loss
``mean_i log(1 + exp(-s_i z_i)) + alpha / 2 ||w||^2`` (``s_i = +-1``).
dask-glm minimises ``sum_i loss_i + lambda / 2 ||(w, b)||^2``, so
``lambda = n alpha`` gives the same problem up to its (tiny) penalty on
the intercept.

It also times one evaluation (loss and gradient) of the fitting objective
on the cluster and in memory: their ratio is the per-evaluation overhead.
``--overhead-only`` skips the fits (for 1M x 100: dask-ml takes minutes).
"""

import argparse
import time

import numpy as np

# Penalty: small, so the problem is nearly the unpenalised one.
_ALPHA = 1e-4
_REPEATS = 3
_EVALUATIONS = 15


def _data(n_samples, n_features, chunk_rows, seed=0):
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features), chunks=(chunk_rows, -1))
    coef = np.linspace(-1.0, 1.0, n_features)
    logits = X @ coef + 0.5 + rng.logistic(size=n_samples)
    y = (logits > 0).astype(np.int64)
    return X.persist(), y.persist()


def _objective(coef, intercept, X, y):
    """The penalised mean log-loss, in numpy, for every model alike."""
    z = X @ coef + intercept
    sign = np.where(y == 1, 1.0, -1.0)
    return float(np.mean(np.logaddexp(0.0, -sign * z)) + 0.5 * _ALPHA * coef @ coef)


def _median_seconds(function, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def _evaluation_seconds(X, y):
    """Median seconds of one loss-and-gradient evaluation: on the cluster, in memory."""
    from skloss._core._dask_rows import DaskX
    from skloss._core._objective import make_objective
    from skloss._core._problem import make_problem
    from skloss.losses import BernoulliLogLoss

    target = y.compute().astype(float)[:, np.newaxis]
    weight = np.ones(len(target))
    seconds = []
    for rows in (DaskX(X), X.compute()):
        objective = make_objective(
            make_problem(rows, target, weight, _ALPHA, True), BernoulliLogLoss()
        )
        theta = objective.pack(np.zeros((X.shape[1], 1)), np.zeros(1))
        objective.value_and_gradient(theta)  # warm up
        seconds.append(
            _median_seconds(lambda o=objective, t=theta: o.value_and_gradient(t), _EVALUATIONS)[0]
        )
    return seconds


def _fits(X, y, repeats):
    from dask_ml.linear_model import LogisticRegression

    from skloss import SigmoidClassifier

    n_samples = X.shape[0]
    X_memory, y_memory = X.compute(), y.compute()
    models = {
        "skloss on Dask": (lambda: SigmoidClassifier(alpha=_ALPHA).fit(X, y)),
        "skloss in memory": (lambda: SigmoidClassifier(alpha=_ALPHA).fit(X_memory, y_memory)),
        "dask-ml lbfgs": (
            lambda: LogisticRegression(solver="lbfgs", C=1 / (n_samples * _ALPHA)).fit(X, y)
        ),
        "dask-ml admm": (lambda: LogisticRegression(C=1 / (n_samples * _ALPHA)).fit(X, y)),
    }
    rows = []
    for name, fit in models.items():
        seconds, model = _median_seconds(fit, repeats)
        coef = np.ravel(model.coef_)
        intercept = float(np.ravel(model.intercept_)[0])
        objective = _objective(coef, intercept, X_memory, y_memory)
        rows.append((name, seconds, getattr(model, "n_iter_", "n/a"), objective))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--chunk-rows", type=int, default=25_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=_REPEATS)
    parser.add_argument("--overhead-only", action="store_true")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster),
    ):
        X, y = _data(args.samples, args.features, args.chunk_rows)
        print(f"{args.samples} x {args.features}, {X.numblocks[0]} chunks, {args.workers} workers")
        on_cluster, in_memory = _evaluation_seconds(X, y)
        print(
            f"one evaluation (median of {_EVALUATIONS}): cluster {1e3 * on_cluster:.1f} ms, "
            f"in memory {1e3 * in_memory:.1f} ms, overhead {on_cluster / in_memory:.2f}x"
        )
        if args.overhead_only:
            return
        rows = _fits(X, y, args.repeats)
        best = min(objective for *_, objective in rows)
        ours = rows[0][1]
        print(
            f"{'model':<18} {'seconds':>9} {'vs skloss':>9} {'iters':>6} {'objective':>14} rel.gap"
        )
        for name, seconds, n_iter, objective in rows:
            print(
                f"{name:<18} {seconds:9.2f} {seconds / ours:9.1f} {n_iter!s:>6} "
                f"{objective:14.10f} {(objective - best) / abs(best):+.1e}"
            )


if __name__ == "__main__":
    main()
