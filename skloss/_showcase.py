"""The main job (``python -m skloss``): skloss beside scikit-learn, then mean vs median.

Everything runs on datasets bundled with scikit-learn or generated here, so
it needs no download.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.linear_model import LogisticRegression, QuantileRegressor, Ridge
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ._classification import SigmoidClassifier, SoftmaxClassifier
from ._regression import LinearGaussianRegressor, MedianRegressor

_REPEATS = 3


def _median_fit_time(make_model, X, y):
    times, model = [], None
    for _ in range(_REPEATS):
        model = make_model()
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return model, float(np.median(times))


def _relative_difference(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _mean_absolute_residual(model, X, y):
    return float(np.mean(np.abs(y - X @ model.coef_ - model.intercept_)))


def _cases():
    """(name, data, skloss model, sklearn model, score, agreement) for each comparison."""
    alpha = 1e-3
    X, y = load_diabetes(return_X_y=True)
    n = int(0.75 * len(y))
    yield (
        "diabetes: mean",
        (X, y, False),
        lambda: LinearGaussianRegressor(alpha=alpha, tol=1e-10),
        lambda: Ridge(alpha=alpha * n),
        ("R^2", lambda m, X, y: m.score(X, y)),
        ("coef rel. diff", lambda a, b, X, y: _relative_difference(a.coef_, b.coef_)),
    )
    yield (
        "diabetes: median",
        (X, y, False),
        MedianRegressor,
        lambda: QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs"),
        ("MAE", lambda m, X, y: mean_absolute_error(y, m.predict(X))),
        (
            "objective rel. diff",
            lambda a, b, X, y: (
                _mean_absolute_residual(a, X, y) / _mean_absolute_residual(b, X, y) - 1.0
            ),
        ),
    )
    accuracy = ("accuracy", lambda m, X, y: m.score(X, y))
    coef_agreement = (
        "coef rel. diff",
        lambda a, b, X, y: _relative_difference(a.coef_, b.coef_),
    )
    for name, loader, estimator in [
        ("breast cancer: binary", load_breast_cancer, SigmoidClassifier),
        ("wine: 3 classes", load_wine, SoftmaxClassifier),
        ("digits: 10 classes", load_digits, SoftmaxClassifier),
    ]:
        X, y = loader(return_X_y=True)
        n = int(0.75 * len(y))
        yield (
            name,
            (X, y, True),
            lambda estimator=estimator: estimator(alpha=alpha, tol=1e-8),
            lambda n=n: LogisticRegression(C=1.0 / (alpha * n), tol=1e-10, max_iter=10_000),
            accuracy,
            coef_agreement,
        )


def compare_with_sklearn():
    """Fit each estimator beside its scikit-learn counterpart; return table rows."""
    rows = []
    for name, (X, y, scale), make_ours, make_theirs, (metric, score), (what, agree) in _cases():
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        if scale:
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        ours, our_time = _median_fit_time(make_ours, X_train, y_train)
        theirs, their_time = _median_fit_time(make_theirs, X_train, y_train)
        rows.append(
            [
                name,
                type(ours).__name__,
                type(theirs).__name__,
                metric,
                f"{score(ours, X_test, y_test):.4f}",
                f"{score(theirs, X_test, y_test):.4f}",
                f"{1e3 * our_time:.1f}",
                f"{1e3 * their_time:.1f}",
                f"{what} {agree(ours, theirs, X_train, y_train):.1e}",
            ]
        )
    header = [
        "problem",
        "skloss",
        "scikit-learn",
        "test score",
        "skloss",
        "sklearn",
        "skloss ms",
        "sklearn ms",
        "agreement (train)",
    ]
    return header, rows


def mean_vs_median(n_samples=20_000, sigma=1.0, seed=0):
    """Fit the mean and the median on skewed noise; compare with the truth.

    y = 1 + 2 x + e with e ~ LogNormal(0, sigma): the conditional mean has
    intercept 1 + exp(sigma^2 / 2), the conditional median 1 + 1. Then 5%
    of the targets are replaced by gross outliers, which move the mean fit
    and barely move the median fit.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n_samples, 1))
    y = 1.0 + 2.0 * x[:, 0] + rng.lognormal(0.0, sigma, size=n_samples)
    truths = {"mean": 1.0 + np.exp(sigma**2 / 2), "median": 2.0}
    rows = []
    outliers = rng.random(n_samples) < 0.05
    for label, target in [
        ("skewed noise", y),
        ("skewed noise + 5% outliers", np.where(outliers, 100.0, y)),
    ]:
        for statistic, model in [
            ("mean", LinearGaussianRegressor()),
            ("median", MedianRegressor()),
        ]:
            model.fit(x, target)
            rows.append(
                [
                    label,
                    type(model).__name__,
                    statistic,
                    f"{model.intercept_:.3f}",
                    f"{truths[statistic]:.3f}",
                    f"{model.coef_[0]:.3f}",
                    "2.000",
                ]
            )
    header = ["data", "estimator", "learns", "intercept", "true", "slope", "true"]
    return header, rows


def format_table(header, rows):
    """Plain-text table with columns padded to their widest entry."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def main():
    """Print both tables."""
    with warnings.catch_warnings():
        # The comparison is at tight tolerances on purpose; a peer that stops
        # early still gets its row.
        warnings.simplefilter("ignore", category=UserWarning)
        header, rows = compare_with_sklearn()
    print("skloss beside scikit-learn (median of 3 fits; held-out score)")
    print(format_table(header, rows))
    print()
    print("Mean vs median regression: y = 1 + 2x + LogNormal(0, 1) noise, n = 20000")
    print(format_table(*mean_vs_median()))
