"""Offsets: the raw output z = X W + b + o, in fit and prediction, for every estimator.

The truths: statsmodels' GLM Poisson and Logit with the same offset; the
Poisson rate formulation (y / t with weights t has the same maximiser as y
with offset log t); and, for a loss of raw - y alone, the fit of y - o
without offset. Routing through a Pipeline and GridSearchCV is checked
against direct fits.
"""

import numpy as np
import pytest
import scipy.sparse
import sklearn
import statsmodels.api as sm
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss._core._problem import make_problem
from skloss._core._start import starting_intercept
from skloss.losses import GammaNLL, NegativeBinomialNLL, PoissonNLL

TIGHT = {"tol": 1e-10, "max_iter": 10_000}


def _claims(n=400, seed=0):
    """Counts over an exposure: rate exp(x beta + b), mean rate times exposure."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    exposure = rng.uniform(0.05, 3.0, size=n)
    rate = np.exp(X @ np.array([0.3, -0.2, 0.1]) - 1.0)
    return X, rng.poisson(rate * exposure).astype(float), exposure


def _parameters(model):
    return np.append(np.ravel(model.intercept_), np.ravel(model.coef_))


def test_poisson_offset_equals_statsmodels_glm():
    X, counts, exposure = _claims()
    offset = np.log(exposure)
    model = LinearRegressor(loss="poisson", **TIGHT).fit(X, counts, offset=offset)
    glm = sm.GLM(counts, sm.add_constant(X), family=sm.families.Poisson(), offset=offset)
    reference = glm.fit(tol=1e-13)
    assert np.max(np.abs(_parameters(model) - reference.params)) < 1e-6
    X_new, _, exposure_new = _claims(50, seed=1)
    expected = reference.predict(sm.add_constant(X_new), offset=np.log(exposure_new))
    predicted = model.predict(X_new, offset=np.log(exposure_new))
    assert np.max(np.abs(predicted / expected - 1)) < 1e-6


def test_poisson_offset_equals_rate_with_exposure_weights():
    X, counts, exposure = _claims()
    with_offset = LinearRegressor(loss="poisson", alpha=0.01, **TIGHT)
    with_offset.fit(X, counts, offset=np.log(exposure))
    # sum_i t_i (mu_i - (y_i / t_i) log mu_i) is the offset model's loss
    # (up to terms free of the coefficients) times sum_i t_i / n, so the
    # penalty scales by the same factor.
    factor = np.mean(exposure)
    rate = LinearRegressor(loss="poisson", alpha=0.01 / factor, **TIGHT)
    rate.fit(X, counts / exposure, sample_weight=exposure)
    assert np.max(np.abs(_parameters(with_offset) - _parameters(rate))) < 1e-7


@pytest.mark.parametrize(
    "make",
    [
        lambda: LinearGaussianRegressor(alpha=0.05, **TIGHT),
        # Not squared error: the general objective, not the Gram path.
        lambda: LinearRegressor(loss="huber", alpha=0.05, **TIGHT),
        lambda: MedianRegressor(),
        lambda: MedianRegressor(alpha=0.05),
    ],
    ids=["squared_error", "huber", "absolute_error", "absolute_error_penalised"],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_offset_of_a_location_loss_equals_fitting_y_minus_offset(make, sparse):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4))
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.standard_t(3, size=(120, 2)).T
    y = y.T
    offset = rng.normal(scale=3.0, size=(120, 2))
    X = scipy.sparse.csr_array(X) if sparse else X
    with_offset = make().fit(X, y, offset=offset)
    shifted = make().fit(X, y - offset)
    assert np.max(np.abs(_parameters(with_offset) - _parameters(shifted))) < 1e-6
    # objective_ is the objective with the offsets, the one the fit of y - o reports.
    assert with_offset.objective_ == pytest.approx(shifted.objective_, rel=1e-9)
    predicted = with_offset.predict(X, offset=offset)
    assert np.max(np.abs(predicted - (shifted.predict(X) + offset))) < 1e-5


def test_sigmoid_offset_equals_statsmodels_logit():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 3))
    offset = rng.normal(scale=1.5, size=500)
    logit = X @ np.array([1.0, -0.5, 0.0]) + 0.3 + offset
    y = (rng.uniform(size=500) < 1 / (1 + np.exp(-logit))).astype(int)
    model = SigmoidClassifier(alpha=0.0, **TIGHT).fit(X, y, offset=offset)
    reference = sm.Logit(y, sm.add_constant(X), offset=offset).fit(disp=0, tol=1e-12)
    assert np.max(np.abs(_parameters(model) - reference.params)) < 1e-6
    X_new, offset_new = rng.normal(size=(20, 3)), rng.normal(size=20)
    expected = reference.predict(sm.add_constant(X_new), offset=offset_new)
    assert np.max(np.abs(model.predict_proba(X_new, offset=offset_new)[:, 1] - expected)) < 1e-7
    logits = model.decision_function(X_new, offset=offset_new)
    assert np.allclose(logits, model.decision_function(X_new) + offset_new)


def test_softmax_offset_of_the_log_odds_equals_sigmoid():
    # Two-class softmax with offsets [0, o] is logistic regression with
    # offset o; its penalty on both classes' coefficients, which the fit
    # keeps opposite, is the sigmoid's at half the alpha.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 2))
    offset = rng.normal(size=300)
    y = (X[:, 0] + offset + rng.logistic(size=300) > 0).astype(int)
    softmax = SoftmaxClassifier(alpha=0.02, **TIGHT)
    softmax.fit(X, y, offset=np.column_stack([np.zeros(300), offset]))
    sigmoid = SigmoidClassifier(alpha=0.01, **TIGHT).fit(X, y, offset=offset)
    assert np.allclose(softmax.coef_[1] - softmax.coef_[0], sigmoid.coef_[0], atol=1e-7)
    new = np.column_stack([np.zeros(300), -offset])
    expected = sigmoid.predict_proba(X, offset=-offset)
    assert np.allclose(softmax.predict_proba(X, offset=new), expected, atol=1e-7)


@pytest.mark.parametrize(
    "loss, best_constant",
    [
        (PoissonNLL(), lambda y, o, w: np.log(np.sum(w * y) / np.sum(w * np.exp(o)))),
        (GammaNLL(), lambda y, o, w: np.log(np.sum(w * y * np.exp(-o)) / np.sum(w))),
    ],
    ids=["poisson", "gamma"],
)
def test_starting_intercept_is_the_best_constant_given_the_offsets(loss, best_constant):
    rng = np.random.default_rng(6)
    y = rng.gamma(2.0, size=200)
    offset, weight = rng.normal(size=200), rng.uniform(0.5, 2.0, size=200)
    problem = make_problem(np.ones((200, 1)), y[:, None], weight, 0.0, True, offset[:, None])
    start = starting_intercept(problem, loss, 1e-12)
    assert abs(start[0] - best_constant(y, offset, weight)) < 1e-8


def test_offset_with_a_loss_without_closed_form_matches_statsmodels():
    X, counts, exposure = _claims(seed=7)
    loss = NegativeBinomialNLL(dispersion=0.5)
    model = LinearRegressor(loss=loss, **TIGHT).fit(X, counts, offset=np.log(exposure))
    family = sm.families.NegativeBinomial(alpha=0.5)
    reference = sm.GLM(counts, sm.add_constant(X), family=family, offset=np.log(exposure))
    assert np.max(np.abs(_parameters(model) - reference.fit(tol=1e-13).params)) < 1e-6


def test_one_offset_column_is_added_to_every_output():
    rng = np.random.default_rng(8)
    X, offset = rng.normal(size=(80, 2)), rng.normal(size=80)
    y = rng.poisson(np.exp(X @ [0.5, -0.5] + offset)[:, None] * [1.0, 2.0]).astype(float)
    both = LinearRegressor(loss="poisson", **TIGHT).fit(X, y, offset=offset)
    for j in range(2):
        single = LinearRegressor(loss="poisson", **TIGHT).fit(X, y[:, j], offset=offset)
        assert np.allclose(both.coef_[j], single.coef_, atol=1e-8)
    assert both.predict(X, offset=offset).shape == (80, 2)


@pytest.mark.parametrize(
    "offset, message",
    [
        (np.zeros(9), r"offset must have shape \(10,\) or \(10, 1\).*got shape \(9,\)"),
        (np.zeros((10, 3)), r"got shape \(10, 3\)"),
        (np.r_[np.zeros(9), np.nan], "offset contains NaN"),
        (np.r_[np.zeros(9), np.inf], "offset contains infinity"),
    ],
)
def test_bad_offsets_raise_clear_errors_and_leave_the_model_as_it_was(offset, message):
    X, y = np.arange(10.0)[:, None], np.arange(10.0)
    model = LinearRegressor().fit(X, y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match=message):
        model.fit(X, 2 * y, offset=offset)
    assert np.array_equal(model.coef_, coef)
    with pytest.raises(ValueError, match=message):
        model.predict(X, offset=offset)


def test_softmax_rejects_a_single_offset_column():
    X, y = np.arange(12.0)[:, None], np.repeat([0, 1, 2], 4)
    with pytest.raises(ValueError, match="one column per class"):
        SoftmaxClassifier().fit(X, y, offset=np.ones(12))


def test_distributional_regressors_take_no_offset():
    X, y = np.arange(20.0)[:, None], np.arange(20.0) ** 1.5
    with pytest.raises(TypeError, match="offset"):
        HeteroscedasticRegressor().fit(X, y, offset=np.zeros(20))


def test_offsets_are_routed_through_a_pipeline_and_a_grid_search():
    X, counts, exposure = _claims(n=300, seed=9)
    offset = np.log(exposure)
    with sklearn.config_context(enable_metadata_routing=True):
        regressor = LinearRegressor(loss="poisson", **TIGHT)
        regressor.set_fit_request(offset=True).set_predict_request(offset=True)
        regressor.set_score_request(offset=True)
        pipeline = make_pipeline(StandardScaler(), regressor).fit(X, counts, offset=offset)
        direct = LinearRegressor(loss="poisson", **TIGHT)
        direct.fit(StandardScaler().fit_transform(X), counts, offset=offset)
        assert np.allclose(pipeline[-1].coef_, direct.coef_, atol=1e-9)
        assert np.allclose(
            pipeline.predict(X, offset=offset),
            direct.predict(StandardScaler().fit_transform(X), offset=offset),
        )

        folds = KFold(3, shuffle=True, random_state=0)
        search = GridSearchCV(pipeline, {"linearregressor__alpha": [0.0, 1.0]}, cv=folds)
        search.fit(X, counts, offset=offset)
    # Each fold fitted and scored with its own rows' offsets.
    train, test = next(folds.split(X))
    scaler = StandardScaler().fit(X[train])
    fold = LinearRegressor(loss="poisson", **TIGHT)
    fold.fit(scaler.transform(X[train]), counts[train], offset=offset[train])
    score = fold.score(scaler.transform(X[test]), counts[test], offset=offset[test])
    assert abs(search.cv_results_["split0_test_score"][0] - score) < 1e-9


def test_summary_with_offsets_equals_statsmodels_glm_standard_errors():
    from skloss.inference import summary

    X, counts, exposure = _claims(seed=10)
    offset = np.log(exposure)
    model = LinearRegressor(loss="poisson", **TIGHT).fit(X, counts, offset=offset)
    result = summary(model, X, counts, offset=offset, cov_type="model")
    glm = sm.GLM(counts, sm.add_constant(X), family=sm.families.Poisson(), offset=offset)
    reference = glm.fit(tol=1e-13)
    assert np.max(np.abs(result.bse / reference.bse - 1)) < 1e-6


def test_summary_refuses_offsets_for_an_estimator_fitted_without_them():
    from skloss.inference import summary

    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 1))
    model = HeteroscedasticRegressor().fit(X, X[:, 0] + rng.normal(size=200))
    with pytest.raises(ValueError, match="fitted without offsets"):
        summary(model, X, X[:, 0], offset=np.zeros(200))
