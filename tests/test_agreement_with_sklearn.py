"""skloss fits the same models as scikit-learn's reference estimators.

Objective of every skloss estimator:
``sum_i s_i l(y_i, z_i) / sum_i s_i + alpha / 2 ||W||_F^2``, ``z = X W + b``.
Scaled to scikit-learn's conventions this gives

- ``LinearGaussianRegressor(alpha=a)`` == ``Ridge(alpha=a * sum(s))``
  (``LinearRegression`` for ``a = 0``),
- ``SigmoidClassifier(alpha=a)`` == ``LogisticRegression(C=1 / (a * sum(s)))``,
- ``SoftmaxClassifier(alpha=a)`` == multinomial ``LogisticRegression`` with the
  same ``C`` (scikit-learn's lbfgs default for more than two classes).

The truth is always scikit-learn's solution or an objective written out here
with numpy; nothing is compared against skloss's own earlier output.
"""

import warnings

import numpy as np
import pytest
from scipy.special import log_expit, logsumexp
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from skloss import (
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss.losses import Pinball

TIGHT = {"tol": 1e-10, "max_iter": 10_000}
# The reference logistic regressions are pushed well past their default
# accuracy so that the comparison measures skloss, not scikit-learn.
SK_LOGISTIC = {"tol": 1e-12, "max_iter": 20_000}


def _relative_error(actual, expected):
    """Largest absolute difference, relative to the largest reference entry."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def _parameters(coef, intercept):
    """(coef, intercept) as one flat vector: relative errors use its scale.

    Comparing an intercept that happens to be near zero relative to itself
    would measure its conditioning, not the agreement of the two models.
    """
    return np.concatenate([np.ravel(coef), np.ravel(intercept)])


def _scaled(loader, n_samples=None):
    X, y = loader(return_X_y=True)
    if n_samples is not None:
        X, y = X[:n_samples], y[:n_samples]
    return StandardScaler().fit_transform(X), y


def _weights(n, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 3.0, n)


# --------------------------------------------------------------------------
# Objectives written out with numpy, the independent check of ``objective_``.


def _weighted_mean(values, sample_weight):
    s = np.ones(len(values)) if sample_weight is None else np.asarray(sample_weight, float)
    return float(np.sum(s * values) / np.sum(s))


def _squared_error_objective(X, Y, coef, intercept, alpha, sample_weight=None):
    coef = np.atleast_2d(coef)  # (n_outputs, n_features)
    residual = Y.reshape(len(Y), -1) - (X @ coef.T + intercept)
    per_sample = 0.5 * np.sum(residual**2, axis=1)
    return _weighted_mean(per_sample, sample_weight) + 0.5 * alpha * np.sum(coef**2)


def _logistic_objective(X, y01, coef, intercept, alpha, sample_weight=None):
    z = X @ np.ravel(coef) + np.ravel(intercept)[0]
    per_sample = -(y01 * log_expit(z) + (1 - y01) * log_expit(-z))
    return _weighted_mean(per_sample, sample_weight) + 0.5 * alpha * np.sum(coef**2)


def _multinomial_objective(X, codes, coef, intercept, alpha, sample_weight=None):
    z = X @ coef.T + intercept
    per_sample = logsumexp(z, axis=1) - z[np.arange(len(codes)), codes]
    return _weighted_mean(per_sample, sample_weight) + 0.5 * alpha * np.sum(coef**2)


def _pinball_objective(X, y, coef, intercept, quantile, scale, alpha, sample_weight=None):
    residual = y - X @ coef - intercept
    per_sample = scale * np.maximum(quantile * residual, (quantile - 1) * residual)
    return _weighted_mean(per_sample, sample_weight) + 0.5 * alpha * np.sum(coef**2)


# --------------------------------------------------------------------------
# LinearGaussianRegressor == Ridge / LinearRegression


def _ridge_reference(alpha, total_weight, fit_intercept):
    if alpha == 0:
        return LinearRegression(fit_intercept=fit_intercept)
    return Ridge(alpha=alpha * total_weight, solver="cholesky", fit_intercept=fit_intercept)


@pytest.mark.parametrize("alpha", [0.0, 1e-4, 1e-2, 1.0])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
def test_gaussian_regressor_is_ridge_with_alpha_times_total_weight_on_diabetes(
    alpha, weighted, fit_intercept
):
    X, y = load_diabetes(return_X_y=True)
    s = _weights(len(y)) if weighted else None
    total = len(y) if s is None else s.sum()
    model = LinearGaussianRegressor(alpha=alpha, fit_intercept=fit_intercept, **TIGHT)
    model.fit(X, y, sample_weight=s)
    reference = _ridge_reference(alpha, total, fit_intercept).fit(X, y, sample_weight=s)

    assert model.coef_.shape == reference.coef_.shape
    assert _relative_error(model.coef_, reference.coef_) < 1e-5
    if fit_intercept:
        assert abs(model.intercept_ - reference.intercept_) < 1e-5 * abs(reference.intercept_)
    else:
        assert model.intercept_ == 0.0
    expected = reference.predict(X)
    assert _relative_error(model.predict(X), expected) < 1e-6


@pytest.mark.parametrize("alpha", [0.0, 1e-2, 1.0])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_gaussian_regressor_is_ridge_on_linnerud_multi_output(alpha, weighted):
    X, Y = load_linnerud(return_X_y=True)
    s = _weights(len(Y), seed=1) if weighted else None
    total = len(Y) if s is None else s.sum()
    model = LinearGaussianRegressor(alpha=alpha, **TIGHT).fit(X, Y, sample_weight=s)
    reference = _ridge_reference(alpha, total, True).fit(X, Y, sample_weight=s)

    assert model.coef_.shape == reference.coef_.shape == (3, 3)
    assert _relative_error(model.coef_, reference.coef_) < 1e-5
    assert _relative_error(model.intercept_, reference.intercept_) < 1e-5
    assert model.predict(X).shape == Y.shape


def test_multi_output_gaussian_fit_is_one_independent_fit_per_target():
    """The loss sums over outputs and the penalty is separable: columns decouple."""
    X, Y = load_linnerud(return_X_y=True)
    joint = LinearGaussianRegressor(alpha=1e-2, **TIGHT).fit(X, Y)
    for j in range(Y.shape[1]):
        single = LinearGaussianRegressor(alpha=1e-2, **TIGHT).fit(X, Y[:, j])
        assert _relative_error(joint.coef_[j], single.coef_) < 1e-6
        assert abs(joint.intercept_[j] - single.intercept_) < 1e-6 * abs(single.intercept_)


# --------------------------------------------------------------------------
# SigmoidClassifier == binary LogisticRegression


@pytest.mark.parametrize("alpha", [1e-3, 1e-2, 1e-1, 1.0])
def test_sigmoid_classifier_is_logistic_regression_on_standardised_breast_cancer(alpha):
    X, y = _scaled(load_breast_cancer)
    model = SigmoidClassifier(alpha=alpha, **TIGHT).fit(X, y)
    reference = LogisticRegression(C=1 / (alpha * len(y)), **SK_LOGISTIC).fit(X, y)

    assert model.coef_.shape == reference.coef_.shape == (1, X.shape[1])
    assert (
        _relative_error(
            _parameters(model.coef_, model.intercept_),
            _parameters(reference.coef_, reference.intercept_),
        )
        < 1e-5
    )
    assert _relative_error(model.coef_, reference.coef_) < 1e-5
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(model.classes_, reference.classes_)


@pytest.mark.parametrize("alpha", [1e-3, 1e-1])
def test_weighted_sigmoid_classifier_is_logistic_regression_with_c_over_total_weight(alpha):
    X, y = _scaled(load_breast_cancer)
    s = _weights(len(y), seed=2)
    model = SigmoidClassifier(alpha=alpha, **TIGHT).fit(X, y, sample_weight=s)
    reference = LogisticRegression(C=1 / (alpha * s.sum()), **SK_LOGISTIC)
    reference.fit(X, y, sample_weight=s)

    assert (
        _relative_error(
            _parameters(model.coef_, model.intercept_),
            _parameters(reference.coef_, reference.intercept_),
        )
        < 1e-5
    )
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("alpha", [1e-3, 1e-2, 1e-1])
def test_sigmoid_classifier_on_unscaled_breast_cancer_reaches_the_logistic_optimum(alpha):
    """Raw features spanning five orders of magnitude of scale.

    scikit-learn's lbfgs needs thousands of iterations here; skloss must get at
    least as low an objective at its default ``max_iter`` without warning.
    """
    X, y = load_breast_cancer(return_X_y=True)
    reference = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=50_000)
    reference.fit(X, y)
    reference_objective = _logistic_objective(X, y, reference.coef_, reference.intercept_, alpha)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SigmoidClassifier(alpha=alpha, tol=1e-8).fit(X, y)
        default = SigmoidClassifier(alpha=alpha).fit(X, y)
    objective = _logistic_objective(X, y, model.coef_, model.intercept_, alpha)
    # The problem is so ill-conditioned that even this reference is only
    # accurate to about 1e-3 in its coefficients: compare objectives.
    assert objective <= reference_objective * (1 + 1e-9)

    # The default tolerance is already within 1e-5 of the optimum.
    default_objective = _logistic_objective(X, y, default.coef_, default.intercept_, alpha)
    assert default_objective <= reference_objective * (1 + 1e-5)


# --------------------------------------------------------------------------
# SoftmaxClassifier == multinomial LogisticRegression

SOFTMAX_DATA = {
    "iris": lambda: _scaled(load_iris),
    "wine": lambda: _scaled(load_wine),
    "digits": lambda: _scaled(load_digits, n_samples=720),
}


@pytest.mark.parametrize("alpha", [1e-3, 1e-2, 1e-1])
@pytest.mark.parametrize("dataset", list(SOFTMAX_DATA))
def test_softmax_classifier_is_multinomial_logistic_regression(dataset, alpha):
    X, y = SOFTMAX_DATA[dataset]()
    n_classes = len(np.unique(y))
    model = SoftmaxClassifier(alpha=alpha, **TIGHT).fit(X, y)
    reference = LogisticRegression(C=1 / (alpha * len(y)), **SK_LOGISTIC).fit(X, y)

    # Both keep one row per class; the penalised optimum has coefficients
    # summing to zero over classes (the softmax gradient does).
    assert model.coef_.shape == reference.coef_.shape == (n_classes, X.shape[1])
    scale = np.abs(reference.coef_).max()
    assert np.abs(reference.coef_.sum(axis=0)).max() < 1e-8 * scale
    # skloss holds it to its convergence floor: the loss is flat along a
    # shift common to all classes, only the penalty (curvature alpha) pulls
    # the rounding drift back, so the sum stays within about tol / alpha.
    # That drift is absolute (a gradient below tol against curvature alpha),
    # whatever the size of the coefficients.
    assert np.abs(model.coef_.sum(axis=0)).max() < 10 * TIGHT["tol"] / alpha
    # Intercepts are defined up to a common shift; compare them centred.
    model_intercept = model.intercept_ - model.intercept_.mean()
    reference_intercept = reference.intercept_ - reference.intercept_.mean()
    assert (
        _relative_error(
            _parameters(model.coef_, model_intercept),
            _parameters(reference.coef_, reference_intercept),
        )
        < 1e-5
    )
    assert _relative_error(model.coef_, reference.coef_) < 1e-5
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_weighted_softmax_classifier_is_multinomial_logistic_regression():
    X, y = _scaled(load_wine)
    s = _weights(len(y), seed=3)
    alpha = 1e-2
    model = SoftmaxClassifier(alpha=alpha, **TIGHT).fit(X, y, sample_weight=s)
    reference = LogisticRegression(C=1 / (alpha * s.sum()), **SK_LOGISTIC)
    reference.fit(X, y, sample_weight=s)
    model_intercept = model.intercept_ - model.intercept_.mean()
    reference_intercept = reference.intercept_ - reference.intercept_.mean()
    assert (
        _relative_error(
            _parameters(model.coef_, model_intercept),
            _parameters(reference.coef_, reference_intercept),
        )
        < 1e-5
    )
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("alpha", [1e-3, 1e-1])
def test_two_class_softmax_is_logistic_regression_with_half_the_penalty(alpha):
    """Two softmax rows w1 = -w0 = v / 2 cost alpha/2 (|w0|^2 + |w1|^2) = alpha/4 |v|^2.

    So the log-odds weights v = w1 - w0 are logistic regression with penalty
    alpha / 2, i.e. ``C = 2 / (alpha * n)``.
    """
    X, y = _scaled(load_breast_cancer)
    model = SoftmaxClassifier(alpha=alpha, **TIGHT).fit(X, y)
    reference = LogisticRegression(C=2 / (alpha * len(y)), **SK_LOGISTIC).fit(X, y)

    assert model.coef_.shape == (2, X.shape[1])
    np.testing.assert_allclose(model.coef_[0], -model.coef_[1], atol=1e-7)
    log_odds_coef = model.coef_[1] - model.coef_[0]
    log_odds_intercept = model.intercept_[1] - model.intercept_[0]
    assert (
        _relative_error(
            _parameters(log_odds_coef, log_odds_intercept),
            _parameters(reference.coef_, reference.intercept_),
        )
        < 1e-5
    )
    np.testing.assert_allclose(
        model.decision_function(X), reference.decision_function(X), atol=1e-4
    )
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)


# --------------------------------------------------------------------------
# Integer sample weights == repeated rows


def _repeat(X, y, counts):
    return np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0)


REPEAT_CASES = {
    "gaussian": (lambda: LinearGaussianRegressor(alpha=1e-3, **TIGHT), load_diabetes),
    "gaussian_multi_output": (lambda: LinearGaussianRegressor(alpha=1e-2, **TIGHT), load_linnerud),
    "sigmoid": (
        lambda: SigmoidClassifier(alpha=1e-2, **TIGHT),
        lambda return_X_y: _scaled(load_breast_cancer),
    ),
    "softmax": (
        lambda: SoftmaxClassifier(alpha=1e-2, **TIGHT),
        lambda return_X_y: _scaled(load_wine),
    ),
}


@pytest.mark.parametrize("name", list(REPEAT_CASES))
def test_integer_sample_weight_equals_repeating_rows_for_smooth_models(name):
    make_model, load = REPEAT_CASES[name]
    X, y = load(return_X_y=True)
    counts = np.random.default_rng(4).integers(0, 4, len(y))
    weighted = make_model().fit(X, y, sample_weight=counts)
    repeated = make_model().fit(*_repeat(X, y, counts))

    assert (
        _relative_error(
            _parameters(weighted.coef_, weighted.intercept_),
            _parameters(repeated.coef_, repeated.intercept_),
        )
        < 1e-6
    )
    assert abs(weighted.objective_ - repeated.objective_) <= 1e-9 * abs(repeated.objective_)


@pytest.mark.parametrize(
    "make_model, quantile, scale",
    [
        (lambda: MedianRegressor(), 0.5, 2.0),
        (lambda: LinearRegressor(loss=Pinball(quantile=0.25)), 0.25, 1.0),
        (lambda: MedianRegressor(alpha=1e-2), 0.5, 2.0),
    ],
    ids=["median", "pinball_0.25", "median_alpha"],
)
def test_integer_sample_weight_equals_repeating_rows_for_piecewise_linear_losses(
    make_model, quantile, scale
):
    """LAD solutions need not be unique, so the objectives are compared."""
    X, y = load_diabetes(return_X_y=True)
    counts = np.random.default_rng(5).integers(0, 4, len(y))
    weighted = make_model().fit(X, y, sample_weight=counts)
    X_rep, y_rep = _repeat(X, y, counts)
    repeated = make_model().fit(X_rep, y_rep)
    alpha = weighted.alpha

    # Both models, scored on the repeated data by the formula.
    f_weighted = _pinball_objective(
        X_rep, y_rep, weighted.coef_, weighted.intercept_, quantile, scale, alpha
    )
    f_repeated = _pinball_objective(
        X_rep, y_rep, repeated.coef_, repeated.intercept_, quantile, scale, alpha
    )
    # Both are the same linear program, whose optimal value skloss claims to
    # reach exactly (a certified vertex), not just to smoothing accuracy.
    assert abs(f_weighted - f_repeated) <= 1e-10 * f_repeated


# --------------------------------------------------------------------------
# ``objective_`` is the documented objective at the fitted coefficients


def test_gaussian_objective_attribute_is_the_penalised_weighted_mean_half_squared_error():
    X, Y = load_linnerud(return_X_y=True)
    s = _weights(len(Y), seed=6)
    for alpha, y in [(0.0, Y[:, 0]), (1e-2, Y), (3.0, Y)]:
        model = LinearGaussianRegressor(alpha=alpha).fit(X, y, sample_weight=s)
        expected = _squared_error_objective(X, y, model.coef_, model.intercept_, alpha, s)
        assert model.objective_ == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_sigmoid_objective_attribute_is_the_penalised_weighted_mean_log_loss(weighted):
    X, y = _scaled(load_breast_cancer)
    s = _weights(len(y), seed=7) if weighted else None
    model = SigmoidClassifier(alpha=1e-2).fit(X, y, sample_weight=s)
    expected = _logistic_objective(X, y, model.coef_, model.intercept_, 1e-2, s)
    assert model.objective_ == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_softmax_objective_attribute_is_the_penalised_weighted_mean_cross_entropy(weighted):
    X, y = load_iris(return_X_y=True)
    y_named = np.array(["setosa", "versicolor", "virginica"])[y]
    s = _weights(len(y), seed=8) if weighted else None
    model = SoftmaxClassifier(alpha=1e-2).fit(X, y_named, sample_weight=s)
    codes = np.searchsorted(model.classes_, y_named)
    expected = _multinomial_objective(X, codes, model.coef_, model.intercept_, 1e-2, s)
    assert model.objective_ == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "make_model, quantile, scale",
    [
        (lambda alpha: MedianRegressor(alpha=alpha), 0.5, 2.0),
        (lambda alpha: LinearRegressor(loss="absolute_error", alpha=alpha), 0.5, 2.0),
        (lambda alpha: LinearRegressor(loss=Pinball(quantile=0.9), alpha=alpha), 0.9, 1.0),
    ],
    ids=["median", "absolute_error", "pinball_0.9"],
)
@pytest.mark.parametrize("alpha", [0.0, 1e-1])
def test_piecewise_linear_objective_attribute_is_the_penalised_weighted_mean_loss(
    make_model, quantile, scale, alpha
):
    X, y = load_diabetes(return_X_y=True)
    s = _weights(len(y), seed=9)
    model = make_model(alpha).fit(X, y, sample_weight=s)
    expected = _pinball_objective(X, y, model.coef_, model.intercept_, quantile, scale, alpha, s)
    assert model.objective_ == pytest.approx(expected, rel=1e-12)


def test_objective_attribute_is_the_minimum_that_scikit_learn_also_reaches():
    """The reported value is not just self-consistent: it is sklearn's optimum."""
    X, y = load_diabetes(return_X_y=True)
    alpha = 1e-2
    model = LinearGaussianRegressor(alpha=alpha, **TIGHT).fit(X, y)
    reference = Ridge(alpha=alpha * len(y), solver="cholesky").fit(X, y)
    expected = _squared_error_objective(X, y, reference.coef_, reference.intercept_, alpha)
    assert model.objective_ == pytest.approx(expected, rel=1e-10)

    X, y = _scaled(load_iris)
    model = SoftmaxClassifier(alpha=alpha, **TIGHT).fit(X, y)
    reference = LogisticRegression(C=1 / (alpha * len(y)), **SK_LOGISTIC).fit(X, y)
    expected = _multinomial_objective(X, y, reference.coef_, reference.intercept_, alpha)
    assert model.objective_ == pytest.approx(expected, rel=1e-10)
