"""LinearRegressor with the log-link losses fits the same models as the references.

scikit-learn's GLMs minimise ``sum_i s_i d(y_i, mu_i) / (2 sum_i s_i) +
alpha / 2 ||w||^2`` with ``d`` the unit deviance; half the deviance is the
skloss loss up to terms free of the coefficients, so ``alpha`` maps one to
one: ``LinearRegressor(loss="poisson", alpha=a)`` is
``PoissonRegressor(alpha=a)``, and likewise for Gamma and Tweedie (log
link). The negative binomial is compared with statsmodels' GLM, which has
no penalty, at ``alpha=0``. Recovery tests draw data from each family with
known coefficients and compare with the maximum likelihood estimator's
standard errors, from the Fisher information written out here.
"""

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import GammaRegressor, PoissonRegressor, TweedieRegressor

from skloss import LinearRegressor
from skloss.losses import NegativeBinomialNLL, TweedieNLL

TIGHT = {"tol": 1e-10, "max_iter": 10_000}
# Newton steps to the floating-point floor: the reference, not the subject.
SK_GLM = {"solver": "newton-cholesky", "tol": 1e-14, "max_iter": 1000}
TRUE_COEF = np.array([0.4, -0.3, 0.2])
TRUE_INTERCEPT = 0.5


def _relative_error(actual, expected):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def _parameters(model):
    return np.append(model.coef_, model.intercept_)


def _design(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    X[:, 2] = rng.uniform(0, 2, size=n)  # not centred: the intercept matters
    return X, np.exp(X @ TRUE_COEF + TRUE_INTERCEPT), rng


def _draw_tweedie(rng, mu, power, phi):
    """Compound Poisson-Gamma: a Poisson number of Gamma jumps."""
    n_jumps = rng.poisson(mu ** (2 - power) / (phi * (2 - power)))
    jump_shape = (2 - power) / (power - 1)
    return rng.gamma(n_jumps * jump_shape, phi * (power - 1) * mu ** (power - 1))


def _draw(family, n, seed):
    X, mu, rng = _design(n, seed)
    if family == "poisson":
        return X, rng.poisson(mu).astype(float)
    if family == "gamma":
        return X, rng.gamma(2.0, mu / 2.0)
    if family == "tweedie":
        return X, _draw_tweedie(rng, mu, 1.5, 1.0)
    k = 0.5  # negative binomial: a Poisson with a Gamma-distributed mean
    return X, rng.negative_binomial(1 / k, 1 / (1 + k * mu)).astype(float)


@pytest.mark.parametrize("alpha", [0.0, 0.05])
@pytest.mark.parametrize(
    "loss, reference",
    [
        ("poisson", PoissonRegressor),
        ("gamma", GammaRegressor),
        ("tweedie", lambda **kw: TweedieRegressor(power=1.5, link="log", **kw)),
    ],
    ids=["poisson", "gamma", "tweedie"],
)
def test_log_link_regressor_matches_scikit_learn_glm(loss, reference, alpha):
    X, y = _draw(loss, 400, seed=1)
    weight = np.random.default_rng(2).uniform(0.2, 3.0, size=len(y))
    model = LinearRegressor(loss=loss, alpha=alpha, **TIGHT).fit(X, y, sample_weight=weight)
    expected = reference(alpha=alpha, **SK_GLM).fit(X, y, sample_weight=weight)
    assert _relative_error(_parameters(model), _parameters(expected)) < 1e-5
    np.testing.assert_allclose(model.predict(X), expected.predict(X), rtol=1e-5)


# Above power 2 the loss is not convex in the raw output where
# mu > (p - 1) y / (p - 2); scikit-learn's Newton solver then says it falls
# back to L-BFGS, which it runs to the same tight tolerance.
@pytest.mark.filterwarnings("ignore:The inner solver of NewtonCholeskySolver")
@pytest.mark.parametrize("power", [0, 1.2, 2.5, 3])
def test_tweedie_loss_matches_scikit_learn_tweedie_regressor(power):
    X, y = _draw("gamma", 400, seed=3)
    model = LinearRegressor(loss=TweedieNLL(power=power), alpha=0.01, **TIGHT).fit(X, y)
    expected = TweedieRegressor(power=power, link="log", alpha=0.01, **SK_GLM).fit(X, y)
    assert _relative_error(_parameters(model), _parameters(expected)) < 1e-5


@pytest.mark.parametrize("dispersion", [0.2, 2.0])
def test_negative_binomial_matches_statsmodels_glm(dispersion):
    X, y = _draw("negative_binomial", 400, seed=4)
    counts = np.random.default_rng(5).integers(1, 4, size=len(y))
    model = LinearRegressor(loss=NegativeBinomialNLL(dispersion=dispersion), **TIGHT)
    model.fit(X, y, sample_weight=counts)
    family = sm.families.NegativeBinomial(alpha=dispersion)
    glm = sm.GLM(y, sm.add_constant(X), family=family, freq_weights=counts)
    params = glm.fit(tol=1e-13, maxiter=200).params
    expected = np.append(params[1:], params[0])
    assert _relative_error(_parameters(model), expected) < 1e-5


def _fisher_weight(family, mu):
    """GLM working weight mu'(z)^2 / Var(y) times the dispersion: Cov = (X'WX)^-1."""
    if family == "poisson":
        return mu
    if family == "gamma":
        return np.full_like(mu, 2.0)  # shape 2: Var = mu^2 / 2
    if family == "tweedie":
        return mu ** (2 - 1.5)  # phi = 1: Var = mu^1.5
    return mu / (1 + 0.5 * mu)  # Var = mu + k mu^2


@pytest.mark.parametrize(
    "family, loss",
    [
        ("poisson", "poisson"),
        ("gamma", "gamma"),
        ("tweedie", "tweedie"),
        ("negative_binomial", NegativeBinomialNLL(dispersion=0.5)),
    ],
    ids=["poisson", "gamma", "tweedie", "negative_binomial"],
)
def test_log_link_regressor_recovers_the_truth_within_sampling_error(family, loss):
    n = 20_000
    X, y = _draw(family, n, seed=6)
    model = LinearRegressor(loss=loss, tol=1e-8).fit(X, y)
    design = np.hstack([X, np.ones((n, 1))])
    mu = np.exp(X @ TRUE_COEF + TRUE_INTERCEPT)
    fisher = design.T @ (design * _fisher_weight(family, mu)[:, None])
    standard_error = np.sqrt(np.diag(np.linalg.inv(fisher)))
    z_scores = (_parameters(model) - np.append(TRUE_COEF, TRUE_INTERCEPT)) / standard_error
    assert np.max(np.abs(z_scores)) < 4.0
    assert np.all(model.predict(X) > 0)


@pytest.mark.parametrize(
    "loss, y_bad, word",
    [
        ("poisson", -1.0, "non-negative"),
        ("tweedie", -0.5, "non-negative"),
        (NegativeBinomialNLL(), -2.0, "non-negative"),
        ("gamma", 0.0, "positive"),
        (TweedieNLL(power=3), 0.0, "positive"),
    ],
    ids=["poisson", "tweedie", "negative_binomial", "gamma", "tweedie-3"],
)
def test_target_outside_the_support_raises_and_keeps_the_previous_fit(loss, y_bad, word):
    X, y = _draw("gamma", 50, seed=7)
    model = LinearRegressor(loss=loss).fit(X, y)
    coef, intercept = model.coef_.copy(), model.intercept_
    bad = y.copy()
    bad[3] = y_bad
    with pytest.raises(ValueError, match=f"needs a {word} target y"):
        model.fit(X, bad)
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.intercept_ == intercept


def test_tweedie_string_means_power_one_and_a_half():
    X, y = _draw("tweedie", 300, seed=8)
    by_name = LinearRegressor(loss="tweedie", **TIGHT).fit(X, y)
    by_object = LinearRegressor(loss=TweedieNLL(power=1.5), **TIGHT).fit(X, y)
    np.testing.assert_array_equal(by_name.coef_, by_object.coef_)
    assert by_name.loss_ == TweedieNLL(power=1.5)


def test_log_link_losses_can_be_grid_searched_with_the_others():
    from sklearn.model_selection import GridSearchCV

    X, y = _draw("poisson", 300, seed=9)
    grid = {"loss": ["squared_error", "poisson", TweedieNLL()], "alpha": [0.0, 0.1]}
    search = GridSearchCV(LinearRegressor(), grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 6


def test_multi_output_counts_fit_each_output_as_its_own_poisson_regression():
    X, y = _draw("poisson", 300, seed=10)
    _, other = _draw("poisson", 300, seed=11)
    both = LinearRegressor(loss="poisson", alpha=0.01, **TIGHT).fit(X, np.c_[y, other])
    for column, target in enumerate([y, other]):
        expected = PoissonRegressor(alpha=0.01, **SK_GLM).fit(X, target)
        assert _relative_error(both.coef_[column], expected.coef_) < 1e-5
        assert abs(both.intercept_[column] - expected.intercept_) < 1e-5
