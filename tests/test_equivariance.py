"""Fits do not depend on the units of y or of X's columns.

Against closed forms, HiGHS's linear programs, and the fit in the original units.
"""

import warnings

import numpy as np
import pytest
from scipy.optimize import linprog, minimize
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning

from skloss import (
    HeteroscedasticRegressor,
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    MixtureDensityRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss.losses import Huber, Pinball

X, Y = load_diabetes(return_X_y=True)
X = X[:200]
Y = Y[:200]


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return model.fit(X, y)


def _least_squares(X, y):
    design = np.column_stack([X, np.ones(len(y))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1], solution[-1]


def _pinball_linear_program(X, y, quantile):
    """Optimal mean pinball loss, by HiGHS: min mean(tau u + (1 - tau) v), X b + c + u - v = y."""
    n, d = X.shape
    cost = np.concatenate(
        [np.zeros(d + 1), np.full(n, quantile / n), np.full(n, (1 - quantile) / n)]
    )
    equality = np.hstack([X, np.ones((n, 1)), np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * (d + 1) + [(0, None)] * (2 * n)
    result = linprog(cost, A_eq=equality, b_eq=y, bounds=bounds, method="highs")
    assert result.status == 0
    return result.fun


def _mean_pinball(X, y, coef, intercept, quantile):
    residual = y - X @ coef - intercept
    return np.mean(np.maximum(quantile * residual, (quantile - 1) * residual))


@pytest.mark.parametrize("exponent", [-100, -31, -6, 0, 6, 31, 100])
def test_squared_error_coefficients_scale_exactly_with_y(exponent):
    units = 10.0**exponent
    model = _fit_quietly(LinearGaussianRegressor(), X, Y * units)
    coef, intercept = _least_squares(X, Y)
    np.testing.assert_allclose(model.coef_ / units, coef, rtol=1e-8)
    assert model.intercept_ / units == pytest.approx(intercept, rel=1e-8)


@pytest.mark.parametrize("exponent", [-150, -50, -16, 0, 15, 50, 150])
@pytest.mark.parametrize("quantile", [0.5, 0.3])
def test_pinball_fits_reach_the_linear_program_optimum_on_every_scale(exponent, quantile):
    units = 10.0**exponent
    model = LinearRegressor(loss=Pinball(quantile)) if quantile != 0.5 else MedianRegressor()
    _fit_quietly(model, X, Y * units)
    ours = _mean_pinball(X, Y, model.coef_ / units, model.intercept_ / units, quantile)
    assert ours == pytest.approx(_pinball_linear_program(X, Y, quantile), rel=1e-9)


@pytest.mark.parametrize("exponent", [-150, -20, 0, 20, 150])
def test_huber_fit_with_delta_in_the_units_of_y_scales_with_y(exponent):
    units = 10.0**exponent
    model = _fit_quietly(LinearRegressor(loss=Huber(delta=20.0 * units), tol=1e-8), X, Y * units)

    def objective(params):
        residual = Y - X @ params[:-1] - params[-1]
        small = np.minimum(np.abs(residual), 20.0)
        return np.mean(small * (0.5 * small - 20.0) + 20.0 * np.abs(residual))

    start = np.append(np.zeros(X.shape[1]), np.median(Y))
    reference = minimize(objective, start, method="BFGS", options={"gtol": 1e-10})
    ours = objective(np.append(model.coef_, model.intercept_) / units)
    assert ours <= reference.fun * (1 + 1e-9)


def test_a_far_outlier_does_not_move_a_median_fit():
    # The absolute loss sees only which side of the fit a sample is on.
    y = Y.copy()
    far = int(np.argmax(y))
    y[far] = 1e3
    near_fit = _fit_quietly(MedianRegressor(alpha=1e-3), X, y)
    y[far] = 1e15
    far_fit = _fit_quietly(MedianRegressor(alpha=1e-3), X, y)
    # The minimiser need not be unique (the absolute loss has flat
    # directions, here along the intercept): the far fit must be a
    # minimiser of the near problem, that is reach its optimal objective.
    y[far] = 1e3

    def objective(model):
        residual = y - X @ model.coef_ - model.intercept_
        return np.mean(np.abs(residual)) + 0.5e-3 * np.sum(model.coef_**2)

    assert objective(far_fit) == pytest.approx(objective(near_fit), rel=1e-12)


def _classification(n_classes):
    X, y = make_classification(
        300, 5, n_informative=3, n_classes=n_classes, flip_y=0.3, random_state=0
    )
    return X, y


# MixtureDensityRegressor is tested on its own data below: its likelihood is
# not convex, and unpenalised on this data it does not converge, so there is
# no one minimiser whose predictions could be compared.
ESTIMATORS_AT_ALPHA_0 = [
    (LinearGaussianRegressor(), "regression"),
    (LinearRegressor(loss=Huber(delta=30.0)), "regression"),
    (MedianRegressor(), "regression"),
    (LinearRegressor(loss=Pinball(0.3)), "regression"),
    (SigmoidClassifier(alpha=0.0), "binary"),
    (SoftmaxClassifier(alpha=0.0), "multiclass"),
    (HeteroscedasticRegressor(alpha=0.0), "regression"),
]


@pytest.mark.parametrize("units", [1e12, 1e-12, 1e13, 1e-13])
@pytest.mark.parametrize(
    "model, task", ESTIMATORS_AT_ALPHA_0, ids=[repr(m) for m, _ in ESTIMATORS_AT_ALPHA_0]
)
def test_unpenalised_predictions_do_not_depend_on_the_units_of_a_column(model, task, units):
    # Without a penalty, rescaling a column rescales its coefficient and
    # leaves the fitted function unchanged.
    if task == "regression":
        X_, y_ = X, Y
    else:
        X_, y_ = _classification(2 if task == "binary" else 3)
    predict = "predict_proba" if task != "regression" else "predict"
    expected = getattr(clone(model).fit(X_, y_), predict)(X_)
    scaled = X_.copy()
    scaled[:, 1] *= units
    predicted = getattr(clone(model).fit(scaled, y_), predict)(scaled)
    np.testing.assert_allclose(predicted, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())


def _two_separated_modes(n=1000):
    """y from two linear modes 20 apart, the upper one more likely as x_0 grows."""
    rng = np.random.default_rng(0)
    X_ = rng.normal(size=(n, 3))
    upper = rng.random(n) < 1 / (1 + np.exp(-X_[:, 0]))
    y_ = np.where(upper, 10 + X_ @ [1.0, 2.0, 0.0], -10 + X_ @ [0.0, -1.0, 1.0])
    return X_, y_ + rng.normal(size=n) * np.where(upper, 1.0, 0.5)


@pytest.mark.parametrize("units", [1e12, 1e-12, 1e13, 1e-13])
def test_unpenalised_mixture_does_not_depend_on_the_units_of_a_column(units):
    # On data whose maximiser is well defined (well-separated modes, enough
    # samples) and from the same deterministic start, the fitted mixture is
    # the same function of x whatever the units of a column: the same
    # predictive mean and log-density. Its objective is flat to rounding
    # near the maximum, which leaves the parameters known to about 1e-7
    # (predictions here agree to 2e-7 of their range).
    X_, y_ = _two_separated_modes()
    model = MixtureDensityRegressor(n_components=2, alpha=0.0, tol=1e-8, random_state=0)
    expected = _fit_quietly(clone(model), X_, y_)
    scaled = X_.copy()
    scaled[:, 1] *= units
    fitted = _fit_quietly(clone(model), scaled, y_)
    assert fitted.objective_ == pytest.approx(expected.objective_, rel=1e-12)
    mean = expected.predict(X_)
    # The predictive mean crosses zero between the modes: compare in y's units.
    np.testing.assert_allclose(fitted.predict(scaled), mean, atol=1e-6 * np.abs(mean).max())
    np.testing.assert_allclose(
        fitted.log_likelihood(scaled, y_), expected.log_likelihood(X_, y_), atol=1e-5
    )
