"""Parameters are checked the scikit-learn way, and errors name the public class."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    MixtureDensityRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y_REG = X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(size=40)
Y_BIN = (X[:, 0] > 0).astype(int)

CASES = [
    (LinearRegressor(), Y_REG),
    (LinearGaussianRegressor(), Y_REG),
    (MedianRegressor(), Y_REG),
    (SigmoidClassifier(), Y_BIN),
    (SoftmaxClassifier(), Y_BIN),
    (HeteroscedasticRegressor(), Y_REG),
    # Settings under which the mixture converges on this small sample.
    (MixtureDensityRegressor(n_components=2, alpha=1e-2), Y_REG),
]
IDS = [type(model).__name__ for model, _ in CASES]
ALL_CLASSES = [type(model) for model, _ in CASES]

COMMON_BAD_VALUES = [
    ("tol", np.nan),
    ("tol", np.inf),
    ("tol", 0.0),
    ("tol", -1e-3),
    ("alpha", np.nan),
    ("alpha", np.inf),
    ("alpha", -1.0),
    ("alpha", "big"),
    ("max_iter", 0),
    ("max_iter", 2.5),
    ("max_iter", True),
    ("fit_intercept", 1),
    ("fit_intercept", "yes"),
    ("warm_start", 0),
]
DISTRIBUTIONAL_BAD_VALUES = [
    ("reg_variance", np.nan),
    ("reg_variance", np.inf),
    ("reg_variance", -1e-6),
]
MIXTURE_BAD_VALUES = [
    ("n_components", True),
    ("n_components", 0),
    ("n_components", 2.0),
    ("n_init", False),
    ("n_init", 0),
    ("random_state", "seed"),
]


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=IDS)
def test_scikit_learn_param_validation_check_passes(cls):
    # scikit-learn's own check: every parameter has a constraint, and a value
    # of the wrong type or range raises InvalidParameterError naming the class.
    check_param_validation(cls.__name__, cls())


def _bad_values(cls):
    bad = list(COMMON_BAD_VALUES)
    if cls in (HeteroscedasticRegressor, MixtureDensityRegressor):
        bad += DISTRIBUTIONAL_BAD_VALUES
    if cls is MixtureDensityRegressor:
        bad += MIXTURE_BAD_VALUES
    return bad


@pytest.mark.parametrize("model, y", CASES, ids=IDS)
def test_invalid_parameter_is_rejected_naming_class_and_parameter(model, y):
    name_of_class = type(model).__name__
    model = clone(model).fit(X, y)
    coef, valid = model.coef_.copy(), model.get_params()
    for name, value in _bad_values(type(model)):
        model.set_params(**{name: value})
        message = rf"The '{name}' parameter of {name_of_class} must be .* Got .* instead"
        with pytest.raises(InvalidParameterError, match=message):
            model.fit(X, y)
        # The failed fit leaves the previous model as it was.
        np.testing.assert_array_equal(model.coef_, coef)
        model.set_params(**valid)


@pytest.mark.parametrize("model, y", CASES, ids=IDS)
def test_numpy_scalars_are_valid_parameter_values(model, y):
    model = clone(model).set_params(
        alpha=np.float64(1e-2), max_iter=np.int64(1000), fit_intercept=np.bool_(True)
    )
    assert np.all(np.isfinite(model.fit(X, y).coef_))


@pytest.mark.parametrize(
    "cls, keyword",
    [
        (cls, keyword)
        for cls in ALL_CLASSES
        for keyword in ["C", "penalty", "class_weight", "random_state"]
        if keyword not in cls().get_params()
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_unknown_keyword_names_the_public_class(cls, keyword):
    with pytest.raises(TypeError, match=rf"^{cls.__name__}\.__init__\(\) got an unexpected"):
        cls(**{keyword: 1})


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=IDS)
def test_parameters_are_keyword_only_after_the_first(cls):
    # A second positional argument is an error that names the public class too.
    with pytest.raises(TypeError, match=rf"^{cls.__name__}\.__init__\(\) takes"):
        cls(None, None)
