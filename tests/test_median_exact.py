"""Median and quantile regression reach the exact optimum of their convex program.

``MedianRegressor`` minimises ``sum_i s_i |y_i - z_i| / sum_i s_i + alpha/2 ||w||^2``
and ``LinearRegressor(loss=Pinball(q))`` the same with the pinball loss
``max(q r, (q - 1) r)``. For ``alpha = 0`` these are linear programs, and the
truth is scikit-learn's ``QuantileRegressor(alpha=0, solver="highs")``; LAD
solutions need not be unique, so objective values are compared, not
coefficients. For ``alpha > 0`` (which scikit-learn cannot fit) the truth is
an optimality certificate computed here: KKT multipliers in the
subdifferential, the duality gap they give, and random perturbations.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse
from scipy.optimize import lsq_linear
from sklearn.datasets import load_diabetes, load_linnerud
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import QuantileRegressor
from sklearn.preprocessing import StandardScaler

from skloss import LinearGaussianRegressor, LinearRegressor, MedianRegressor
from skloss.losses import Pinball

OBJECTIVE_RTOL = 1e-6


def _estimator(quantile, **params):
    """skloss model for ``quantile`` and the factor of its loss over the pinball loss."""
    if quantile == 0.5:
        return MedianRegressor(**params), 2.0  # |r| = 2 max(r/2, -r/2)
    return LinearRegressor(loss=Pinball(quantile=quantile), **params), 1.0


def _objective(X, y, coef, intercept, *, quantile, scale, alpha=0.0, sample_weight=None):
    residual = y - X @ coef - intercept
    loss = scale * np.maximum(quantile * residual, (quantile - 1) * residual)
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    return float(np.sum(s * loss) / np.sum(s)) + 0.5 * alpha * float(coef @ coef)


def _fit_without_convergence_warning(model, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return model.fit(X, y, sample_weight=sample_weight)


def _linear_program_optimum(X, y, quantile, *, sample_weight=None, fit_intercept=True):
    """Objective value at scikit-learn's (HiGHS) solution, in skloss's scaling."""
    reference = QuantileRegressor(
        quantile=quantile, alpha=0.0, solver="highs", fit_intercept=fit_intercept
    ).fit(X, y, sample_weight=sample_weight)
    scale = 2.0 if quantile == 0.5 else 1.0
    return _objective(
        X,
        y,
        reference.coef_,
        reference.intercept_,
        quantile=quantile,
        scale=scale,
        sample_weight=sample_weight,
    )


def _assert_matches_linear_program(X, y, quantile, *, sample_weight=None, fit_intercept=True):
    """Fit skloss at its defaults: no warning, and HiGHS's optimal objective value."""
    model, scale = _estimator(quantile, fit_intercept=fit_intercept)
    _fit_without_convergence_warning(model, X, y, sample_weight)
    f_model = _objective(
        X,
        y,
        model.coef_,
        model.intercept_,
        quantile=quantile,
        scale=scale,
        sample_weight=sample_weight,
    )
    f_reference = _linear_program_optimum(
        X, y, quantile, sample_weight=sample_weight, fit_intercept=fit_intercept
    )
    assert abs(f_model - f_reference) <= OBJECTIVE_RTOL * f_reference, (f_model, f_reference)
    # objective_ reports the same number (alpha = 0).
    assert model.objective_ == pytest.approx(f_model, rel=1e-12)
    if not fit_intercept:
        assert model.intercept_ == 0.0
    return model


def _heavy_tailed(noise, n, d, seed):
    """Linear signal with features of mixed scale and offset, plus heavy-tailed noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(rng.uniform(-3, 3, d), rng.uniform(0.3, 5.0, d), size=(n, d))
    coef = rng.normal(size=d)
    if noise == "student_t_df1":
        e = rng.standard_t(1.0, n)
    elif noise == "student_t_df1.5":
        e = rng.standard_t(1.5, n)
    elif noise == "student_t_df2":
        e = rng.standard_t(2.0, n)
    elif noise == "cauchy":
        e = 3.0 * rng.standard_cauchy(n)
    elif noise == "lognormal":
        e = rng.lognormal(0.0, 1.5, n)  # skewed
    else:
        raise ValueError(noise)
    return X, X @ coef + 2.0 + e


# --------------------------------------------------------------------------
# alpha = 0: the linear program, against HiGHS


def test_median_regressor_reaches_the_lad_optimum_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    _assert_matches_linear_program(X, y, 0.5)


@pytest.mark.parametrize("target", [0, 1, 2])
def test_median_regressor_reaches_the_lad_optimum_on_each_linnerud_target(target):
    X, Y = load_linnerud(return_X_y=True)
    _assert_matches_linear_program(X, Y[:, target], 0.5)


def test_multi_output_median_regressor_solves_each_target_program():
    """The loss sums over outputs: one joint fit is three independent LADs."""
    X, Y = load_linnerud(return_X_y=True)
    joint = _fit_without_convergence_warning(MedianRegressor(), X, Y)
    total = 0.0
    for j in range(Y.shape[1]):
        f_joint = _objective(
            X, Y[:, j], joint.coef_[j], joint.intercept_[j], quantile=0.5, scale=2.0
        )
        f_reference = _linear_program_optimum(X, Y[:, j], 0.5)
        assert abs(f_joint - f_reference) <= OBJECTIVE_RTOL * f_reference
        total += f_joint
    assert joint.objective_ == pytest.approx(total, rel=1e-12)


HEAVY_TAILED = [
    ("student_t_df1", 200, 1),
    ("student_t_df1", 5000, 3),
    ("student_t_df1.5", 1000, 5),
    ("student_t_df2", 2000, 10),
    ("cauchy", 5000, 20),
    ("lognormal", 3000, 8),
    ("lognormal", 400, 2),
]


@pytest.mark.parametrize(
    "noise, n, d", HEAVY_TAILED, ids=[f"{noise}-n{n}-d{d}" for noise, n, d in HEAVY_TAILED]
)
def test_median_regressor_reaches_the_lad_optimum_under_heavy_tailed_noise(noise, n, d):
    X, y = _heavy_tailed(noise, n, d, seed=n + d)
    _assert_matches_linear_program(X, y, 0.5)


QUANTILE_DATA = {
    "diabetes": lambda: load_diabetes(return_X_y=True),
    "lognormal-n1500-d6": lambda: _heavy_tailed("lognormal", 1500, 6, seed=11),
    "student_t_df1.5-n800-d12": lambda: _heavy_tailed("student_t_df1.5", 800, 12, seed=12),
}


@pytest.mark.parametrize("dataset", list(QUANTILE_DATA))
@pytest.mark.parametrize("quantile", [0.1, 0.25, 0.9])
def test_pinball_loss_reaches_the_quantile_regression_optimum(quantile, dataset):
    X, y = QUANTILE_DATA[dataset]()
    _assert_matches_linear_program(X, y, quantile)


@pytest.mark.parametrize("quantile", [0.5, 0.25, 0.9])
@pytest.mark.parametrize("dataset", ["diabetes", "lognormal-n1500-d6"])
def test_weighted_fit_reaches_the_weighted_linear_program_optimum(quantile, dataset):
    X, y = QUANTILE_DATA[dataset]()
    s = np.random.default_rng(13).uniform(0.05, 5.0, len(y))
    _assert_matches_linear_program(X, y, quantile, sample_weight=s)


@pytest.mark.parametrize("quantile", [0.5, 0.25])
@pytest.mark.parametrize("dataset", ["diabetes", "lognormal-n1500-d6"])
def test_fit_without_intercept_reaches_the_linear_program_optimum(quantile, dataset):
    X, y = QUANTILE_DATA[dataset]()
    _assert_matches_linear_program(X, y, quantile, fit_intercept=False)


# --------------------------------------------------------------------------
# alpha > 0: a certificate of optimality computed in the test
#
# With w = s / sum(s) and c the loss's factor over the pinball loss,
# c max(q r, (q - 1) r) = max over v in [c (q - 1), c q] of v r, so for every
# such v the Lagrangian  sum_i w_i v_i (y_i - x_i coef - b) + alpha/2 |coef|^2
# is below the objective P. Its minimum over (coef, b) is the dual function
#     D(v) = sum_i w_i v_i y_i - |X^T (w v)|^2 / (2 alpha),  if sum_i w_i v_i = 0
# (the constraint only with an intercept), so P(coef, b) - D(v) bounds how far
# (coef, b) is from the optimum. (coef, b) is optimal iff some v makes the
# gradient of the Lagrangian vanish (KKT): v_i = c q where r_i > 0,
# c (q - 1) where r_i < 0, anything in the box where r_i = 0.


def _certificate(X, y, coef, intercept, *, quantile, scale, alpha, sample_weight, kink_rtol=1e-9):
    """KKT multipliers for (coef, intercept), the stationarity defect, and the duality gap.

    The gap is a valid bound only when the defect is zero (the multipliers
    are then dual feasible); callers check the defect first.
    """
    n = X.shape[0]
    w = sample_weight / np.sum(sample_weight)
    residual = y - X @ coef - intercept
    kinks = np.abs(residual) <= kink_rtol * np.sum(w * np.abs(residual))
    low, high = scale * (quantile - 1), scale * quantile
    v = np.where(residual > 0, high, low)
    A = np.hstack([X, np.ones((n, 1))])  # columns: features, then intercept
    penalty = np.append(alpha * coef, 0.0)
    # Per-column size of the gradient terms, to make the defect relative.
    size = scale * max(quantile, 1 - quantile) * (np.abs(A).T @ w) + np.abs(penalty)
    # Stationarity: A^T (w v) = penalty, solved for the kink multipliers in the box.
    target = (penalty - A[~kinks].T @ (w[~kinks] * v[~kinks])) / size
    if kinks.any():
        system = (A[kinks] * w[kinks, np.newaxis]).T / size[:, np.newaxis]
        v[kinks] = lsq_linear(system, target, bounds=(low, high), method="bvls", tol=1e-15).x
    defect = (A.T @ (w * v) - penalty) / size
    primal = _objective(
        X, y, coef, intercept, quantile=quantile, scale=scale, alpha=alpha, sample_weight=w
    )
    correlation = X.T @ (w * v)
    dual = float(np.sum(w * v * y) - correlation @ correlation / (2 * alpha))
    return {
        "defect": float(np.max(np.abs(defect))),  # includes the intercept row sum(w v) = 0
        "gap": (primal - dual) / primal,
        "n_kinks": int(kinks.sum()),
        "primal": primal,
    }


def _diabetes(standardised):
    X, y = load_diabetes(return_X_y=True)
    return (StandardScaler().fit_transform(X) if standardised else X), y


@pytest.mark.parametrize("alpha", [1e-3, 1e-1, 10.0, 1000.0])
@pytest.mark.parametrize("standardised", [False, True], ids=["raw", "standardised"])
@pytest.mark.parametrize("quantile", [0.5, 0.1, 0.9])
def test_penalised_fit_satisfies_the_kkt_conditions_with_zero_duality_gap(
    quantile, standardised, alpha
):
    """Random positive weights: the optimum must sit on kinks, so the exact step applies.

    (With unit weights and an even n the median optimum can have no zero
    residual at all; then only the smoothed stage's gradient tolerance applies.)
    """
    X, y = _diabetes(standardised)
    s = np.random.default_rng(14).uniform(0.1, 3.0, len(y))
    model, scale = _estimator(quantile, alpha=alpha)
    _fit_without_convergence_warning(model, X, y, s)
    certificate = _certificate(
        X,
        y,
        model.coef_,
        model.intercept_,
        quantile=quantile,
        scale=scale,
        alpha=alpha,
        sample_weight=s,
    )
    assert certificate["defect"] <= 1e-9, certificate
    assert abs(certificate["gap"]) <= 1e-9, certificate
    assert model.objective_ == pytest.approx(certificate["primal"], rel=1e-12)


@pytest.mark.parametrize(
    "noise, n, d, quantile, alpha",
    [
        ("cauchy", 1001, 5, 0.5, 1e-2),
        ("student_t_df1.5", 2001, 10, 0.5, 1.0),
        ("lognormal", 1501, 4, 0.9, 1e-1),
        ("student_t_df2", 999, 8, 0.25, 10.0),
    ],
)
def test_penalised_fit_under_heavy_tailed_noise_is_certified_optimal(noise, n, d, quantile, alpha):
    """Continuous y, unit weights, n q not an integer: the optimum has a zero residual."""
    X, y = _heavy_tailed(noise, n, d, seed=n)
    _assert_fit_is_certified_optimal(X, y, quantile, alpha)


def _assert_fit_is_certified_optimal(X, y, quantile, alpha):
    """Fit with unit weights: no warning, zero KKT defect and duality gap."""
    model, scale = _estimator(quantile, alpha=alpha)
    _fit_without_convergence_warning(model, X, y)
    certificate = _certificate(
        X,
        y,
        model.coef_,
        model.intercept_,
        quantile=quantile,
        scale=scale,
        alpha=alpha,
        sample_weight=np.ones(len(y)),
    )
    assert certificate["defect"] <= 1e-9, certificate
    assert abs(certificate["gap"]) <= 1e-9, certificate


def test_heavily_penalised_median_of_tied_integer_targets_is_certified_optimal():
    """Count data, and a penalty that shrinks the slopes to about 1e-7.

    Many samples share a target value, so at the optimum their residuals
    differ by less than the last smoothing width; exactly one of them is the
    kink the optimum sits on.
    """
    rng = np.random.default_rng(0)
    n = 301
    X = rng.standard_normal((n, 3))
    y = rng.poisson(np.exp(1.5 + 0.3 * X[:, 0])).astype(float)
    alpha = 1e6
    model = _fit_without_convergence_warning(MedianRegressor(alpha=alpha), X, y)
    certificate = _certificate(
        X,
        y,
        model.coef_,
        model.intercept_,
        quantile=0.5,
        scale=2.0,
        alpha=alpha,
        sample_weight=np.ones(n),
    )
    assert certificate["defect"] <= 1e-9, certificate
    assert abs(certificate["gap"]) <= 1e-9, certificate


def test_certificate_rejects_a_slightly_wrong_solution():
    """The KKT check is falsifiable: a 1e-6 relative nudge off the optimum fails it."""
    X, y = _heavy_tailed("cauchy", 1001, 5, seed=1001)
    model, scale = _estimator(0.5, alpha=1e-2)
    model.fit(X, y)
    common = {"quantile": 0.5, "scale": scale, "alpha": 1e-2, "sample_weight": np.ones(len(y))}
    exact = _certificate(X, y, model.coef_, model.intercept_, **common)
    assert exact["defect"] <= 1e-9
    rng = np.random.default_rng(15)
    nudged_coef = model.coef_ * (1 + 1e-6 * rng.standard_normal(model.coef_.shape))
    nudged = _certificate(X, y, nudged_coef, model.intercept_, **common)
    assert nudged["defect"] > 1e-7
    # ... and its objective is higher, as the (exact) optimum demands.
    assert nudged["primal"] > exact["primal"]


@pytest.mark.parametrize("alpha", [1e-3, 1e-1, 10.0, 1000.0])
@pytest.mark.parametrize("standardised", [False, True], ids=["raw", "standardised"])
@pytest.mark.parametrize("quantile", [0.5, 0.9])
def test_penalised_fit_is_not_improved_by_random_perturbations(quantile, standardised, alpha):
    """Unit weights (even n: the median optimum may avoid the kinks)."""
    X, y = _diabetes(standardised)
    model, scale = _estimator(quantile, alpha=alpha)
    _fit_without_convergence_warning(model, X, y)
    common = {"quantile": quantile, "scale": scale, "alpha": alpha}
    best = _objective(X, y, model.coef_, model.intercept_, **common)

    rng = np.random.default_rng(16)
    # Steps in the units of each parameter's effect on the output.
    unit = np.append(np.std(y) / np.std(X, axis=0), np.std(y))
    theta = np.append(model.coef_, model.intercept_)
    n_params = theta.size
    directions = np.vstack(
        [rng.standard_normal((200, n_params)), np.eye(n_params), -np.eye(n_params)]
    )
    lowest = np.inf
    for step in [1e-2, 1e-4, 1e-6, 1e-8]:
        for direction in directions:
            candidate = theta + step * direction * unit
            lowest = min(lowest, _objective(X, y, candidate[:-1], candidate[-1], **common))
    assert lowest >= best * (1 - 1e-10), (best - lowest) / best


# --------------------------------------------------------------------------
# The conditional median, not the mean, is learned


@pytest.mark.parametrize("sigma", [0.5, 1.0])
def test_median_regressor_learns_the_conditional_median_of_skewed_noise(sigma):
    """y = x beta + (lognormal(0, sigma) - 1): median noise 0, mean exp(sigma^2/2) - 1."""
    n = 20_000
    rng = np.random.default_rng(17)
    X = rng.standard_normal((n, 3)) * [1.0, 2.0, 0.5]
    beta = np.array([1.5, -0.7, 3.0])
    y = X @ beta + (rng.lognormal(0.0, sigma, n) - 1.0)

    median = _fit_without_convergence_warning(MedianRegressor(), X, y)
    mean = LinearGaussianRegressor().fit(X, y)

    # Sampling standard errors: the median's intercept 1 / (2 f(0) sqrt(n)) with
    # f(0) = 1 / (sigma sqrt(2 pi)) the noise density at its median; the mean's
    # sqrt(var / n) with var = (exp(sigma^2) - 1) exp(sigma^2).
    se_median = sigma * np.sqrt(2 * np.pi) / (2 * np.sqrt(n))
    se_mean = np.sqrt((np.exp(sigma**2) - 1) * np.exp(sigma**2) / n)
    mean_minus_median = np.exp(sigma**2 / 2) - 1

    assert abs(median.intercept_) < 5 * se_median
    assert abs(mean.intercept_ - mean_minus_median) < 5 * se_mean
    # The two are distinguishable at this n: each is far from the other's target.
    assert abs(median.intercept_ - mean_minus_median) > 10 * se_median
    # Both recover the slopes (the noise is independent of x).
    np.testing.assert_allclose(median.coef_, beta, atol=5 * se_median / 0.5)
    np.testing.assert_allclose(mean.coef_, beta, atol=5 * se_mean / 0.5)


# --------------------------------------------------------------------------
# Screening: late smoothing stages and the exact finish run on the samples
# near their kinks only (skloss._screening); the answer must not change.


@pytest.fixture
def screened_objectives(monkeypatch):
    """Records every ScreenedObjective the fits build, and whether far samples came near."""
    import skloss._core._nonsmooth._continuation as continuation
    from skloss._core._nonsmooth._screening import ScreenedObjective

    record = {"built": 0, "came_near": 0}

    class Recording(ScreenedObjective):
        def __init__(self, *args):
            super().__init__(*args)
            record["built"] += 1

        def came_near(self, raw, width):
            result = super().came_near(raw, width)
            record["came_near"] += int(result.sum())
            return result

    monkeypatch.setattr(continuation, "ScreenedObjective", Recording)
    return record


def test_lad_fit_that_screens_reaches_the_lad_optimum(screened_objectives):
    X, y = _heavy_tailed("student_t_df1.5", 5000, 3, seed=21)
    _assert_matches_linear_program(X, y, 0.5)
    assert screened_objectives["built"] > 0


@pytest.mark.parametrize("quantile", [0.5, 0.8])
def test_penalised_fit_of_many_samples_that_screens_is_certified_optimal(
    screened_objectives, quantile
):
    X, y = _heavy_tailed("student_t_df1.5", 20_000, 4, seed=22)
    _assert_fit_is_certified_optimal(X, y, quantile, alpha=1e-3)
    assert screened_objectives["built"] > 0


def test_screening_recovers_when_far_samples_come_near(screened_objectives, monkeypatch):
    import skloss._core._nonsmooth._screening as screening

    # Keep only the minimum number of samples near: the others must then
    # come near during the stages, and the fit has to take them back in.
    monkeypatch.setattr(screening, "_NEAR_WIDTHS", 0.0)
    monkeypatch.setattr(screening, "_MAX_NEAR_SHARE", 1.0)
    X, y = _heavy_tailed("lognormal", 2000, 3, seed=23)
    _assert_matches_linear_program(X, y, 0.5)
    assert screened_objectives["came_near"] > 0


@pytest.mark.parametrize("variant", ["weighted", "no-intercept", "csr", "two-outputs"])
def test_fits_that_screen_stay_exact_with_weights_sparse_x_and_several_outputs(
    screened_objectives, variant
):
    X, y = _heavy_tailed("student_t_df1.5", 4000, 3, seed=24)
    if variant == "two-outputs":
        # Either output near its kink keeps a sample near: screening needs
        # more samples to engage. HiGHS would take minutes here; with a small
        # penalty each output's program is certified on its own instead.
        X, y = _heavy_tailed("student_t_df1.5", 20_000, 3, seed=24)
        _, y_2 = _heavy_tailed("lognormal", 20_000, 3, seed=25)
        Y = np.column_stack([y, y_2])
        joint = _fit_without_convergence_warning(MedianRegressor(alpha=1e-3), X, Y)
        for j in range(2):
            certificate = _certificate(
                X,
                Y[:, j],
                joint.coef_[j],
                joint.intercept_[j],
                quantile=0.5,
                scale=2.0,
                alpha=1e-3,
                sample_weight=np.ones(len(y)),
            )
            assert certificate["defect"] <= 1e-9, certificate
            assert abs(certificate["gap"]) <= 1e-9, certificate
    elif variant == "csr":
        X_sparse = scipy.sparse.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
        model = _fit_without_convergence_warning(MedianRegressor(), X_sparse, y)
        dense = X_sparse.toarray()
        f_model = _objective(dense, y, model.coef_, model.intercept_, quantile=0.5, scale=2.0)
        f_reference = _linear_program_optimum(dense, y, 0.5)
        assert abs(f_model - f_reference) <= OBJECTIVE_RTOL * f_reference
    elif variant == "weighted":
        weight = np.random.default_rng(26).uniform(0.0, 3.0, len(y))
        _assert_matches_linear_program(X, y, 0.5, sample_weight=weight)
    else:
        _assert_matches_linear_program(X, y, 0.5, fit_intercept=False)
    assert screened_objectives["built"] > 0


@pytest.mark.parametrize("quantile", [0.5, 0.3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("exponent", [20, 30, 39])
def test_penalised_fit_to_a_target_in_huge_units_is_certified_optimal(quantile, dtype, exponent):
    # In the target's units the penalty is huge: coefficients of order one
    # next to an intercept of order 10**exponent, which the KKT solves of
    # the exact finish once got wrong by a factor 1e8, and certified.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = (X @ [1.0, 2.0, 3.0] + rng.standard_t(3.0, size=30)) * 10.0**exponent
    X = X.astype(dtype).astype(float)
    model, scale = _estimator(quantile, alpha=1e-3)
    _fit_without_convergence_warning(model, X.astype(dtype), y)
    certificate = _certificate(
        X,
        y,
        model.coef_,
        model.intercept_,
        quantile=quantile,
        scale=scale,
        alpha=1e-3,
        sample_weight=np.ones(len(y)),
    )
    # float32 X: the exact finish's products X^T g are float32 sums.
    tolerance = 1e-9 if dtype == np.float64 else 1e-6
    assert certificate["defect"] <= tolerance, certificate
    assert abs(certificate["gap"]) <= tolerance, certificate
