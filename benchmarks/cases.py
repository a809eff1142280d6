"""Benchmark cases: data, skloss's estimator, its peers, and the shared objective.

Every dataset comes from scikit-learn's ``make_*`` helpers (or, for sparse
input, scipy's ``sparse.random``) with fixed seeds. ``scale`` shrinks the
number of samples (and sparse features) for the fast mode run by the tests.
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, QuantileRegressor, Ridge

from skloss import LinearGaussianRegressor, MedianRegressor, SigmoidClassifier, SoftmaxClassifier

from . import objectives
from .peers import StatsmodelsQuantReg, statsmodels_available


@dataclass
class Peer:
    name: str
    make: object  # callable: () -> estimator
    max_samples: int | None = None  # skipped above this size (too slow)


@dataclass
class Case:
    name: str
    data: object  # callable: () -> (X, y)
    skloss: object  # callable: () -> estimator
    peers: list
    objective: object  # callable: (model, X, y) -> float
    note: str = ""
    repeats: int = 3  # the median-regression cases use 1: HiGHS takes minutes
    # For badly scaled data: a tight fit whose objective stands for the true
    # optimum (skloss at tol=1e-10; the peers need far longer to get there).
    reference: object = field(default=None)


def _badly_scaled(X, seed=0):
    scales = np.logspace(-3, 3, X.shape[1])
    np.random.default_rng(seed).shuffle(scales)
    return X * scales


def _sparse_classification(n_samples, n_features, n_classes, density=0.01, seed=0):
    rng = np.random.default_rng(seed)
    X = scipy.sparse.random(
        n_samples, n_features, density=density, format="csr", random_state=seed, dtype=float
    )
    X.data = rng.normal(size=X.nnz)
    coef = rng.normal(size=(n_features, n_classes)) * 3.0
    logits = np.asarray(X @ coef) + rng.gumbel(size=(n_samples, n_classes))
    y = np.argmax(logits, axis=1) if n_classes > 2 else (logits[:, 0] > 0).astype(int)
    return X, y


def _heavy_tailed_regression(n_samples, n_features, seed=0):
    X, y = make_regression(n_samples=n_samples, n_features=n_features, noise=0.0, random_state=seed)
    rng = np.random.default_rng(seed)
    return X, y + 10.0 * rng.standard_t(1.5, size=n_samples)


def _defaults_cases(scale):
    """Both libraries at their default tol and max_iter on well-conditioned data.

    LogisticRegression() as it comes (C=1) against skloss at the equivalent
    alpha = 1 / n_samples, also at its defaults: what most users run. Tall
    (200,000 x 100) and wide (20,000 x 2,000) dense X, and sparse X
    (:func:`_sparse_defaults_cases`); the fast mode keeps at least
    ten samples per feature so that the problem stays well determined.
    """
    cases = []
    shapes = (
        (max(2_000, int(200_000 * scale)), 100),
        (max(2_000, int(20_000 * scale)), max(200, int(2_000 * scale))),
    )
    for n_samples, n_features in shapes:
        for n_classes, estimator, objective in (
            (2, SigmoidClassifier, objectives.binary_log_loss),
            (10, SoftmaxClassifier, objectives.multinomial_log_loss),
        ):
            kind = "binary" if n_classes == 2 else "multiclass"

            def data(n_samples=n_samples, n_features=n_features, n_classes=n_classes):
                return make_classification(
                    n_samples=n_samples,
                    n_features=n_features,
                    n_informative=n_features // 2,
                    n_classes=n_classes,
                    random_state=0,
                )

            alpha = 1.0 / n_samples
            cases.append(
                Case(
                    f"7 {kind} defaults {n_samples}x{n_features}",
                    data,
                    lambda estimator=estimator, alpha=alpha: estimator(alpha=alpha),
                    [Peer("LogisticRegression() defaults", LogisticRegression)],
                    lambda m, X, y, objective=objective, alpha=alpha: objective(m, X, y, alpha),
                    note="defaults: max_iter and tol of each library",
                )
            )
    return cases + _sparse_defaults_cases(scale)


def _sparse_defaults_cases(scale):
    """Binary CSR at 1% density, both libraries at their defaults: 500 to 10,000 features.

    From a few stored values a row, where the per-row work (the loss)
    dominates a pass, to a hundred, where the products do.
    """
    n_samples = max(2_000, int(200_000 * scale))
    alpha = 1.0 / n_samples
    widths = sorted({max(50, int(n_features * scale)) for n_features in (500, 2_000, 10_000)})
    return [
        Case(
            f"7 binary sparse defaults {n_samples}x{n_features}",
            lambda n_features=n_features: _sparse_classification(n_samples, n_features, 2),
            lambda: SigmoidClassifier(alpha=alpha),
            [Peer("LogisticRegression() defaults", LogisticRegression)],
            lambda m, X, y: objectives.binary_log_loss(m, X, y, alpha),
            note="defaults: max_iter and tol of each library",
        )
        for n_features in widths
    ]


def all_cases(scale=1.0, tol=1e-8, repeats=3):
    """The benchmark cases at ``scale`` times their full size."""

    def n(count):
        return max(200, int(count * scale))

    # alpha on the mean loss; scikit-learn's C = 1 / (alpha * n_samples).
    alpha = 1e-4
    binary_n, multi_n, ridge_n = n(200_000), n(100_000), n(200_000)

    def logistic(n_samples, **kwargs):
        return lambda: LogisticRegression(C=1.0 / (alpha * n_samples), **kwargs)

    def binary_data():
        return make_classification(
            n_samples=binary_n, n_features=100, n_informative=50, random_state=0
        )

    def multi_data():
        return make_classification(
            n_samples=multi_n, n_features=100, n_informative=50, n_classes=10, random_state=0
        )

    cases = [
        Case(
            "1 binary dense",
            binary_data,
            lambda: SigmoidClassifier(alpha=alpha, tol=tol),
            [Peer("LogisticRegression(lbfgs)", logistic(binary_n, tol=tol, max_iter=10_000))],
            lambda m, X, y: objectives.binary_log_loss(m, X, y, alpha),
        ),
        Case(
            "2 multiclass dense",
            multi_data,
            lambda: SoftmaxClassifier(alpha=alpha, tol=tol),
            [Peer("LogisticRegression(lbfgs)", logistic(multi_n, tol=tol, max_iter=10_000))],
            lambda m, X, y: objectives.multinomial_log_loss(m, X, y, alpha),
        ),
        Case(
            "3 mean (ridge)",
            lambda: make_regression(n_samples=ridge_n, n_features=100, noise=1.0, random_state=0),
            lambda: LinearGaussianRegressor(alpha=alpha, tol=1e-10),
            [Peer("Ridge", lambda: Ridge(alpha=alpha * ridge_n))],
            lambda m, X, y: objectives.half_squared_error(m, X, y, alpha),
        ),
    ]
    for count in (20_000, 100_000):
        size = n(count)
        cases.append(
            Case(
                f"4 median n={size}",
                lambda size=size: _heavy_tailed_regression(size, 20),
                MedianRegressor,
                [
                    Peer(
                        "QuantileRegressor(highs)",
                        lambda: QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs"),
                        max_samples=20_000,
                    ),
                    Peer(
                        "QuantileRegressor(highs-ipm)",
                        lambda: QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs-ipm"),
                        max_samples=20_000,
                    ),
                    *(
                        [Peer("statsmodels QuantReg", lambda: StatsmodelsQuantReg(0.5))]
                        if statsmodels_available()
                        else []
                    ),
                ],
                lambda m, X, y: objectives.absolute_error(m, X, y, 0.0),
                repeats=1,
            )
        )
    cases += [
        Case(
            "5 binary badly scaled",
            lambda: (lambda X, y: (_badly_scaled(X), y))(*binary_data()),
            lambda: SigmoidClassifier(alpha=alpha),
            [Peer("LogisticRegression(lbfgs) default", logistic(binary_n))],
            lambda m, X, y: objectives.binary_log_loss(m, X, y, alpha),
            note="defaults: max_iter and tol of each library",
            reference=lambda: SigmoidClassifier(alpha=alpha, tol=1e-10, max_iter=10_000),
        ),
        Case(
            "5 multiclass badly scaled",
            lambda: (lambda X, y: (_badly_scaled(X), y))(*multi_data()),
            lambda: SoftmaxClassifier(alpha=alpha),
            [Peer("LogisticRegression(lbfgs) default", logistic(multi_n))],
            lambda m, X, y: objectives.multinomial_log_loss(m, X, y, alpha),
            note="defaults: max_iter and tol of each library",
            reference=lambda: SoftmaxClassifier(alpha=alpha, tol=1e-10, max_iter=10_000),
        ),
        Case(
            "6 binary sparse CSR",
            lambda: _sparse_classification(n(200_000), max(100, int(10_000 * scale)), 2),
            lambda: SigmoidClassifier(alpha=alpha, tol=tol),
            [Peer("LogisticRegression(lbfgs)", logistic(n(200_000), tol=tol, max_iter=10_000))],
            lambda m, X, y: objectives.binary_log_loss(m, X, y, alpha),
        ),
        Case(
            "6 multiclass sparse CSR",
            lambda: _sparse_classification(n(200_000), max(100, int(10_000 * scale)), 10),
            lambda: SoftmaxClassifier(alpha=alpha, tol=tol),
            [Peer("LogisticRegression(lbfgs)", logistic(n(200_000), tol=tol, max_iter=10_000))],
            lambda m, X, y: objectives.multinomial_log_loss(m, X, y, alpha),
        ),
    ]
    cases += _defaults_cases(scale)
    for case in cases:
        case.repeats = min(case.repeats, repeats)
    return cases
