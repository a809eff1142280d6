"""Whitening X midway through a fit when L-BFGS progresses slowly (skloss._core._late_whitening)."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skloss import SigmoidClassifier
from skloss._core import _late_whitening
from skloss._core._late_whitening import is_slow, watch_budget
from skloss._core._objective import LinearObjective
from skloss._core._parametrisation import general_parametrisation, whitened_parametrisation
from skloss._core._problem import make_problem
from skloss.losses import BernoulliLogLoss, MultinoulliLogLoss

RNG = np.random.default_rng(5)
# 2,000 x 300: whitening costs about 9 evaluations by the cost model, too
# dear to do up front (more than 4), so fits start in diagonal coordinates.
N_SAMPLES, N_FEATURES = 2000, 300


def _correlated_classification(n_classes=2):
    shape = {"n_samples": N_SAMPLES, "n_features": N_FEATURES}
    X, y = make_classification(**shape, n_informative=30, n_classes=n_classes, random_state=0)
    # Mixing the features correlates them: column scales cannot undo that.
    noise = RNG.normal(size=(N_FEATURES, N_FEATURES))
    mixing = np.eye(N_FEATURES) + 0.9 * noise / np.sqrt(N_FEATURES)
    return X @ mixing, y


def _coef_and_intercept_gradient(parametrisation, theta_gradient):
    """The gradient in ``(W, b)`` from the one in ``theta`` (inverting the chain rule)."""
    n_features, n_outputs = parametrisation.n_features, parametrisation.n_outputs
    intercept_gradient = theta_gradient[n_features * n_outputs :]
    coordinates_gradient = theta_gradient[: n_features * n_outputs].reshape(n_features, n_outputs)
    transform = parametrisation.transform
    if transform.ndim == 1:
        coef_gradient = coordinates_gradient / transform[:, np.newaxis]
    else:
        coef_gradient = np.linalg.solve(transform.T, coordinates_gradient)
    coef_gradient += np.outer(parametrisation.shift, intercept_gradient)
    return coef_gradient, intercept_gradient


@pytest.mark.parametrize("n_classes", [2, 3])
def test_switching_coordinates_keeps_the_point_its_objective_and_gradient(n_classes):
    X, labels = _correlated_classification(n_classes)
    y = labels[:, None].astype(float) if n_classes == 2 else np.eye(n_classes)[labels]
    loss = BernoulliLogLoss() if n_classes == 2 else MultinoulliLogLoss()
    problem = make_problem(X, y, RNG.uniform(0.5, 2.0, N_SAMPLES), 1e-3, True)
    diagonal = LinearObjective(problem, loss)
    assert diagonal.parametrisation.transform.ndim == 1
    whitened = LinearObjective(problem, loss, whitened_parametrisation(problem))
    theta = RNG.normal(scale=0.05, size=(N_FEATURES + 1) * y.shape[1])

    mapped = whitened.pack(*diagonal.unpack(theta))
    for before, after in zip(diagonal.unpack(theta), whitened.unpack(mapped), strict=True):
        np.testing.assert_allclose(after, before, rtol=1e-10, atol=1e-12)
    value, gradient = diagonal.value_and_gradient(theta)
    mapped_value, mapped_gradient = whitened.value_and_gradient(mapped)
    assert mapped_value == pytest.approx(value, rel=1e-12)
    for before, after in zip(
        _coef_and_intercept_gradient(diagonal.parametrisation, gradient),
        _coef_and_intercept_gradient(whitened.parametrisation, mapped_gradient),
        strict=True,
    ):
        np.testing.assert_allclose(after, before, rtol=1e-8, atol=1e-12)


def test_a_slow_fit_on_correlated_features_whitens_and_reaches_the_optimum(monkeypatch):
    X, y = _correlated_classification()
    switches = []
    original = _late_whitening.whitened_parametrisation
    monkeypatch.setattr(
        _late_whitening,
        "whitened_parametrisation",
        lambda problem: switches.append(problem) or original(problem),
    )
    alpha = 1e-3
    model = SigmoidClassifier(alpha=alpha, tol=1e-7, max_iter=300).fit(X, y)
    assert len(switches) == 1
    # Without the switch this fit takes about 1,500 iterations.
    assert model.n_iter_ < 100
    # Newton's method does not care how the features are correlated.
    reference = LogisticRegression(
        C=1.0 / (alpha * N_SAMPLES), solver="newton-cholesky", tol=1e-10
    ).fit(X, y)

    def objective(coef, intercept):
        z = X @ coef.ravel() + intercept[0]
        return np.mean(np.logaddexp(0.0, z) - y * z) + alpha / 2 * coef.ravel() @ coef.ravel()

    optimum = objective(reference.coef_, reference.intercept_)
    assert objective(model.coef_, model.intercept_) == pytest.approx(optimum, rel=1e-9)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)


def test_a_fit_that_progresses_well_is_left_alone(monkeypatch):
    # Independent features: L-BFGS needs no whitening.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    y = (X[:, :10].sum(axis=1) + rng.logistic(size=N_SAMPLES) > 0).astype(int)
    watched = SigmoidClassifier(alpha=1e-3, tol=1e-6).fit(X, y)
    monkeypatch.setattr(_late_whitening, "watch_budget", lambda objective: None)
    unwatched = SigmoidClassifier(alpha=1e-3, tol=1e-6).fit(X, y)
    # Judged (every 10 iterations) and found fast.
    assert watched.n_iter_ == unwatched.n_iter_ > 10
    np.testing.assert_array_equal(watched.coef_, unwatched.coef_)


def test_only_diagonal_coordinates_of_dear_whitening_are_watched():
    X, y = _correlated_classification()
    problem = make_problem(X, y[:, None].astype(float), np.ones(N_SAMPLES), 1e-3, True)
    assert watch_budget(LinearObjective(problem, BernoulliLogLoss())) == 10
    whitened = whitened_parametrisation(problem)
    assert watch_budget(LinearObjective(problem, BernoulliLogLoss(), whitened)) is None
    # Cheap whitening is done up front; bounds keep the diagonal coordinates.
    small = make_problem(X[:200, :20], y[:200, None].astype(float), np.ones(200), 1e-3, True)
    assert general_parametrisation(small).transform.ndim == 2
    bounds = (np.zeros((N_FEATURES, 1)), None)
    bounded = make_problem(
        X, y[:, None].astype(float), np.ones(N_SAMPLES), 1e-3, True, None, bounds
    )
    assert watch_budget(LinearObjective(bounded, BernoulliLogLoss())) is None


def test_slow_means_the_gradient_rate_needs_more_iterations_than_whitening_costs():
    # A tenfold fall in 10 iterations needs 30 more to go three decades further.
    assert is_slow(1.0, 0.1, 10, 1e-4, cost=20)
    assert not is_slow(1.0, 0.1, 10, 1e-4, cost=40)
    assert is_slow(1.0, 1.0, 10, 1e-4, cost=1000)  # no progress at all
    assert not is_slow(1.0, 1e-5, 10, 1e-4, cost=1)  # the gradient test is met


def test_no_whitening_when_no_iterations_are_left():
    def stalled(theta):
        return 1.0, np.ones_like(theta)

    theta = np.zeros(3)
    for max_iter, expected in ((3, [False, True]), (2, [False, False])):
        watch = _late_whitening._ProgressWatch(stalled, 2, 1e-4, max_iter)
        watch.evaluate(theta)
        assert [watch.interrupt(theta, stalled(theta)[1]) for _ in range(2)] == expected
