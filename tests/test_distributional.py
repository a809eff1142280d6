"""Distributional regressors and their losses, against independent truths.

The truths: scipy.stats densities evaluated naively, finite differences,
the Fisher information of the true model (for sampling errors), data drawn
from known heteroscedastic and two-branch distributions, and scipy's
optimiser for best constants.
"""

import contextlib
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.utils.estimator_checks import (
    check_dict_unchanged,
    check_dont_overwrite_parameters,
    check_estimators_overwrite_params,
    check_fit_idempotent,
)

from skloss import (
    HeteroscedasticRegressor,
    LinearRegressor,
    MixtureDensityRegressor,
    SoftmaxClassifier,
)
from skloss.losses import (
    GaussianMean,
    GaussianMixtureNLL,
    GaussianNLL,
    MixtureMean,
    check_gradient,
)


@contextlib.contextmanager
def strict_floating_point():
    """Overflow, invalid operations, division by zero and warnings all raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


# ---------------------------------------------------------------------------
# Data with a known conditional distribution.
# ---------------------------------------------------------------------------

MEAN_INTERCEPT, MEAN_COEF = 0.5, np.array([1.5, -2.0])
LOGVAR_INTERCEPT, LOGVAR_COEF = -0.3, np.array([0.8, -0.5])


def heteroscedastic_data(n, seed):
    """y ~ N(a0 + a.x, exp(b0 + b.x)) with standard normal x."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    log_variance = LOGVAR_INTERCEPT + X @ LOGVAR_COEF
    y = MEAN_INTERCEPT + X @ MEAN_COEF + np.exp(0.5 * log_variance) * rng.normal(size=n)
    return X, y


def two_branch_data(n, seed, noise=0.1):
    """y = +sqrt(x) or -sqrt(x) with equal probability, plus N(0, noise^2)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 4.0, size=n)
    y = rng.choice([-1.0, 1.0], size=n) * np.sqrt(x) + noise * rng.normal(size=n)
    return x[:, np.newaxis], y


def _spline_mdn(**params):
    params = {"n_components": 2, "random_state": 0, **params}
    return make_pipeline(SplineTransformer(n_knots=6), MixtureDensityRegressor(**params))


def crossing_lines_data(n, seed):
    """y = +-(1 + 2 x_1 - x_2) + N(0, 0.2^2), with half the entries of X zero."""
    rng = np.random.default_rng(seed)
    X = np.where(rng.random((n, 2)) < 0.5, 0.0, rng.normal(size=(n, 2)))
    sign = rng.choice([-1.0, 1.0], size=n)
    return X, sign * (1.0 + X @ [2.0, -1.0]) + 0.2 * rng.normal(size=n)


@pytest.fixture(scope="module")
def branch_fits():
    X, y = two_branch_data(4000, seed=1)
    mdn = _spline_mdn().fit(X, y)
    hr = make_pipeline(SplineTransformer(n_knots=6), HeteroscedasticRegressor()).fit(X, y)
    return mdn, hr


# ---------------------------------------------------------------------------
# 1. The losses: values, gradients, numerics.
# ---------------------------------------------------------------------------


def _naive_gaussian_nll(y, raw, reg_variance=0.0):
    m = y.shape[1]
    mean, log_variance = raw[:, :m], raw[:, m:]
    std = np.exp(0.5 * log_variance)
    return np.sum(
        -norm.logpdf(y, loc=mean, scale=std) + 0.5 * reg_variance * np.exp(-log_variance), axis=1
    )


def _naive_mixture_nll(y, raw, k, reg_variance=0.0):
    logits, means, log_variances = raw[:, :k], raw[:, k : 2 * k], raw[:, 2 * k :]
    weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    density = norm.pdf(y, loc=means, scale=np.exp(0.5 * log_variances))
    penalty = np.exp(-reg_variance / (2 * np.exp(log_variances)))
    return -np.log(np.sum(weights * density * penalty, axis=1))


@pytest.mark.parametrize("reg_variance", [0.0, 0.3])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_gaussian_nll_is_the_gaussian_negative_log_density(n_targets, reg_variance):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(40, n_targets))
    raw = np.hstack([rng.normal(size=(40, n_targets)), rng.uniform(-2, 2, (40, n_targets))])
    loss = GaussianNLL(reg_variance=reg_variance)
    expected = _naive_gaussian_nll(y, raw, reg_variance)
    np.testing.assert_allclose(loss.loss(y, raw), expected, rtol=1e-12)
    # The encoded target gives the same values.
    np.testing.assert_allclose(loss.loss(loss.encode_target(y), raw), expected, rtol=1e-12)


@pytest.mark.parametrize("reg_variance", [0.0, 0.3])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_mixture_nll_is_the_negative_log_of_the_mixture_density(k, reg_variance):
    rng = np.random.default_rng(1)
    y = rng.normal(scale=2.0, size=(40, 1))
    raw = np.hstack(
        [rng.normal(size=(40, k)), rng.normal(scale=2, size=(40, k)), rng.uniform(-1, 1, (40, k))]
    )
    loss = GaussianMixtureNLL(n_components=k, reg_variance=reg_variance)
    expected = _naive_mixture_nll(y, raw, k, reg_variance)
    np.testing.assert_allclose(loss.loss(y, raw), expected, rtol=1e-11)
    np.testing.assert_allclose(loss.loss(loss.encode_target(y), raw), expected, rtol=1e-11)


def test_one_component_mixture_equals_gaussian_nll():
    rng = np.random.default_rng(2)
    y = rng.normal(size=(30, 1))
    mean_logvar = rng.normal(size=(30, 2))
    raw = np.hstack([rng.normal(size=(30, 1)), mean_logvar])  # the logit is irrelevant
    np.testing.assert_allclose(
        GaussianMixtureNLL(n_components=1).loss(y, raw), GaussianNLL().loss(y, mean_logvar)
    )


def _gaussian_case(rng, m, scale=2.0):
    y = rng.normal(size=(30, m))
    raw = np.hstack([rng.normal(size=(30, m)), rng.uniform(-scale, scale, (30, m))])
    return GaussianNLL().encode_target(y), raw


def _mixture_case(rng, k, scale=2.0):
    loss = GaussianMixtureNLL(n_components=k)
    y = rng.normal(scale=2.0, size=(30, 1))
    raw = np.hstack(
        [
            rng.normal(scale=scale, size=(30, k)),
            rng.normal(scale=2.0, size=(30, k)),
            rng.uniform(-scale, scale, (30, k)),
        ]
    )
    return loss.encode_target(y), raw


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reg_variance", [0.0, 0.5])
@pytest.mark.parametrize(
    "loss, make_case",
    [
        (GaussianNLL(), lambda rng: _gaussian_case(rng, 1)),
        (GaussianNLL(), lambda rng: _gaussian_case(rng, 3)),
        (GaussianMixtureNLL(n_components=1), lambda rng: _mixture_case(rng, 1)),
        (GaussianMixtureNLL(n_components=3), lambda rng: _mixture_case(rng, 3)),
    ],
    ids=["gaussian-1", "gaussian-3", "mixture-1", "mixture-3"],
)
def test_gradients_agree_with_finite_differences(loss, make_case, reg_variance, weighted):
    rng = np.random.default_rng(3)
    y, raw = make_case(rng)
    weight = rng.uniform(0.1, 3.0, size=len(y)) if weighted else None
    loss = clone_loss(loss, reg_variance=reg_variance)
    assert check_gradient(loss, y, raw, weight) < 1e-6


def clone_loss(loss, **params):
    return type(loss)(**{**loss.get_params(), **params})


@pytest.mark.parametrize(
    "loss, make_case",
    [
        (GaussianNLL(), lambda rng: _gaussian_case(rng, 2)),
        (GaussianMixtureNLL(n_components=2), lambda rng: _mixture_case(rng, 2)),
    ],
    ids=["gaussian", "mixture"],
)
def test_gradient_is_right_where_the_precision_is_continued_linearly(loss, make_case):
    rng = np.random.default_rng(4)
    y, raw = make_case(rng)
    width = raw.shape[1] // (2 if isinstance(loss, GaussianNLL) else 3)
    raw[:, -width:] = rng.uniform(-900.0, -310.0, size=(len(raw), width))
    assert check_gradient(loss, y, raw) < 1e-6
    # The continuation meets the exact precision with value and slope at -300.
    at, below = raw.copy(), raw.copy()
    at[:, -width:], below[:, -width:] = -300.0, -300.0 - 1e-7
    with strict_floating_point():
        jump = loss.loss(y, below) - loss.loss(y, at)
    slope = loss.gradient(y, at)[:, -width:].sum(axis=1)
    np.testing.assert_allclose(jump, -1e-7 * slope, rtol=1e-4)


EXTREMES = [-1e3, -700.0, -300.0, -30.0, 0.0, 30.0, 700.0, 1e3]


@pytest.mark.parametrize("reg_variance", [0.0, 1e-3])
def test_gaussian_nll_is_finite_and_warning_free_for_extreme_raw_outputs(reg_variance):
    mean, log_variance = np.meshgrid(EXTREMES, EXTREMES)
    raw = np.column_stack([mean.ravel(), log_variance.ravel()])
    y = np.repeat([[-1.0], [0.0], [2.5]], len(raw), axis=0)
    raw = np.tile(raw, (3, 1))
    loss = GaussianNLL(reg_variance=reg_variance)
    with strict_floating_point():
        value = loss.loss(y, raw)
        gradient = loss.gradient(y, raw)
        mean_value, weighted = loss.loss_gradient(y, raw, np.ones(len(y)))
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))
    assert np.isfinite(mean_value) and np.all(np.isfinite(weighted))
    # Where the precision is exact, the value is the Gaussian's.
    keep = raw[:, 1] >= -300.0
    np.testing.assert_allclose(
        value[keep], _naive_gaussian_nll(y[keep], raw[keep], reg_variance), rtol=1e-12
    )


def test_mixture_nll_is_finite_and_warning_free_for_extreme_raw_outputs():
    rng = np.random.default_rng(5)
    raw = rng.choice(EXTREMES, size=(3000, 9))
    y = rng.choice([-1.0, 0.0, 3.0], size=(3000, 1))
    loss = GaussianMixtureNLL(n_components=3)
    with strict_floating_point():
        value = loss.loss(y, raw)
        gradient = loss.gradient(y, raw)
        mean_value, weighted = loss.loss_gradient(y, raw, np.ones(len(y)))
        prediction = MixtureMean()(raw)
    for array in (value, gradient, mean_value, weighted, prediction):
        assert np.all(np.isfinite(array))
    # The mixing-logit gradient of each sample sums to 0 (softmax invariance).
    np.testing.assert_allclose(gradient[:, :3].sum(axis=1), 0.0, atol=1e-12)


def test_output_units_give_the_distribution_mean():
    raw = np.array([[1.5, 2.0, -3.0, 4.0]])
    np.testing.assert_array_equal(GaussianMean()(raw), [[1.5, 2.0]])
    assert GaussianMean().target_kind == MixtureMean().target_kind == "distribution"
    raw = np.array([[np.log(3.0), 0.0, 1.0, 5.0, 0.0, 0.0]])  # weights 3/4, 1/4
    np.testing.assert_allclose(MixtureMean()(raw), [[0.75 * 1.0 + 0.25 * 5.0]])


def test_gaussian_init_raw_is_the_best_constant():
    rng = np.random.default_rng(6)
    y = rng.standard_t(4, size=(80, 2)) * [1.0, 3.0] + [2.0, -1.0]
    weight = rng.uniform(0.1, 3.0, size=80)
    for reg_variance in (0.0, 0.7):
        loss = GaussianNLL(reg_variance=reg_variance)
        target = loss.encode_target(y)
        init = loss.init_raw(target, weight)

        def objective(c, loss=loss, target=target):
            return weight @ loss.loss(target, np.tile(c, (80, 1))) / weight.sum()

        best = minimize(objective, np.zeros(4), method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(init, best.x, atol=1e-5)


def test_mixture_init_raw_places_equal_components_at_weighted_quantiles():
    rng = np.random.default_rng(7)
    y = rng.normal(size=(101, 1))
    loss = GaussianMixtureNLL(n_components=4)
    init = loss.init_raw(loss.encode_target(y), np.ones(101))
    np.testing.assert_array_equal(init[:4], 0.0)
    quantiles = np.quantile(y, [0.125, 0.375, 0.625, 0.875], method="inverted_cdf")
    np.testing.assert_allclose(init[4:8], quantiles, atol=0.02 * y.std())
    np.testing.assert_allclose(init[8:], np.log(y.var() / 16))
    # Tied quantiles (a target with two values) stay distinct components.
    tied = loss.init_raw(np.repeat([[0.0], [1.0]], 50, axis=0), np.ones(100))
    assert np.all(np.diff(tied[4:8]) > 0)
    # One component starts at the best constant, like GaussianNLL.
    one = GaussianMixtureNLL(n_components=1).init_raw(y, np.ones(101))
    np.testing.assert_allclose(one[1:], GaussianNLL().init_raw(np.hstack([y, y]), np.ones(101)))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: GaussianNLL().loss(np.zeros((3, 3)), np.zeros((3, 2))), "columns"),
        (lambda: GaussianNLL().loss(np.zeros((3, 1)), np.zeros((3, 3))), "even"),
        (lambda: GaussianMixtureNLL(2).loss(np.zeros((3, 1)), np.zeros((3, 9))), "6 columns"),
        (lambda: GaussianMixtureNLL(0).loss(np.zeros((3, 1)), np.zeros((3, 0))), "n_components"),
        (lambda: GaussianNLL(reg_variance=-1.0).loss(np.zeros((1, 1)), np.zeros((1, 2))), "reg"),
        (lambda: GaussianMixtureNLL(2).encode_target(np.zeros((3, 2))), "one target"),
        (lambda: GaussianNLL().init_raw(np.zeros((3, 1)), np.ones(3)), "encode_target"),
    ],
)
def test_losses_reject_inconsistent_shapes_and_parameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_distributional_losses_are_kept_apart_from_other_estimators():
    X, y = heteroscedastic_data(50, seed=0)
    with pytest.raises(ValueError, match="distributional regression loss"):
        LinearRegressor(loss=GaussianNLL()).fit(X, y)
    with pytest.raises(ValueError, match="distributional regression loss"):
        SoftmaxClassifier(loss=GaussianMixtureNLL()).fit(X, y > 0)


# ---------------------------------------------------------------------------
# 2. Known truths.
# ---------------------------------------------------------------------------


def _standard_errors(X):
    """Sampling standard errors of the MLE from the true model's Fisher information."""
    design = np.column_stack([np.ones(len(X)), X])
    precision = np.exp(-(LOGVAR_INTERCEPT + X @ LOGVAR_COEF))
    mean_information = design.T @ (design * precision[:, np.newaxis])
    log_variance_information = 0.5 * design.T @ design
    return (
        np.sqrt(np.diag(np.linalg.inv(mean_information))),
        np.sqrt(np.diag(np.linalg.inv(log_variance_information))),
    )


def test_heteroscedastic_regressor_recovers_mean_and_log_variance_coefficients():
    X, y = heteroscedastic_data(20_000, seed=0)
    model = HeteroscedasticRegressor().fit(X, y)
    assert model.coef_.shape == (2, 2) and model.intercept_.shape == (2,)
    mean_se, log_variance_se = _standard_errors(X)
    mean_error = np.r_[model.intercept_[0], model.coef_[0]] - np.r_[MEAN_INTERCEPT, MEAN_COEF]
    log_variance_error = (
        np.r_[model.intercept_[1], model.coef_[1]] - np.r_[LOGVAR_INTERCEPT, LOGVAR_COEF]
    )
    # Within 4 standard errors (about 0.005 for the mean, 0.01 for the log-variance).
    assert np.all(np.abs(mean_error) < 4 * mean_se), (mean_error, mean_se)
    assert np.all(np.abs(log_variance_error) < 4 * log_variance_se), (
        log_variance_error,
        log_variance_se,
    )


def test_heteroscedastic_intervals_cover_95_percent_of_held_out_points():
    X, y = heteroscedastic_data(20_000, seed=0)
    X_test, y_test = heteroscedastic_data(20_000, seed=1)
    mean, std = HeteroscedasticRegressor().fit(X, y).predict(X_test, return_std=True)
    coverage = np.mean(np.abs(y_test - mean) <= 1.96 * std)
    # Binomial standard error at n = 20,000 is 0.0015.
    assert abs(coverage - 0.95) < 0.006, coverage
    # A constant-variance model cannot: its intervals are too wide where
    # the noise is small and too narrow where it is large.
    residual = y - HeteroscedasticRegressor().fit(X, y).predict(X)
    constant = np.abs(y_test - mean) <= 1.96 * residual.std()
    quiet = np.exp(LOGVAR_INTERCEPT + X_test @ LOGVAR_COEF) < 0.3
    assert np.mean(constant[quiet]) > 0.99 and np.mean(constant[~quiet]) < 0.93


def test_mixture_beats_a_single_gaussian_on_held_out_two_branch_data(branch_fits):
    mdn, hr = branch_fits
    X_test, y_test = two_branch_data(4000, seed=2)
    mdn_ll = mdn[-1].mean_log_likelihood(mdn[0].transform(X_test), y_test)
    hr_ll = hr[-1].mean_log_likelihood(hr[0].transform(X_test), y_test)
    # True value: log N(0; 0, 0.1^2) + log(1/2) = 0.69 nats per sample, minus
    # a little overlap of the branches near x = 0.
    assert mdn_ll > 0.1 and hr_ll < -1.0, (mdn_ll, hr_ll)


def test_mixture_components_recover_the_two_branches(branch_fits):
    mdn, _ = branch_fits
    x = np.linspace(0.5, 4.0, 50)[:, np.newaxis]
    weights, means, stds = mdn[-1].predict_mixture(mdn[0].transform(x))
    lower, upper = np.sort(means, axis=1).T
    branch = np.sqrt(x[:, 0])
    assert np.max(np.abs(upper - branch)) < 0.08 and np.max(np.abs(lower + branch)) < 0.08
    assert np.mean(np.abs(upper - branch)) < 0.03 and np.mean(np.abs(lower + branch)) < 0.03
    np.testing.assert_allclose(weights, 0.5, atol=0.05)
    np.testing.assert_allclose(stds, 0.1, atol=0.015)
    # The conditional mean is ~0 and the mixture's spread is the branch gap.
    mean, std = mdn.predict(x, return_std=True)
    np.testing.assert_allclose(mean, 0.0, atol=0.1)
    np.testing.assert_allclose(std, np.sqrt(x[:, 0] + 0.01), rtol=0.05)


def test_one_component_mixture_is_the_heteroscedastic_regressor():
    X, y = heteroscedastic_data(2000, seed=3)
    tight = {"alpha": 1e-3, "tol": 1e-9}
    hr = HeteroscedasticRegressor(**tight).fit(X, y)
    mdn = MixtureDensityRegressor(n_components=1, **tight).fit(X, y)
    np.testing.assert_allclose(mdn.coef_[1:, 0], hr.coef_, atol=1e-5)
    np.testing.assert_allclose(mdn.intercept_[1:, 0], hr.intercept_, atol=1e-5)
    assert mdn.objective_ == pytest.approx(hr.objective_, rel=1e-9)
    # The two fits start differently (see the Notes of each): they agree to
    # the fit's precision, not bit for bit.
    np.testing.assert_allclose(
        mdn.predict(X, return_std=True), hr.predict(X, return_std=True), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: HeteroscedasticRegressor(alpha=0.1, tol=1e-9),
        lambda: MixtureDensityRegressor(n_components=2, alpha=0.1, tol=1e-9),
    ],
    ids=["heteroscedastic", "mixture"],
)
def test_fit_does_not_depend_on_the_units_of_y(make_model):
    # The likelihood is equivariant, and so is the penalty (the mean heads'
    # is measured in standard deviations of y), even with alpha > 0.
    X, y = crossing_lines_data(400, seed=17)
    scale, shift = 1e-3, 50.0
    model = make_model().fit(X, y)
    rescaled = make_model().fit(X, scale * y + shift)
    mean, std = model.predict(X, return_std=True)
    mean_rescaled, std_rescaled = rescaled.predict(X, return_std=True)
    np.testing.assert_allclose(mean_rescaled, scale * mean + shift, rtol=1e-6)
    np.testing.assert_allclose(std_rescaled, scale * std, rtol=1e-5)
    # Per-sample log-likelihoods depend on the fitted variances, which (like
    # std above) both fits reach only to about 1e-6: tighter tol does not
    # change that floor of the mixture's flat directions.
    np.testing.assert_allclose(
        rescaled.log_likelihood(X, scale * y + shift),
        model.log_likelihood(X, y) - np.log(scale),
        rtol=1e-5,
        atol=1e-5,
    )
    assert rescaled.objective_ == pytest.approx(model.objective_ + np.log(scale), rel=1e-8)


def test_without_intercepts_the_log_variance_is_relative_to_the_variance_of_y():
    X, y = heteroscedastic_data(2000, seed=18)
    model = HeteroscedasticRegressor(fit_intercept=False).fit(X, 10.0 * y)
    assert model.intercept_[0] == 0.0
    assert model.intercept_[1] == pytest.approx(np.log(np.var(10.0 * y)))
    np.testing.assert_allclose(model.predict(X), X @ model.coef_[0], rtol=1e-12)


# ---------------------------------------------------------------------------
# 3. Predictions, likelihoods and samples.
# ---------------------------------------------------------------------------


def test_heteroscedastic_predictions_likelihood_and_samples_agree():
    X, y = heteroscedastic_data(3000, seed=4)
    model = HeteroscedasticRegressor().fit(X, y)
    mean, std = model.predict(X, return_std=True)
    np.testing.assert_array_equal(model.predict(X), mean)
    np.testing.assert_allclose(mean, X @ model.coef_[0] + model.intercept_[0])
    np.testing.assert_allclose(std, np.exp(0.5 * (X @ model.coef_[1] + model.intercept_[1])))
    np.testing.assert_allclose(model.log_likelihood(X, y), norm.logpdf(y, mean, std))
    weight = np.random.default_rng(0).uniform(size=len(y))
    assert model.mean_log_likelihood(X, y, sample_weight=weight) == pytest.approx(
        np.average(norm.logpdf(y, mean, std), weights=weight)
    )
    draws = model.sample(X[:5], n_samples=40_000, random_state=0)
    assert draws.shape == (5, 40_000)
    assert np.all(np.abs(draws.mean(axis=1) - mean[:5]) < 5 * std[:5] / 200)
    np.testing.assert_allclose(draws.std(axis=1), std[:5], rtol=0.02)
    np.testing.assert_array_equal(model.sample(X[:5], 3, random_state=1), model.sample(X[:5], 3, 1))


def test_mixture_predictions_likelihood_and_samples_agree(branch_fits):
    mdn, _ = branch_fits
    model, features = mdn[-1], mdn[0]
    X, y = two_branch_data(500, seed=5)
    F = features.transform(X)
    weights, means, stds = model.predict_mixture(F)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    mean, std = model.predict(F, return_std=True)
    np.testing.assert_allclose(mean, np.sum(weights * means, axis=1))
    second_moment = np.sum(weights * (stds**2 + means**2), axis=1)
    np.testing.assert_allclose(std**2, second_moment - mean**2, rtol=1e-9, atol=1e-12)
    naive = np.log(np.sum(weights * norm.pdf(y[:, np.newaxis], means, stds), axis=1))
    np.testing.assert_allclose(model.log_likelihood(F, y), naive, rtol=1e-10)
    # Draws at x = 2: half on each branch, at +-sqrt(2) with the branch noise.
    at_two = features.transform([[2.0]])
    draws = model.sample(at_two, n_samples=20_000, random_state=0)[0]
    upper = draws > 0
    assert abs(upper.mean() - 0.5) < 0.02
    np.testing.assert_allclose(
        [draws[upper].mean(), draws[~upper].mean()], [np.sqrt(2), -np.sqrt(2)], atol=0.02
    )
    np.testing.assert_allclose(draws[upper].std(), 0.1, rtol=0.05)
    np.testing.assert_allclose(draws.std(), model.predict(at_two, return_std=True)[1], rtol=0.02)


def test_score_is_r2_of_the_mean():
    X, y = heteroscedastic_data(2000, seed=6)
    model = HeteroscedasticRegressor().fit(X, y)
    residual = y - model.predict(X)
    assert model.score(X, y) == pytest.approx(1 - np.mean(residual**2) / y.var(), rel=1e-12)


# ---------------------------------------------------------------------------
# 4. In the scikit-learn toolbox.
# ---------------------------------------------------------------------------


def _log_likelihood_scorer(model, X, y):
    return model.mean_log_likelihood(X, y)


def _pipeline_log_likelihood_scorer(pipeline, X, y):
    return pipeline[-1].mean_log_likelihood(pipeline[:-1].transform(X), y)


def test_grid_search_over_components_picks_two_for_two_branches():
    X, y = two_branch_data(1500, seed=7)
    grid = GridSearchCV(
        _spline_mdn(),
        {"mixturedensityregressor__n_components": [1, 2]},
        scoring=_pipeline_log_likelihood_scorer,
        cv=3,
    ).fit(X, y)
    assert grid.best_params_ == {"mixturedensityregressor__n_components": 2}
    scores = grid.cv_results_["mean_test_score"]
    assert scores[1] > scores[0] + 1.0


def test_heteroscedastic_regressor_in_a_pipeline_with_grid_search_and_cross_val_score():
    X, y = heteroscedastic_data(1000, seed=8)
    X = X * [100.0, 0.01] + [5.0, -3.0]  # badly scaled features
    pipeline = make_pipeline(StandardScaler(), HeteroscedasticRegressor())
    grid = GridSearchCV(
        pipeline,
        {"heteroscedasticregressor__alpha": [0.0, 1e-2, 10.0]},
        scoring=_pipeline_log_likelihood_scorer,
        cv=3,
    ).fit(X, y)
    assert grid.best_params_["heteroscedasticregressor__alpha"] != 10.0
    assert cross_val_score(pipeline, X, y, cv=3).mean() > 0.8  # R^2 of the mean


def _in_component_order(model):
    """``(coef_, intercept_)``, a mixture's components sorted by mean intercept.

    A mixture's components can come out in either order: the objective is
    symmetric under relabelling them.
    """
    if model.coef_.ndim < 3:
        return model.coef_, model.intercept_
    order = np.argsort(model.intercept_[1])  # rows: mixing logits, means, log-variances
    return model.coef_[:, order], model.intercept_[:, order]


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "make_model",
    [
        lambda: HeteroscedasticRegressor(tol=1e-9),
        lambda: MixtureDensityRegressor(n_components=2, tol=1e-9, n_init=2, random_state=0),
    ],
    ids=["heteroscedastic", "mixture"],
)
def test_sparse_input_gives_the_dense_model(make_model, fmt):
    X, y = crossing_lines_data(600, seed=9)
    dense = make_model().fit(X, y)
    sparse = make_model().fit(scipy.sparse.csr_matrix(X).asformat(fmt), y)
    assert sparse.objective_ == pytest.approx(dense.objective_, rel=1e-9)
    fitted, expected = _in_component_order(sparse), _in_component_order(dense)
    for fitted_part, expected_part in zip(fitted, expected, strict=True):
        np.testing.assert_allclose(fitted_part, expected_part, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        sparse.predict(scipy.sparse.csr_matrix(X), return_std=True),
        dense.predict(X, return_std=True),
        rtol=1e-4,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: HeteroscedasticRegressor(tol=1e-9),
        lambda: MixtureDensityRegressor(n_components=2, tol=1e-9, n_init=3, random_state=0),
    ],
    ids=["heteroscedastic", "mixture-with-restarts"],
)
def test_integer_sample_weights_equal_repeated_samples(make_model):
    X, y = two_branch_data(300, seed=10)
    X = np.hstack([X, np.random.default_rng(0).normal(size=(300, 1))])
    weight = np.random.default_rng(1).integers(0, 4, size=300)
    weighted = make_model().fit(X, y, sample_weight=weight)
    repeated = make_model().fit(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_heteroscedastic_weights_equal_repeats_at_every_row_on_wide_data(sparse):
    # Data drawn like scikit-learn's weight-equivalence check: 15 samples, 30
    # features, y in {0, 1, 2}, integer weights with zeros. With alpha=0 the
    # mean head interpolates the rows of positive weight, so the maximiser
    # is not unique off them; the fit is the least-norm one with a constant
    # variance reg_variance, which does not depend on how rows are weighted
    # or repeated. Before, 0 of these 20 data sets agreed to the check's
    # precision at every row.
    container = scipy.sparse.csr_matrix if sparse else np.asarray
    for seed in range(20):
        rng = np.random.RandomState(seed)
        X, y = rng.rand(15, 30), rng.randint(0, 3, size=15)
        weight = rng.randint(0, 5, size=15)
        weighted = HeteroscedasticRegressor().fit(container(X), y, sample_weight=weight)
        repeated = HeteroscedasticRegressor().fit(
            container(X.repeat(weight, axis=0)), y.repeat(weight)
        )
        np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7, atol=1e-9)

        # The truth: least squares of least norm on the centred columns, in
        # closed form (numpy's lstsq); every variance is reg_variance.
        share = weight / weight.sum()
        mean = share @ X
        root = np.sqrt(share)[:, np.newaxis]
        design, target = (X - mean) * root, (y - share @ y) * root[:, 0]
        coef = np.linalg.lstsq(design, target, rcond=None)[0]
        expected = X @ coef + share @ y - mean @ coef
        for model in (weighted, repeated):
            prediction, std = model.predict(X, return_std=True)
            np.testing.assert_allclose(prediction, expected, atol=1e-9)
            np.testing.assert_allclose(std**2, model.loss_.reg_variance, rtol=1e-9)


@pytest.mark.parametrize("tol", [1e-5, 1e-10])
def test_heteroscedastic_fit_of_repeated_rank_deficient_sparse_rows_is_the_maximiser(tol):
    # 34 rows (15 distinct, 11 with positive weight) and 30 columns: X has
    # rank 11 < 30. At tol=1e-10 the least-squares start can fail on such
    # sparse X; the fit must then fall back to the constant start, and
    # still reach the maximiser: the mean interpolates, every variance is
    # reg_variance.
    rng = np.random.RandomState(0)
    X, y = rng.rand(15, 30), rng.randint(0, 3, size=15)
    weight = rng.randint(0, 5, size=15)
    X, y = X.repeat(weight, axis=0), y.repeat(weight)
    model = HeteroscedasticRegressor(tol=tol).fit(scipy.sparse.csr_matrix(X), y)
    mean, std = model.predict(X, return_std=True)
    np.testing.assert_allclose(mean, y, atol=1e-8)
    np.testing.assert_allclose(std**2, model.loss_.reg_variance, rtol=1e-3)


# scikit-learn's small check data are no mixture: some fits stop at max_iter.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "check",
    [
        check_fit_idempotent,
        check_dict_unchanged,
        check_dont_overwrite_parameters,
        check_estimators_overwrite_params,
    ],
)
def test_mixture_restarts_pass_sklearn_state_checks(check):
    check("MixtureDensityRegressor", MixtureDensityRegressor(n_components=2, n_init=2))


@pytest.mark.parametrize(
    "make_model",
    [HeteroscedasticRegressor, lambda: MixtureDensityRegressor(n_components=2, random_state=0)],
    ids=["heteroscedastic", "mixture"],
)
def test_clone_and_pickle_round_trip(make_model):
    X, y = two_branch_data(300, seed=11)
    model = make_model().fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        restored.predict(X, return_std=True)[1], model.predict(X, True)[1]
    )
    np.testing.assert_array_equal(restored.log_likelihood(X, y), model.log_likelihood(X, y))
    fresh = clone(model)
    assert not hasattr(fresh, "coef_") and fresh.get_params() == model.get_params()


# ---------------------------------------------------------------------------
# 5. Restarts and warm start.
# ---------------------------------------------------------------------------


def test_restarts_escape_a_symmetric_start_and_keep_the_best(monkeypatch):
    X, y = two_branch_data(1000, seed=12)
    F = SplineTransformer(n_knots=6).fit_transform(X)

    def symmetric_start(self, X, target, loss, sample_weight):
        # Identical components get identical gradients and never separate.
        start = loss.init_raw(target, sample_weight)
        k = self.n_components
        start[k : 2 * k] = np.average(target[:, 0], weights=sample_weight)
        return np.zeros((X.shape[1], 3 * k)), start

    monkeypatch.setattr(MixtureDensityRegressor, "_deterministic_start", symmetric_start)
    # Without a penalty, two identical components are one Gaussian exactly.
    single = HeteroscedasticRegressor(tol=1e-8).fit(F, y).objective_
    params = {"n_components": 2, "alpha": 0.0, "tol": 1e-8, "random_state": 0}
    stuck = MixtureDensityRegressor(**params).fit(F, y)
    assert stuck.objective_ == pytest.approx(single, abs=1e-6)
    restarted = MixtureDensityRegressor(n_init=3, **params).fit(F, y)
    assert restarted.objective_ < single - 1.0
    again = MixtureDensityRegressor(n_init=3, **params).fit(F, y)
    np.testing.assert_array_equal(again.coef_, restarted.coef_)


# A third component with no branch to follow switches off slowly (max_iter).
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_more_starts_never_give_a_worse_objective():
    X, y = two_branch_data(500, seed=13)
    one = MixtureDensityRegressor(n_components=3).fit(X, y)
    several = MixtureDensityRegressor(n_components=3, n_init=3, random_state=0).fit(X, y)
    assert several.objective_ <= one.objective_ + 1e-12


def test_only_the_kept_start_reports_non_convergence():
    X, y = two_branch_data(300, seed=14)
    model = MixtureDensityRegressor(n_components=2, n_init=3, max_iter=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    assert [w.category for w in caught] == [ConvergenceWarning]


def test_warm_start_continues_from_the_previous_fit():
    X, y = two_branch_data(500, seed=15)
    model = MixtureDensityRegressor(n_components=2, warm_start=True, random_state=0).fit(X, y)
    first = model.objective_
    model.fit(X, y)
    assert model.n_iter_ <= 3 and model.objective_ <= first + 1e-12
    model.set_params(n_components=3)
    with pytest.raises(ValueError, match="warm_start"):
        model.fit(X, y)


# ---------------------------------------------------------------------------
# 6. Bad input.
# ---------------------------------------------------------------------------

X_SMALL, Y_SMALL = heteroscedastic_data(40, seed=16)
BOTH = [HeteroscedasticRegressor, MixtureDensityRegressor]


@pytest.mark.parametrize("cls", BOTH)
@pytest.mark.parametrize(
    "y, match",
    [
        (np.column_stack([Y_SMALL, Y_SMALL]), "single target"),
        (np.where(np.arange(40) == 3, np.nan, Y_SMALL), "NaN"),
        (np.where(np.arange(40) == 3, np.inf, Y_SMALL), "infinity"),
        (np.ones(40), "varies"),
        (np.array(["a"] * 40, dtype=object), "(?i)could not convert|numeric"),
    ],
    ids=["2d", "nan", "inf", "constant", "strings"],
)
def test_bad_targets_are_rejected_and_leave_the_model_unfitted(cls, y, match):
    model = cls()
    with pytest.raises(ValueError, match=match):
        model.fit(X_SMALL, y)
    with pytest.raises(NotFittedError):
        model.predict(X_SMALL)


@pytest.mark.parametrize("cls", BOTH)
def test_fewer_than_two_weighted_samples_are_rejected(cls):
    with pytest.raises(ValueError, match="1 sample"):
        cls().fit(X_SMALL[:1], Y_SMALL[:1])
    weight = np.zeros(40)
    weight[5] = 1.0
    with pytest.raises(ValueError, match="at least 2 samples"):
        cls().fit(X_SMALL, Y_SMALL, sample_weight=weight)


@pytest.mark.parametrize(
    "model, match",
    [
        (HeteroscedasticRegressor(reg_variance=-1.0), "reg_variance"),
        (HeteroscedasticRegressor(reg_variance=np.inf), "reg_variance"),
        (HeteroscedasticRegressor(alpha=-1.0), "alpha"),
        (MixtureDensityRegressor(n_components=0), "n_components"),
        (MixtureDensityRegressor(n_components=2.5), "n_components"),
        (MixtureDensityRegressor(n_init=0), "n_init"),
        (MixtureDensityRegressor(random_state="seed"), "random_state|RandomState"),
    ],
)
def test_invalid_parameters_are_named_in_the_error(model, match):
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(X_SMALL, Y_SMALL)
    with pytest.raises(NotFittedError):
        model.predict(X_SMALL)


@pytest.mark.parametrize("cls", BOTH)
def test_methods_before_fit_raise_not_fitted(cls):
    model = cls()
    for call in (
        lambda: model.predict(X_SMALL, return_std=True),
        lambda: model.log_likelihood(X_SMALL, Y_SMALL),
        lambda: model.mean_log_likelihood(X_SMALL, Y_SMALL),
        lambda: model.sample(X_SMALL),
    ):
        with pytest.raises(NotFittedError):
            call()
    if cls is MixtureDensityRegressor:
        with pytest.raises(NotFittedError):
            model.predict_mixture(X_SMALL)


# Three components on 40 unimodal samples stop at max_iter; not the point here.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cls", BOTH)
def test_likelihood_and_sampling_check_their_arguments(cls):
    model = cls().fit(X_SMALL, Y_SMALL)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.log_likelihood(X_SMALL, Y_SMALL[:-1])
    with pytest.raises(ValueError, match="single target"):
        model.log_likelihood(X_SMALL, np.column_stack([Y_SMALL, Y_SMALL]))
    with pytest.raises(ValueError, match="NaN"):
        model.log_likelihood(X_SMALL, np.full(40, np.nan))
    with pytest.raises(ValueError, match="2 features"):
        model.log_likelihood(X_SMALL[:, :1], Y_SMALL)
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(X_SMALL, n_samples=0)


def test_fitted_loss_holds_the_regularisation_in_units_of_y():
    # The estimators own their loss (there is no ``loss`` parameter); the
    # fitted one is public, with reg_variance converted to y's units.
    assert "loss" not in HeteroscedasticRegressor().get_params()
    model = HeteroscedasticRegressor(reg_variance=1e-3).fit(X_SMALL, 10.0 * Y_SMALL)
    assert isinstance(model.loss_, GaussianNLL)
    assert model.loss_.reg_variance == pytest.approx(1e-3 * np.var(10.0 * Y_SMALL))
    mixture = MixtureDensityRegressor(n_components=2, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture.fit(X_SMALL, Y_SMALL)
    assert isinstance(mixture.loss_, GaussianMixtureNLL) and mixture.loss_.n_components == 2
    assert mixture.loss_.reg_variance == pytest.approx(1e-6 * np.var(Y_SMALL))


def test_mixture_density_defaults_fit_two_branches_without_warning():
    # The easy problem: y = +-x plus N(0, 0.1^2) noise, n = 2,000.
    # At x = 1.5 the true conditional distribution is an equal mixture of
    # N(-1.5, 0.01) and N(1.5, 0.01).
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 2, size=(2000, 1))
    y = rng.choice([-1.0, 1.0], size=2000) * X[:, 0] + 0.1 * rng.normal(size=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MixtureDensityRegressor().fit(X, y)
    weights, means, stds = model.predict_mixture(np.array([[1.5]]))
    order = np.argsort(means[0])
    np.testing.assert_allclose(means[0, order], [-1.5, 1.5], atol=0.03)
    np.testing.assert_allclose(weights[0, order], [0.5, 0.5], atol=0.05)
    np.testing.assert_allclose(stds[0], [0.1, 0.1], rtol=0.1)
