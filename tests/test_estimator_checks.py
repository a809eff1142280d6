"""scikit-learn's own estimator checks, for every estimator and built-in loss."""

import warnings

from sklearn.exceptions import ConvergenceWarning
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
    LinearGaussianRegressor(positive=True),
    MedianRegressor(positive=True),
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
    # The checks fit a few samples with integer targets (often 3 distinct
    # values): the likelihood then pushes every variance down to the floor
    # reg_variance * Var(y), and at the default floor (1e-6) L-BFGS needs
    # more than max_iter on that ill-conditioned problem and warns. A floor of
    # 1% of Var(y) (and, for the mixture, whose mixing logits separate such
    # data, a firmer penalty) keeps the checks' fits well-conditioned, so
    # they converge; the defaults are tested on identifiable data in
    # tests/test_distributional.py.
    HeteroscedasticRegressor(reg_variance=1e-2),
    MixtureDensityRegressor(alpha=1e-2, reg_variance=1e-2),
]


# The check fits 15 samples with 30 features and integer targets, with
# integer weights that include zeros, and compares predictions at every row,
# zero-weight rows included. With alpha=0 the mean heads interpolate the rows
# of positive weight, so the likelihood's maximiser is not unique.
# HeteroscedasticRegressor then returns the least-norm one, which passes
# (tests/test_distributional.py checks it on 20 such data sets); a mixture
# has no unique maximiser there at all, and which one the optimiser reaches
# depends on the rows (identifiable data are tested in
# tests/test_distributional.py). Not strict: the mixture passes on some data.
_MIXTURE_XFAIL = {
    check: "n_features > n_samples: a mixture's likelihood has several maxima (see comment)"
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


# The check fits 15 samples with 30 features: absolute error with
# non-negative coefficients then has many optimal points (objective 0, the
# data interpolated), and no vertex with coefficients free of their bounds
# for the exact finish to certify. The weighted and the repeated fit each
# end at an optimal point (objective < 1e-7), not the same one. Both are
# tested against the bounded linear program on identifiable data in
# tests/test_positive.py.
_BOUNDED_KINKED_XFAIL = {
    check: "many optimal points when features outnumber samples (see comment)"
    for check in (
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    )
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, MixtureDensityRegressor):
        return _MIXTURE_XFAIL
    if _bounded_kinked(estimator):
        return _BOUNDED_KINKED_XFAIL
    if estimator.__sklearn_tags__().target_tags.positive_only:
        return _POSITIVE_MULTIOUTPUT_XFAIL
    return {}


def _bounded_kinked(estimator):
    return isinstance(estimator, MedianRegressor) and estimator.positive


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    if not _bounded_kinked(estimator):
        check(estimator)
        return
    # The checks' targets are mostly small integers (class labels used as
    # regression targets): many tied residuals make degenerate vertices, and
    # with coefficients held at their bounds the exact finish cannot yet
    # certify them, so these fits end with a ConvergenceWarning stating a
    # bound of about 1e-7 on the gap. That warning is the documented
    # behaviour, not what these checks test; certified bounded fits are
    # tested against HiGHS in tests/test_positive.py.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
