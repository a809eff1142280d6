"""skloss.inference.summary against statsmodels, closed forms and simulation."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import statsmodels.api as sm
from scipy.stats import norm
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from statsmodels.regression.quantile_regression import QuantReg, hall_sheather

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    MixtureDensityRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss.inference import summary
from skloss.losses import (
    GammaNLL,
    Huber,
    Loss,
    MultinoulliLogLoss,
    OutputUnit,
    Pinball,
    PoissonNLL,
    TweedieNLL,
)


def _relative_error(actual, expected):
    return float(np.max(np.abs(np.asarray(actual) / np.asarray(expected) - 1.0)))


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _regression_data(n=300, seed=0):
    """Heteroscedastic linear data, so that robust and model SEs differ."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    noise = rng.normal(size=n) * (1.0 + np.abs(X[:, 0]))
    return X, 1.0 + X @ [1.0, -2.0, 0.0] + noise


def _logistic_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    p = 1.0 / (1.0 + np.exp(-(0.5 + X @ [1.0, -1.0, 0.0])))
    return X, (rng.random(n) < p).astype(int)


# ---------------------------------------------------------------------------
# Against statsmodels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(
    ("cov_type", "df_correction", "statsmodels_cov"),
    [("model", False, "nonrobust"), ("robust", False, "HC0"), ("robust", True, "HC1")],
)
def test_ols_standard_errors_match_statsmodels(cov_type, df_correction, statsmodels_cov, sparse):
    X, y = _regression_data()
    model = LinearGaussianRegressor(tol=1e-10).fit(X, y)
    data = scipy.sparse.csr_array(X) if sparse else X
    result = summary(model, data, y, cov_type=cov_type, df_correction=df_correction)
    reference = sm.OLS(y, sm.add_constant(X)).fit(cov_type=statsmodels_cov)
    assert _relative_error(result.bse, reference.bse) < 1e-6
    np.testing.assert_allclose(result.params, reference.params, rtol=1e-8)


@pytest.mark.parametrize("df_correction", [False, True])
def test_ols_cluster_standard_errors_match_statsmodels(df_correction):
    X, y = _regression_data()
    groups = np.random.default_rng(1).integers(0, 25, size=len(y))
    model = LinearGaussianRegressor(tol=1e-10).fit(X, y)
    result = summary(model, X, y, cov_type="cluster", groups=groups, df_correction=df_correction)
    reference = sm.OLS(y, sm.add_constant(X)).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": df_correction}
    )
    assert _relative_error(result.bse, reference.bse) < 1e-6


@pytest.mark.parametrize(
    ("cov_type", "statsmodels_cov"), [("model", "nonrobust"), ("robust", "HC0")]
)
def test_logit_standard_errors_match_statsmodels(cov_type, statsmodels_cov):
    X, y = _logistic_data()
    model = SigmoidClassifier(alpha=0.0, tol=1e-10).fit(X, y)
    result = summary(model, X, y, cov_type=cov_type)
    reference = sm.Logit(y, sm.add_constant(X)).fit(disp=0, cov_type=statsmodels_cov)
    assert _relative_error(result.bse, reference.bse) < 1e-5


def test_multioutput_regression_is_one_ols_per_output():
    X, y = _regression_data()
    Y = np.column_stack([y, 2.0 * y - X[:, 1] ** 2])
    result = summary(LinearGaussianRegressor(tol=1e-10).fit(X, Y), X, Y, cov_type="model")
    for k in range(2):
        reference = sm.OLS(Y[:, k], sm.add_constant(X)).fit()
        assert _relative_error(result.bse[4 * k : 4 * k + 4], reference.bse) < 1e-6
    assert result.coef_se.shape == (2, 3) and result.intercept_se.shape == (2,)
    # The outputs' noises are estimated separately, and so are their parameters.
    assert np.all(result.cov_params()[:4, 4:] == 0.0)


def test_multilabel_classification_is_one_logit_per_label():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(300, 2))
    Y = (rng.random((300, 3)) < 1 / (1 + np.exp(-X @ rng.normal(size=(2, 3))))).astype(int)
    result = summary(SigmoidClassifier(alpha=0.0, tol=1e-10).fit(X, Y), X, Y, cov_type="model")
    for k in range(3):
        reference = sm.Logit(Y[:, k], sm.add_constant(X)).fit(disp=0)
        assert _relative_error(result.bse[3 * k : 3 * k + 3], reference.bse) < 1e-5
    assert result.param_names[3] == "1:intercept"


def test_two_output_quantile_regression_is_one_quantreg_per_output():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(300, 2))
    Y = X @ [[1.0, -1.0], [2.0, 0.0]] + rng.standard_t(3, size=(300, 2))
    model = LinearRegressor(loss=Pinball(quantile=0.3)).fit(X, Y)
    result = summary(model, X, Y, cov_type="model")
    for k in range(2):
        reference = QuantReg(Y[:, k], sm.add_constant(X)).fit(q=0.3, vcov="iid")
        assert _relative_error(result.bse[3 * k : 3 * k + 3], reference.bse) < 1e-3


def _powell_from_quantreg(X, y, quantile):
    """Powell's sandwich built by hand from QuantReg's residuals and bandwidth."""
    exog = sm.add_constant(X)
    fit = QuantReg(y, exog).fit(q=quantile)
    n = len(y)
    residual = y - exog @ fit.params
    interquartile = np.percentile(residual, 75) - np.percentile(residual, 25)
    step = hall_sheather(n, quantile)
    width = min(np.std(y), interquartile / 1.34) * (
        norm.ppf(quantile + step) - norm.ppf(quantile - step)
    )
    assert np.isclose(width, fit.bandwidth)
    u = residual / width
    kernel = np.where(np.abs(u) <= 1, 0.75 * (1 - u**2), 0.0)
    a = (exog * kernel[:, None]).T @ exog / (n * width)
    b = quantile * (1 - quantile) * exog.T @ exog / n
    return np.sqrt(np.diag(np.linalg.inv(a) @ b @ np.linalg.inv(a) / n))


@pytest.mark.parametrize("quantile", [0.5, 0.25])
def test_quantile_regression_matches_powell_sandwich_from_quantreg(quantile):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 2))
    # Heteroscedastic, heavy-tailed noise: Powell's and the iid formula differ.
    y = 1.0 + X @ [1.0, -2.0] + rng.standard_t(3, size=500) * (1 + 0.5 * np.abs(X[:, 0]))
    model = MedianRegressor() if quantile == 0.5 else LinearRegressor(loss=Pinball(quantile))
    result = summary(model.fit(X, y), X, y)
    # The bar is 2% (the solvers differ slightly); here they agree to ~1e-6.
    assert _relative_error(result.bse, _powell_from_quantreg(X, y, quantile)) < 1e-3


@pytest.mark.parametrize("quantile", [0.25, 0.5, 0.8])
def test_quantile_model_covariance_matches_quantreg_iid(quantile):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 2))
    y = 1.0 + X @ [1.0, -2.0] + rng.standard_t(3, size=500)
    loss = "absolute_error" if quantile == 0.5 else Pinball(quantile=quantile)
    result = summary(LinearRegressor(loss=loss).fit(X, y), X, y, cov_type="model")
    reference = QuantReg(y, sm.add_constant(X)).fit(q=quantile, vcov="iid")
    assert _relative_error(result.bse, reference.bse) < 1e-3


class _Exp(OutputUnit):
    """Output unit of the test Poisson loss: the mean is exp(raw)."""

    name = "exp"
    target_kind = "continuous"

    def __call__(self, raw):
        return np.exp(raw)


class PoissonWithoutHessian(Loss):
    """Poisson negative log-likelihood on a log link: exp(z) - y z."""

    output_unit = _Exp()

    def loss(self, y, raw):
        return np.sum(np.exp(raw) - y * raw, axis=1)

    def gradient(self, y, raw):
        return np.exp(raw) - y


class PoissonWithHessian(PoissonWithoutHessian):
    def hessian(self, y, raw):
        return np.exp(raw)[:, :, np.newaxis]


@pytest.mark.parametrize("loss", [PoissonWithHessian(), PoissonWithoutHessian()], ids=repr)
def test_poisson_glm_model_standard_errors_match_statsmodels(loss):
    # A loss defined here, not in skloss: the interface is pluggable, and
    # without a hessian method summary falls back to finite differences.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 3))
    y = rng.poisson(np.exp(0.3 + X @ [0.5, -0.3, 0.0]))
    model = LinearRegressor(loss=loss, tol=1e-10).fit(X, y)
    result = summary(model, X, y, cov_type="model")
    reference = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit(tol=1e-12)
    assert _relative_error(result.bse, reference.bse) < 1e-5


class MultinoulliWithoutHessian(Loss):
    """The multinoulli log-loss through its value and gradient only."""

    output_unit = MultinoulliLogLoss.output_unit

    def loss(self, y, raw):
        return MultinoulliLogLoss().loss(y, raw)

    def gradient(self, y, raw):
        return MultinoulliLogLoss().gradient(y, raw)


def test_finite_difference_hessian_gives_the_analytic_result_for_softmax():
    model, X, y = _fits()[4]
    analytic = summary(model, X, y)
    model.loss_ = MultinoulliWithoutHessian()
    numeric = summary(model, X, y)
    np.testing.assert_allclose(numeric.cov_params(), analytic.cov_params(), rtol=1e-6)


@pytest.mark.parametrize(
    ("estimator", "rtol"), [(LinearGaussianRegressor(), 1e-9), (MedianRegressor(), 0.02)], ids=repr
)
def test_cluster_of_single_samples_is_the_robust_covariance(estimator, rtol):
    # At the median every absolute-error gradient is +-1, so the empirical
    # meat is Powell's tau (1 - tau) X^T X (times the slope jump squared),
    # except on the 4 samples the fit interpolates, whose slope counts as 0.
    X, y = _regression_data()
    model = estimator.fit(X, y)
    robust = summary(model, X, y, cov_type="robust")
    cluster = summary(model, X, y, cov_type="cluster", groups=np.arange(len(y)))
    np.testing.assert_allclose(cluster.bse, robust.bse, rtol=rtol)


LOG_LINK_CASES = [
    (PoissonNLL(), sm.families.Poisson()),
    (GammaNLL(), sm.families.Gamma(sm.families.links.Log())),
    (TweedieNLL(power=1.5), sm.families.Tweedie(var_power=1.5, link=sm.families.links.Log())),
]


@pytest.mark.parametrize(("loss", "family"), LOG_LINK_CASES, ids=lambda case: repr(case)[:20])
@pytest.mark.parametrize(
    ("cov_type", "statsmodels_cov"), [("model", "nonrobust"), ("robust", "HC0")]
)
def test_log_link_glm_standard_errors_match_statsmodels(loss, family, cov_type, statsmodels_cov):
    # "model" is the observed information times Pearson's dispersion (Gamma,
    # Tweedie), as statsmodels' GLM reports it when fitted by Newton's method.
    rng = np.random.default_rng(11)
    X = rng.normal(size=(400, 2))
    mean = np.exp(0.5 + X @ [0.3, -0.2])
    y = rng.poisson(mean) if isinstance(loss, PoissonNLL) else rng.gamma(2.0, mean / 2.0)
    result = summary(LinearRegressor(loss=loss, tol=1e-10).fit(X, y), X, y, cov_type=cov_type)
    reference = sm.GLM(y, sm.add_constant(X), family=family).fit(
        method="newton", tol=1e-12, cov_type=statsmodels_cov
    )
    assert _relative_error(result.bse, reference.bse) < 1e-5


def test_class_weights_are_importance_weights_as_glm_var_weights():
    X, y = _logistic_data()
    class_weight = np.where(y == 1, 3.0, 1.0)
    model = SigmoidClassifier(alpha=0.0, tol=1e-10, class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    robust = summary(model, X, y)
    reference = sm.GLM(
        y, sm.add_constant(X), family=sm.families.Binomial(), var_weights=class_weight
    ).fit(tol=1e-12, cov_type="HC0")
    assert _relative_error(robust.bse, reference.bse) < 1e-5
    # "model": the gradients' outer products replaced by their expectation
    # p (1 - p), each sample's counting its class weight squared.
    exog = sm.add_constant(X)
    p = 1.0 / (1.0 + np.exp(-exog @ robust.params))
    curvature = p * (1 - p)
    bread = np.linalg.inv((exog * (class_weight * curvature)[:, None]).T @ exog)
    meat = (exog * (class_weight**2 * curvature)[:, None]).T @ exog
    expected = bread @ meat @ bread
    np.testing.assert_allclose(
        summary(model, X, y, cov_type="model").cov_params(), expected, rtol=1e-7
    )


def test_softmax_contrasts_match_mnlogit():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 2))
    logits = X @ rng.normal(size=(2, 3))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(500)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    result = summary(SoftmaxClassifier(alpha=0.0, tol=1e-10).fit(X, y), X, y, cov_type="model")
    # Contrasts with class 0, statsmodels' parameters: class k minus class 0.
    contrast = np.zeros((6, 9))
    for k in (1, 2):
        for j in range(3):
            contrast[3 * (k - 1) + j, 3 * k + j] = 1.0
            contrast[3 * (k - 1) + j, j] = -1.0
    reference = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(contrast @ result.params, reference.params.T.ravel(), atol=1e-7)
    bse = np.sqrt(np.diag(contrast @ result.cov_params() @ contrast.T))
    assert _relative_error(bse, reference.bse.T.ravel()) < 1e-5


# ---------------------------------------------------------------------------
# Closed forms
# ---------------------------------------------------------------------------


def test_ridge_model_covariance_is_the_penalised_sandwich():
    X, y = _regression_data(n=100)
    alpha = 0.5
    model = LinearGaussianRegressor(alpha=alpha, tol=1e-10).fit(X, y)
    result = summary(model, X, y, cov_type="model")
    # Centred data: the unpenalised intercept separates from the coefficients.
    centred = X - X.mean(axis=0)
    gram = centred.T @ centred
    bread = np.linalg.inv(gram + alpha * len(y) * np.eye(3))
    residual = y - model.predict(X)
    variance = residual @ residual / (len(y) - 4)
    expected = variance * bread @ gram @ bread
    # cov_params of the coefficients, [1:, 1:]
    np.testing.assert_allclose(result.cov_params()[1:, 1:], expected, rtol=1e-8)


def test_huber_robust_covariance_matches_closed_form():
    X, y = _regression_data()
    model = LinearRegressor(loss=Huber(delta=1.5), tol=1e-10).fit(X, y)
    result = summary(model, X, y)
    exog = sm.add_constant(X)
    residual = y - exog @ result.params
    inside = (np.abs(residual) <= 1.5).astype(float)
    psi = np.clip(residual, -1.5, 1.5)
    a = np.linalg.inv((exog * inside[:, None]).T @ exog)
    expected = a @ ((exog * psi[:, None] ** 2).T @ exog) @ a
    np.testing.assert_allclose(result.cov_params(), expected, rtol=1e-7)


def test_heteroscedastic_model_covariance_is_inverse_hessian_of_likelihood():
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=300)
    y = 1.0 + 2.0 * x + np.exp(0.5 * x) * rng.normal(size=300)
    model = HeteroscedasticRegressor(reg_variance=0.0, tol=1e-10).fit(x[:, None], y)
    result = summary(model, x[:, None], y, cov_type="model")

    def total_negative_log_likelihood(theta):
        mean = theta[0] + theta[1] * x
        log_variance = theta[2] + theta[3] * x
        return np.sum(0.5 * log_variance + 0.5 * (y - mean) ** 2 * np.exp(-log_variance))

    theta, step = result.params, 1e-4
    hessian = np.empty((4, 4))
    for j in range(4):
        for k in range(4):
            e_j, e_k = np.eye(4)[j] * step, np.eye(4)[k] * step
            hessian[j, k] = (
                total_negative_log_likelihood(theta + e_j + e_k)
                - total_negative_log_likelihood(theta + e_j - e_k)
                - total_negative_log_likelihood(theta - e_j + e_k)
                + total_negative_log_likelihood(theta - e_j - e_k)
            ) / (4 * step**2)
    np.testing.assert_allclose(result.cov_params(), np.linalg.inv(hessian), rtol=1e-5)
    assert result.param_names[0] == "mean:intercept"


# ---------------------------------------------------------------------------
# Coverage by simulation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", ["robust", "model"])
def test_logistic_intervals_cover_true_coefficients(cov_type):
    # 400 datasets of 200 samples; each coefficient's 95% interval must
    # cover its true value in 93-97% of them (the binomial standard error of
    # a 95% rate over 400 datasets is 1.1%).
    rng = np.random.default_rng(7)
    truth = np.array([-0.5, 1.0, -1.0])
    n_datasets, n = 400, 200
    X = rng.normal(size=(n_datasets, n, 2))
    p = 1.0 / (1.0 + np.exp(-(truth[0] + X @ truth[1:])))
    Y = (rng.random((n_datasets, n)) < p).astype(int)
    covered = np.zeros(3)
    for X_d, y_d in zip(X, Y, strict=True):
        model = SigmoidClassifier(alpha=0.0, tol=1e-8).fit(X_d, y_d)
        interval = summary(model, X_d, y_d, cov_type=cov_type).conf_int()
        covered += (interval[:, 0] <= truth) & (truth <= interval[:, 1])
    rate = covered / n_datasets
    assert np.all((0.93 <= rate) & (rate <= 0.97)), rate


# ---------------------------------------------------------------------------
# The result object
# ---------------------------------------------------------------------------


def _fits():
    X, y = _regression_data(n=200)
    Xl, yl = _logistic_data(n=200)
    classes = np.digitize(Xl[:, 0] + np.random.default_rng(0).normal(size=200), [-0.5, 0.5])
    return [
        (LinearGaussianRegressor().fit(X, y), X, y),
        (MedianRegressor().fit(X, y), X, y),
        (LinearRegressor(loss=Huber(), fit_intercept=False).fit(X, y), X, y),
        (SigmoidClassifier(alpha=1e-3).fit(Xl, yl), Xl, yl),
        (SoftmaxClassifier(alpha=1e-3).fit(Xl, classes), Xl, classes),
        (HeteroscedasticRegressor(alpha=1e-3).fit(X, y), X, y),
    ]


@pytest.mark.parametrize("cov_type", ["robust", "model"])
def test_result_is_consistent(cov_type):
    for model, X, y in _fits():
        result = summary(model, X, y, cov_type=cov_type)
        assert np.all((0 <= result.pvalues) & (result.pvalues <= 1))
        interval = result.conf_int(0.1)
        assert np.all((interval[:, 0] < result.params) & (result.params < interval[:, 1]))
        np.testing.assert_allclose(np.diag(result.cov_params()), result.bse**2, rtol=1e-12)
        assert result.coef_se.shape == np.shape(model.coef_)
        assert np.shape(result.intercept_se) == np.shape(model.intercept_)
        assert len(result.param_names) == len(result.params) == len(result.bse)
        coef = np.atleast_2d(model.coef_)
        n_terms = coef.shape[1] + model.fit_intercept
        per_output = result.params.reshape(coef.shape[0], n_terms)
        np.testing.assert_array_equal(per_output[:, model.fit_intercept :], coef)


def test_no_intercept_has_nan_intercept_se():
    X, y = _regression_data()
    result = summary(LinearGaussianRegressor(fit_intercept=False).fit(X, y), X, y)
    assert np.isnan(result.intercept_se) and result.param_names == ["x0", "x1", "x2"]


def test_integer_weights_equal_repeated_rows():
    X, y = _logistic_data(n=150)
    weight = np.random.default_rng(8).integers(1, 4, size=150)
    rows = np.repeat(np.arange(150), weight)
    weighted = SigmoidClassifier(alpha=1e-3, tol=1e-10).fit(X, y, sample_weight=weight)
    repeated = SigmoidClassifier(alpha=1e-3, tol=1e-10).fit(X[rows], y[rows])
    for cov_type in ("robust", "model"):
        a = summary(weighted, X, y, sample_weight=weight, cov_type=cov_type)
        b = summary(repeated, X[rows], y[rows], cov_type=cov_type)
        np.testing.assert_allclose(a.bse, b.bse, rtol=1e-6)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("cov_type", ["robust", "cluster"])
def test_sparse_x_gives_the_dense_result(fmt, cov_type):
    for model, X, y in _fits():
        data = getattr(scipy.sparse, f"{fmt}_array")(X)
        options = {"groups": np.arange(len(y)) % 20} if cov_type == "cluster" else {}
        dense = summary(model, X, y, cov_type=cov_type, **options)
        np.testing.assert_allclose(
            summary(model, data, y, cov_type=cov_type, **options).cov_params(),
            dense.cov_params(),
            rtol=1e-9,
            atol=1e-14,
        )


def test_table_and_frame_use_feature_names():
    X, y = _regression_data()
    frame = pd.DataFrame(X, columns=["age", "dose", "noise"])
    result = summary(LinearGaussianRegressor().fit(frame, y), frame, y)
    text = str(result)
    for word in ("intercept", "age", "dose", "noise", "std err", "P>|z|", "robust"):
        assert word in text
    table = result.to_frame()
    assert table.index.tolist() == ["intercept", "age", "dose", "noise"]
    np.testing.assert_array_equal(table["std_err"], result.bse)


def test_softmax_frame_is_indexed_by_class_and_term():
    model, X, y = _fits()[4]
    table = summary(model, X, y).to_frame()
    assert table.index.names == ["output", "term"]
    assert table.index[0] == ("0", "intercept")


def test_pipeline_is_its_final_step_on_transformed_x():
    X, y = _logistic_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    pipeline = make_pipeline(StandardScaler().set_output(transform="pandas"), SigmoidClassifier())
    result = summary(pipeline.fit(frame, y), frame, y)
    expected = summary(pipeline[-1], pipeline[0].transform(frame), y)
    np.testing.assert_array_equal(result.bse, expected.bse)
    assert result.param_names == ["intercept", "a", "b", "c"]


def test_float32_x_gives_the_float64_result():
    X, y = _regression_data()
    model = LinearGaussianRegressor(tol=1e-10).fit(X.astype(np.float32), y)
    single = summary(model, X.astype(np.float32), y)
    np.testing.assert_allclose(
        single.bse, summary(model, X.astype(np.float32).astype(float), y).bse
    )


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_errors_say_what_is_wrong():
    X, y = _regression_data()
    model = LinearGaussianRegressor().fit(X, y)
    with pytest.raises(NotFittedError):
        summary(LinearGaussianRegressor(), X, y)
    with pytest.raises(ValueError, match="3 features"):
        summary(model, X[:, :2], y)
    with pytest.raises(ValueError, match="samples but y has"):
        summary(model, X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        summary(model, X, np.where(y > 3, np.nan, y))
    with pytest.raises(ValueError, match="cov_type must be one of"):
        summary(model, X, y, cov_type="HC3")
    with pytest.raises(ValueError, match="needs groups"):
        summary(model, X, y, cov_type="cluster")
    with pytest.raises(ValueError, match="only by cov_type='cluster'"):
        summary(model, X, y, groups=np.zeros(len(y)))
    with pytest.raises(ValueError, match="one label per sample"):
        summary(model, X, y, cov_type="cluster", groups=np.arange(10))
    with pytest.raises(ValueError, match="at least 2 groups"):
        summary(model, X, y, cov_type="cluster", groups=np.zeros(len(y)))
    with pytest.raises(TypeError, match="df_correction"):
        summary(model, X, y, df_correction="yes")
    with pytest.raises(TypeError, match="fitted skloss estimator"):
        summary(LinearRegression().fit(X, y), X, y)
    with pytest.raises(ValueError, match="alpha must be"):
        summary(model, X, y).conf_int(alpha=5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mixture_density_regressor_is_not_supported():
    X, y = _regression_data(n=100)
    model = MixtureDensityRegressor(n_components=2, max_iter=20).fit(X, y)
    with pytest.raises(NotImplementedError, match="not identified"):
        summary(model, X, y)


def test_unknown_class_labels_are_rejected():
    X, y = _logistic_data()
    model = SigmoidClassifier().fit(X, y)
    with pytest.raises(ValueError, match="classes_"):
        summary(model, X, np.where(y == 1, 2, 0))


def test_collinear_features_are_not_identified():
    X, y = _regression_data()
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    model = LinearGaussianRegressor().fit(X, y)
    with pytest.raises(ValueError, match="not identified"):
        summary(model, X, y)


def test_data_other_than_the_fitted_data_warns():
    X, y = _regression_data()
    model = LinearGaussianRegressor().fit(X, y)
    with pytest.warns(UserWarning, match="not at the optimum"):
        summary(model, X, y + 1.0)
