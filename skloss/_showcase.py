"""The main job (``python -m skloss``): skloss beside scikit-learn, then mean vs median.

Everything runs on datasets bundled with scikit-learn or generated here, so
it needs no download.
"""

import argparse
import warnings

import numpy as np
import scipy.stats
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.linear_model import LogisticRegression, QuantileRegressor, Ridge
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ._classification import SigmoidClassifier, SoftmaxClassifier
from ._fair_timing import THREAD_SETTINGS, median_fit_time, thread_setting
from ._regression import LinearGaussianRegressor, MedianRegressor

_REPEATS = 3


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


COMPARISON_LEGEND = """\
skloss / scikit-learn: the two estimators fitted to the same training split.
score skloss / score sklearn: each one's test-set metric (held-out quarter).
ms (1 thread): median fit time of 3, both libraries with BLAS and OpenMP on one
  thread; ms (defaults): each library as it comes (skloss's core runs BLAS on
  one thread, scikit-learn uses every core). Times vary between runs and with
  other load on the machine; compare within a row.
agreement (train): how close the two fits are (coefficients or objective)."""


def compare_with_sklearn():
    """Fit each estimator beside its scikit-learn counterpart; return table rows."""
    rows = []
    for name, (X, y, scale), make_ours, make_theirs, (metric, score), (what, agree) in _cases():
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        if scale:
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        times = []
        for setting in THREAD_SETTINGS:
            with thread_setting(setting):
                ours, our_time = median_fit_time(make_ours, X_train, y_train, _REPEATS)
                theirs, their_time = median_fit_time(make_theirs, X_train, y_train, _REPEATS)
            times += [f"{1e3 * our_time:.1f}", f"{1e3 * their_time:.1f}"]
        rows.append(
            [
                name,
                type(ours).__name__,
                type(theirs).__name__,
                metric,
                f"{score(ours, X_test, y_test):.4f}",
                f"{score(theirs, X_test, y_test):.4f}",
                *times,
                f"{what} {agree(ours, theirs, X_train, y_train):.1e}",
            ]
        )
    header = [
        "problem",
        "skloss",
        "scikit-learn",
        "test metric",
        "score skloss",
        "score sklearn",
        *(f"{who} ms ({setting})" for setting in THREAD_SETTINGS for who in ("skloss", "sklearn")),
        "agreement (train)",
    ]
    return header, rows


MEAN_VS_MEDIAN_LEGEND = """\
population: the statistic's value for the distribution that was fitted (with
  outliers: for the contaminated distribution, which is what that fit estimates).
clean data: its value without outliers; a robust fit stays close to it."""


def _population_lines(sigma, contamination):
    """(intercept, slope) of the mean and median of y | x, with a share of outliers at 100.

    y = 1 + 2x + e, e ~ LogNormal(0, sigma), replaced by 100 with probability
    ``contamination`` independently of x (100 lies above every quantile used).
    """
    clean_mean = 1.0 + np.exp(sigma**2 / 2)
    # The median solves (1 - c) F(m) = 1/2, F the clean conditional CDF.
    median_quantile = 0.5 / (1.0 - contamination)
    return {
        "mean": ((1 - contamination) * clean_mean + 100.0 * contamination, 2 * (1 - contamination)),
        "median": (1.0 + np.exp(sigma * scipy.stats.norm.ppf(median_quantile)), 2.0),
    }


def mean_vs_median(n_samples=20_000, sigma=1.0, seed=0, contamination=0.05):
    """Fit the mean and the median on skewed noise; compare with the population values.

    y = 1 + 2 x + e with e ~ LogNormal(0, sigma): the conditional mean has
    intercept 1 + exp(sigma^2 / 2), the conditional median 1 + 1. Then a
    share ``contamination`` of the targets is replaced by gross outliers
    (100), which move the mean fit far from the clean data's mean and
    barely move the median fit.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n_samples, 1))
    y = 1.0 + 2.0 * x[:, 0] + rng.lognormal(0.0, sigma, size=n_samples)
    clean = _population_lines(sigma, 0.0)
    rows = []
    outliers = rng.random(n_samples) < contamination
    for label, target, share in [
        ("skewed noise", y, 0.0),
        (
            f"skewed noise + {contamination:.0%} outliers",
            np.where(outliers, 100.0, y),
            contamination,
        ),
    ]:
        population = _population_lines(sigma, share)
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
                    f"{population[statistic][0]:.3f}",
                    f"{clean[statistic][0]:.3f}",
                    f"{model.coef_[0]:.3f}",
                    f"{population[statistic][1]:.3f}",
                    f"{clean[statistic][1]:.3f}",
                ]
            )
    header = [
        "data",
        "estimator",
        "learns",
        "intercept",
        "population",
        "clean data",
        "slope",
        "population",
        "clean data",
    ]
    return header, rows


def format_table(header, rows):
    """Plain-text table with columns padded to their widest entry."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skloss",
        description=(
            "Fit skloss's estimators beside their scikit-learn counterparts on "
            "datasets bundled with scikit-learn (held-out scores, fit times with "
            "both libraries on one thread and each at its defaults, agreement of "
            "the fits), then fit the mean and the median on skewed noise with "
            "outliers. Takes about 10-30 seconds; needs no download."
        ),
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Print both tables (``argv``: command-line arguments, ``--help`` only)."""
    _parse_arguments(argv)
    with warnings.catch_warnings():
        # The comparison is at tight tolerances on purpose; a peer that stops
        # early still gets its row.
        warnings.simplefilter("ignore", category=UserWarning)
        header, rows = compare_with_sklearn()
    print("skloss beside scikit-learn (held-out score; median of 3 fit times)")
    print(format_table(header, rows))
    print(COMPARISON_LEGEND)
    print()
    print("Mean vs median regression: y = 1 + 2x + LogNormal(0, 1) noise, n = 20000")
    print(format_table(*mean_vs_median()))
    print(MEAN_VS_MEDIAN_LEGEND)
