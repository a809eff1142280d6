"""class_weight on the classifiers equals LogisticRegression's class_weight.

Class weights multiply sample weights, so with the objective
``sum_i s_i c(y_i) l_i / sum_i s_i c(y_i) + alpha / 2 ||W||^2``,
``alpha=a`` equals ``LogisticRegression(C=1 / (a * sum_i s_i c(y_i)),
class_weight=...)``: the truth is scikit-learn's fit, with the class weights
(including "balanced" with sample weights) computed by scikit-learn.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from skloss import SigmoidClassifier, SoftmaxClassifier

TIGHT = {"tol": 1e-10, "max_iter": 10_000}
SK_LOGISTIC = {"tol": 1e-12, "max_iter": 20_000}
ALPHA = 0.01


def _data(n_classes, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4))
    score = X[:, 0] - 0.5 * X[:, 1] + rng.normal(size=300)
    # Unbalanced classes: the weights matter.
    codes = np.digitize(score, [0.8] if n_classes == 2 else [-0.3, 1.2])
    labels = np.array(["ant", "bee", "cat"])[codes]
    return X, labels, rng.uniform(0.2, 3.0, size=300)


def _reference(X, y, sample_weight, class_weight):
    classes = np.unique(y)
    weight = compute_class_weight(class_weight, classes=classes, y=y, sample_weight=sample_weight)
    total = np.sum(sample_weight * weight[np.searchsorted(classes, y)])
    model = LogisticRegression(C=1 / (ALPHA * total), class_weight=class_weight, **SK_LOGISTIC)
    return model.fit(X, y, sample_weight=sample_weight)


def _centred(coef, intercept):
    """Softmax logits are defined up to a common shift: compare centred ones."""
    parameters = np.hstack([coef, np.asarray(intercept).reshape(-1, 1)])
    if parameters.shape[0] > 1:
        parameters = parameters - parameters.mean(axis=0)
    return parameters


def _assert_same_model(model, expected, X):
    """Same (centred) coefficients and intercepts, and the same probabilities."""
    np.testing.assert_allclose(
        _centred(model.coef_, model.intercept_),
        _centred(expected.coef_, expected.intercept_),
        rtol=1e-6,
        atol=1e-6,
    )
    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize(
    "classifier, n_classes, class_weight",
    [
        (SigmoidClassifier, 2, {"ant": 0.3, "bee": 2.5}),
        (SigmoidClassifier, 2, "balanced"),
        (SoftmaxClassifier, 3, {"ant": 0.3, "bee": 2.5, "cat": 1.7}),
        (SoftmaxClassifier, 3, "balanced"),
    ],
)
def test_class_weight_matches_logistic_regression(classifier, n_classes, class_weight):
    X, y, s = _data(n_classes)
    model = classifier(alpha=ALPHA, class_weight=class_weight, **TIGHT)
    model.fit(X, y, sample_weight=s)
    _assert_same_model(model, _reference(X, y, s, class_weight), X)


def test_class_weight_missing_from_the_dict_weighs_one():
    X, y, _ = _data(3)
    partial = SoftmaxClassifier(alpha=ALPHA, class_weight={"bee": 4.0}, **TIGHT).fit(X, y)
    full = {"ant": 1.0, "bee": 4.0, "cat": 1.0}
    complete = SoftmaxClassifier(alpha=ALPHA, class_weight=full, **TIGHT).fit(X, y)
    np.testing.assert_allclose(partial.coef_, complete.coef_, rtol=1e-6, atol=1e-8)


def test_class_weight_is_refused_for_a_multilabel_target():
    X, _, _ = _data(2)
    y = (X[:, :2] > 0).astype(int)
    with pytest.raises(ValueError, match="not supported for a multilabel target"):
        SigmoidClassifier(class_weight="balanced").fit(X, y)
    assert (
        not SigmoidClassifier(class_weight="balanced")
        .__sklearn_tags__()
        .classifier_tags.multi_label
    )


@pytest.mark.parametrize(
    "class_weight, message",
    [
        ("auto", "'class_weight' parameter of SigmoidClassifier must be .*'balanced'"),
        ({"ant": -1.0}, "non-negative number"),
        ({"ant": 0.0, "bee": 0.0}, "every sample a weight of 0"),
    ],
)
def test_invalid_class_weight_raises_a_clear_error(class_weight, message):
    X, y, _ = _data(2)
    with pytest.raises(ValueError, match=message):
        SigmoidClassifier(class_weight=class_weight).fit(X, y)
