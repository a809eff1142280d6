"""scikit-learn's own estimator checks, for every estimator and built-in loss."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skloss import (
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss.losses import Huber, Pinball

ESTIMATORS = [
    LinearGaussianRegressor(),
    MedianRegressor(),
    *(
        LinearRegressor(loss=loss)
        for loss in ["squared_error", "absolute_error", "huber", "quantile"]
    ),
    LinearRegressor(loss=Huber(delta=0.5)),
    LinearRegressor(loss=Pinball(quantile=0.8)),
    *(SigmoidClassifier(loss=loss) for loss in ["log_loss", "squared_error"]),
    *(SoftmaxClassifier(loss=loss) for loss in ["log_loss", "squared_error"]),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
