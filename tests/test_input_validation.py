"""Bad input gets a clear error, and a failed fit leaves nothing half-fitted."""

import re

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils.validation import check_is_fitted

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    MixtureDensityRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss.losses import BernoulliLogLoss, Huber, Loss, MultinoulliLogLoss, SquaredError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(30, 3))
Y_REG = X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(size=30)
Y_BIN = (X[:, 0] > 0).astype(int)
Y_MULTI = np.digitize(X[:, 0], [-0.5, 0.5])

CASES = [
    (LinearRegressor, Y_REG),
    (LinearGaussianRegressor, Y_REG),
    (MedianRegressor, Y_REG),
    (SigmoidClassifier, Y_BIN),
    (SoftmaxClassifier, Y_MULTI),
]
IDS = [cls.__name__ for cls, _ in CASES]


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize("cls, y", CASES, ids=IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_is_rejected_and_leaves_estimator_unfitted(cls, y, bad):
    model = cls()
    with pytest.raises(ValueError, match=r"(?i)nan|inf"):
        model.fit(_with(X, (3, 1), bad), y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    assert not hasattr(model, "n_features_in_")


@pytest.mark.parametrize("cls", [LinearRegressor, LinearGaussianRegressor, MedianRegressor])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_regression_target_is_rejected(cls, bad):
    model = cls()
    with pytest.raises(ValueError, match=r"(?i)nan|inf"):
        model.fit(X, _with(Y_REG, 4, bad))
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


@pytest.mark.parametrize("cls, y", CASES, ids=IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_sample_weight_is_rejected(cls, y, bad):
    with pytest.raises(ValueError, match=r"(?i)nan|inf"):
        cls().fit(X, y, sample_weight=_with(np.ones(30), 2, bad))


@pytest.mark.parametrize("cls, y", CASES, ids=IDS)
def test_negative_sample_weight_is_rejected(cls, y):
    with pytest.raises(ValueError, match="(?i)negative"):
        cls().fit(X, y, sample_weight=_with(np.ones(30), 2, -1.0))


@pytest.mark.parametrize("cls, y", CASES, ids=IDS)
def test_all_zero_sample_weight_is_rejected(cls, y):
    with pytest.raises(ValueError, match="(?i)zero"):
        cls().fit(X, y, sample_weight=np.zeros(30))


@pytest.mark.parametrize("cls", [SigmoidClassifier, SoftmaxClassifier])
def test_single_class_is_rejected_with_a_message_about_classes(cls):
    model = cls()
    with pytest.raises(ValueError, match="only one class"):
        model.fit(X, np.ones(30))
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


@pytest.mark.parametrize("cls", [SigmoidClassifier, SoftmaxClassifier])
def test_a_class_with_zero_total_weight_does_not_count(cls):
    weight = np.where(Y_BIN == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match="only one class"):
        cls().fit(X, Y_BIN, sample_weight=weight)


def test_sigmoid_classifier_points_multiclass_users_to_softmax():
    with pytest.raises(ValueError, match="SoftmaxClassifier"):
        SigmoidClassifier().fit(X, Y_MULTI)


def test_sigmoid_classifier_rejects_a_2d_target_that_is_not_0_1_indicators():
    with pytest.raises(ValueError, match="multilabel"):
        SigmoidClassifier().fit(X, np.column_stack([Y_MULTI, Y_MULTI]))


@pytest.mark.parametrize("cls, y", CASES, ids=IDS)
def test_wrong_number_of_features_at_predict(cls, y):
    model = cls().fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:, :2])


@pytest.mark.parametrize("cls, y", CASES, ids=IDS)
def test_predict_before_fit_raises_not_fitted(cls, y):
    with pytest.raises(NotFittedError):
        cls().predict(X)


@pytest.mark.parametrize(
    "model, y",
    [(LinearRegressor(loss="hinge"), Y_REG), (SigmoidClassifier(loss="cross_entropy"), Y_BIN)],
)
def test_unknown_loss_string_lists_the_valid_ones(model, y):
    with pytest.raises(ValueError) as error:
        model.fit(X, y)
    message = str(error.value)
    for valid in model._named_losses:
        assert repr(valid) in message


@pytest.mark.parametrize(
    "model, y",
    [
        (LinearRegressor(loss=BernoulliLogLoss()), Y_REG),
        (LinearRegressor(loss=MultinoulliLogLoss()), Y_REG),
    ],
)
def test_classification_loss_on_a_regressor_is_rejected(model, y):
    with pytest.raises(ValueError, match="classification loss"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "model, y",
    [
        (SigmoidClassifier(loss=SquaredError()), Y_BIN),
        (SoftmaxClassifier(loss=Huber()), Y_MULTI),
        (SoftmaxClassifier(loss=BernoulliLogLoss()), Y_MULTI),
        (SigmoidClassifier(loss=MultinoulliLogLoss()), Y_BIN),
    ],
)
def test_loss_for_another_target_kind_on_a_classifier_is_rejected(model, y):
    with pytest.raises(ValueError, match="needs a loss for a"):
        model.fit(X, y)


def test_loss_class_instead_of_instance_gets_a_hint():
    with pytest.raises(TypeError, match=r"pass Huber\(\) instead"):
        LinearRegressor(loss=Huber).fit(X, Y_REG)


def test_loss_of_the_wrong_type_is_rejected():
    with pytest.raises(TypeError, match="skloss.losses.Loss"):
        LinearRegressor(loss=3.0).fit(X, Y_REG)


def test_non_smooth_custom_loss_without_smoothed_is_rejected_up_front():
    class Kinked(Loss):
        is_smooth = False

        def loss(self, y, raw):
            return np.abs(y - raw).sum(axis=1)

        def gradient(self, y, raw):
            return np.sign(raw - y)

    with pytest.raises(TypeError, match=re.escape("smoothed(width)")):
        LinearRegressor(loss=Kinked()).fit(X, Y_REG)


def test_invalid_loss_parameter_is_reported_at_fit():
    with pytest.raises(ValueError, match="delta must be a positive number"):
        LinearRegressor(loss=Huber(delta=-1.0)).fit(X, Y_REG)


def test_failed_refit_keeps_the_previous_model():
    model = LinearGaussianRegressor().fit(X, Y_REG)
    coef = model.coef_.copy()
    with pytest.raises(ValueError):
        model.fit(_with(X, (0, 0), np.nan), Y_REG)
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.n_features_in_ == 3


def test_warm_start_with_a_different_number_of_features_is_explained():
    model = LinearGaussianRegressor(warm_start=True).fit(X, Y_REG)
    with pytest.raises(ValueError, match="warm_start"):
        model.fit(X[:, :2], Y_REG)


@pytest.mark.parametrize("values", [(-1, 1), (1, 2), (0, 2)])
def test_sigmoid_classifier_rejects_an_indicator_matrix_that_is_not_0_1(values):
    Y = np.where(np.column_stack([Y_BIN, 1 - Y_BIN]) == 1, values[1], values[0])
    model = SigmoidClassifier()
    with pytest.raises(ValueError, match=r"0/1 \(or boolean\) values; got values \[-?\d, \d\]"):
        model.fit(X, Y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_sigmoid_classifier_takes_boolean_and_sparse_indicator_matrices():
    # Multilabel log-loss is one logistic regression per label.
    Y = np.column_stack([Y_BIN, X[:, 1] > 0.3])
    alpha = 1e-2
    reference = [
        LogisticRegression(C=1 / (alpha * len(X)), tol=1e-10, max_iter=1000).fit(X, column)
        for column in Y.T
    ]
    for target in (Y.astype(bool), sparse.csr_matrix(Y.astype(int))):
        model = SigmoidClassifier(alpha=alpha, tol=1e-10).fit(X, target)
        for label, logistic in enumerate(reference):
            np.testing.assert_allclose(model.coef_[label], logistic.coef_[0], rtol=1e-5)


def test_softmax_classifier_points_multilabel_users_to_sigmoid():
    with pytest.raises(ValueError, match="multilabel .* use SigmoidClassifier"):
        SoftmaxClassifier().fit(X, np.column_stack([Y_BIN, 1 - Y_BIN]))


REGRESSORS = [
    LinearRegressor,
    LinearGaussianRegressor,
    MedianRegressor,
    HeteroscedasticRegressor,
    MixtureDensityRegressor,
]


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("dtype", [str, object])
def test_regressors_reject_string_targets_with_one_message(cls, dtype):
    y = np.where(Y_BIN == 1, "high", "low").astype(dtype)
    model = cls()
    message = rf"^{cls.__name__} is a regressor and needs a numeric target y; .* 'high'"
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_numbers_stored_as_objects_are_a_numeric_target():
    model = LinearGaussianRegressor(tol=1e-10).fit(X, Y_REG.astype(object))
    expected = LinearRegression().fit(X, Y_REG)
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-6)
