"""At the default ``tol`` the objective is within 1e-6 (relative) of scikit-learn's optimum.

Truth: ``LogisticRegression`` at ``tol=1e-12`` on the same penalised
objective (``C = 1 / (alpha * sum of weights)``), over shapes, weights,
sparsity, class separation and ``alpha`` down to 1e-8, where the optimum is
often orders of magnitude below the starting objective; and for wide
(n < d) squared-error problems ``Ridge(solver="svd")`` with
``alpha * sum of weights``, over shapes, weights, sparsity, float32,
correlated and badly scaled columns and ``alpha`` down to 1e-8.
"""

import numpy as np
import scipy.sparse
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression, Ridge

from skloss import LinearGaussianRegressor, SigmoidClassifier, SoftmaxClassifier

PROBLEMS = st.fixed_dictionaries(
    {
        "n": st.integers(10, 80),
        "d": st.integers(1, 6),
        "n_classes": st.integers(2, 4),
        "separation": st.floats(0.5, 20.0),
        "alpha_exponent": st.floats(-8.0, 0.0),
        "weighted": st.booleans(),
        "sparse": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)


def _problem(problem):
    rng = np.random.default_rng(problem["seed"])
    n, d, k = problem["n"], problem["d"], problem["n_classes"]
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10.0, size=d)
    if problem["sparse"]:
        X[rng.random((n, d)) < 0.5] = 0.0
    logits = X / np.maximum(X.std(axis=0), 1e-12) @ rng.normal(size=(d, k))
    y = np.argmax(logits * problem["separation"] / np.sqrt(d) + rng.gumbel(size=(n, k)), axis=1)
    y[:k] = np.arange(k)
    weight = rng.uniform(0.2, 3.0, size=n) if problem["weighted"] else np.ones(n)
    return X, y, weight, 10.0 ** problem["alpha_exponent"]


def _objective(X, y, weight, coef, intercept, alpha):
    """Weighted mean log-loss plus ``alpha / 2 ||W||^2``, from the logits."""
    raw = X @ coef.T + intercept
    if raw.shape[1] == 1:
        loss = np.logaddexp(0.0, raw[:, 0]) - y * raw[:, 0]
    else:
        loss = logsumexp(raw, axis=1) - raw[np.arange(len(y)), y]
    return weight @ loss / weight.sum() + 0.5 * alpha * np.sum(coef**2)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(PROBLEMS)
# Near-separable classes and a small alpha: the optimum is far below the
# start, where an absolute gradient test used to stop early.
@example(
    dict(
        n=10,
        d=1,
        n_classes=2,
        separation=9.0,
        alpha_exponent=-5.0,
        weighted=False,
        sparse=False,
        seed=0,
    )
)
@example(
    dict(
        n=30,
        d=3,
        n_classes=3,
        separation=9.0,
        alpha_exponent=-5.0,
        weighted=True,
        sparse=False,
        seed=1,
    )
)
def test_default_tol_objective_within_1e_6_of_scikit_learn(problem):
    X, y, weight, alpha = _problem(problem)
    estimator = SoftmaxClassifier if problem["n_classes"] > 2 else SigmoidClassifier
    fitted_X = scipy.sparse.csr_matrix(X) if problem["sparse"] else X
    model = estimator(alpha=alpha).fit(fitted_X, y, sample_weight=weight)
    reference = LogisticRegression(C=1.0 / (alpha * weight.sum()), tol=1e-12, max_iter=100_000)
    reference.fit(X, y, sample_weight=weight)
    ours = _objective(X, y, weight, model.coef_, model.intercept_, alpha)
    theirs = _objective(X, y, weight, reference.coef_, reference.intercept_, alpha)
    assert ours - theirs <= 1e-6 * abs(theirs)


WIDE_RIDGE_PROBLEMS = st.fixed_dictionaries(
    {
        "n": st.integers(2, 40),
        "extra_features": st.integers(1, 120),
        "alpha_exponent": st.floats(-8.0, 1.0),
        "seed": st.integers(0, 2**16),
        **{flag: st.booleans() for flag in ("fit_intercept", "weighted", "sparse", "float32")},
    }
)


def _wide_ridge_problem(problem):
    """Correlated columns on scales 0.1 to 10 around means up to 3, y of unit scale."""
    rng = np.random.default_rng(problem["seed"])
    n = problem["n"]
    d = n + problem["extra_features"]
    X = rng.normal(size=(n, d)) @ (np.eye(d) + rng.normal(size=(d, d)) / np.sqrt(d))
    X = X * 10.0 ** rng.uniform(-1.0, 1.0, size=d) + rng.normal(scale=3.0, size=d)
    if problem["sparse"]:
        X[rng.random((n, d)) < 0.5] = 0.0
    if problem["float32"]:
        X = X.astype(np.float32)
    y = X @ rng.normal(size=d) / np.sqrt(d * np.mean(X.astype(float) ** 2))
    y = y + rng.normal(scale=0.3, size=n)
    weight = rng.uniform(0.2, 3.0, size=n) if problem["weighted"] else np.ones(n)
    return X, y, weight, 10.0 ** problem["alpha_exponent"]


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(WIDE_RIDGE_PROBLEMS)
def test_default_tol_wide_ridge_objective_within_1e_6_of_scikit_learn(problem):
    X, y, weight, alpha = _wide_ridge_problem(problem)
    fit_intercept = problem["fit_intercept"]
    fitted_X = scipy.sparse.csr_matrix(X) if problem["sparse"] else X
    model = LinearGaussianRegressor(alpha=alpha, fit_intercept=fit_intercept)
    model.fit(fitted_X, y, sample_weight=weight)
    X = X.astype(float)
    reference = Ridge(alpha=alpha * weight.sum(), fit_intercept=fit_intercept, solver="svd")
    reference.fit(X, y, sample_weight=weight)

    def objective(coef, intercept):
        residual = y - X @ coef - intercept
        return weight @ residual**2 / (2 * weight.sum()) + 0.5 * alpha * coef @ coef

    ours, theirs = (
        objective(model.coef_, model.intercept_),
        objective(reference.coef_, reference.intercept_),
    )
    assert ours - theirs <= 1e-6 * abs(theirs)
