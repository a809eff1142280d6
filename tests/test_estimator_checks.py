"""scikit-learn's own estimator checks, for every estimator and built-in loss."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    MixtureDensityRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss.losses import Huber, NegativeBinomialNLL, Pinball, TweedieNLL

ESTIMATORS = [
    LinearGaussianRegressor(),
    MedianRegressor(),
    *(
        LinearRegressor(loss=loss)
        for loss in ["squared_error", "absolute_error", "huber", "quantile"]
    ),
    LinearRegressor(loss=Huber(delta=0.5)),
    LinearRegressor(loss=Pinball(quantile=0.8)),
    # Counts and positive amounts: the estimator tags positive_only, so the
    # checks draw targets inside the loss's support, as for PoissonRegressor.
    *(LinearRegressor(loss=loss) for loss in ["poisson", "gamma", "tweedie"]),
    LinearRegressor(loss=NegativeBinomialNLL(dispersion=0.5)),
    LinearRegressor(loss=TweedieNLL(power=3)),
    *(SigmoidClassifier(loss=loss) for loss in ["log_loss", "squared_error"]),
    *(SoftmaxClassifier(loss=loss) for loss in ["log_loss", "squared_error"]),
    SigmoidClassifier(class_weight="balanced"),
    SoftmaxClassifier(class_weight="balanced"),
    HeteroscedasticRegressor(),
    MixtureDensityRegressor(),
]


# The check fits 15 samples with 30 features and integer targets. There the
# mean heads interpolate the data and the likelihood's maximiser puts every
# variance at the regularisation reg_variance * Var(y) = 1e-6 Var(y): a problem
# with condition number ~1e6 that L-BFGS does not solve within max_iter=1000
# to the check's 1e-7 agreement (HeteroscedasticRegressor passes it with
# max_iter=20000; a mixture has no unique maximiser there at all). Weighted
# and repeated fits agree on identifiable data: see
# tests/test_distributional.py.
_DISTRIBUTIONAL_XFAIL = {
    check: "degenerate data: the likelihood's maximiser is ill-conditioned (see comment)"
    for check in (
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    )
}


# scikit-learn's multi-output check draws targets of any sign, ignoring the
# positive_only tag the other checks honour (its own GLMs, single-output,
# never run it). Multi-output fits of counts are tested in
# tests/test_log_link_regression.py.
_POSITIVE_MULTIOUTPUT_XFAIL = {
    "check_regressor_multioutput": "the check's targets are negative; the loss needs y >= 0"
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, (HeteroscedasticRegressor, MixtureDensityRegressor)):
        return _DISTRIBUTIONAL_XFAIL
    if estimator.__sklearn_tags__().target_tags.positive_only:
        return _POSITIVE_MULTIOUTPUT_XFAIL
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
