"""The shared fitting core: objective, gradient, convergence, warm start."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from scipy.optimize import minimize
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from skloss import (
    LinearGaussianRegressor,
    LinearRegressor,
    MedianRegressor,
    SigmoidClassifier,
    SoftmaxClassifier,
)
from skloss._core import column_moments
from skloss._core._objective import LinearObjective, QuadraticObjective
from skloss._core._problem import make_problem
from skloss.losses import BernoulliLogLoss, Huber, Loss, MultinoulliLogLoss, SquaredError

RNG = np.random.default_rng(1)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "loss, make_y",
    [
        (SquaredError(), lambda n: RNG.normal(size=(n, 2))),
        (BernoulliLogLoss(), lambda n: RNG.integers(0, 2, size=(n, 1)).astype(float)),
        (MultinoulliLogLoss(), lambda n: np.eye(3)[RNG.integers(0, 3, size=n)]),
    ],
)
def test_objective_gradient_matches_finite_differences(loss, make_y, fit_intercept, sparse):
    n, d = 40, 4
    # Shifted, badly scaled columns exercise the internal standardisation.
    X = RNG.normal(size=(n, d)) * [1e-2, 1.0, 1e2, 3.0] + [5.0, 0.0, -20.0, 1.0]
    if sparse:
        X = scipy.sparse.csr_matrix(np.where(RNG.random((n, d)) < 0.5, X, 0.0))
    y = make_y(n)
    weight = RNG.uniform(0.5, 2.0, size=n)
    objective = LinearObjective(make_problem(X, y, weight, 0.3, fit_intercept), loss)
    theta = RNG.normal(size=objective.pack(np.zeros((d, y.shape[1])), np.zeros(y.shape[1])).size)
    if not fit_intercept:
        theta[d * y.shape[1] :] = 0.0
    value, gradient = objective.value_and_gradient(theta)
    assert value == pytest.approx(objective.value(theta), rel=1e-12)
    step = 1e-6
    numeric = np.array(
        [
            (objective.value(theta + step * e) - objective.value(theta - step * e)) / (2 * step)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-5)


def test_objective_value_is_the_documented_formula():
    X = RNG.normal(size=(25, 3))
    y = RNG.normal(size=(25, 1))
    weight = RNG.uniform(0, 3, size=25)
    objective = LinearObjective(make_problem(X, y, weight, 0.7, True), SquaredError())
    coef, intercept = RNG.normal(size=(3, 1)), np.array([0.4])
    theta = objective.pack(coef, intercept)
    np.testing.assert_allclose(objective.unpack(theta)[0], coef)
    residual = y[:, 0] - X @ coef[:, 0] - 0.4
    expected = np.sum(weight * residual**2 / 2) / weight.sum() + 0.35 * np.sum(coef**2)
    assert objective.value(theta) == pytest.approx(expected, rel=1e-12)


def test_column_moments_match_numpy_for_dense_and_sparse():
    X = RNG.normal(size=(10_000, 3)) * [1.0, 5.0, 0.0] + [2.0, 0.0, 7.0]
    weight = RNG.uniform(0, 1, size=10_000)
    mean, std = column_moments(X, weight)
    expected_mean = np.average(X, axis=0, weights=weight)
    expected_std = np.sqrt(np.average((X - expected_mean) ** 2, axis=0, weights=weight))
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-10)
    np.testing.assert_allclose(std, expected_std, rtol=1e-8, atol=1e-7)
    sparse_mean, sparse_std = column_moments(scipy.sparse.csr_matrix(X), weight)
    np.testing.assert_allclose(sparse_mean, mean, rtol=1e-12)
    # Sparse moments are E[x^2] - mu^2: a constant column's spread cancels
    # only to rounding level relative to its mean.
    np.testing.assert_allclose(sparse_std, std, rtol=1e-8, atol=1e-7 * np.abs(mean).max())


def test_max_iter_reached_warns_and_leaves_finite_coefficients():
    X, y = load_breast_cancer(return_X_y=True)
    model = SigmoidClassifier(max_iter=2)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model.fit(X, y)
    assert model.n_iter_ <= 2
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))


def test_certified_non_smooth_fit_stops_early_without_warning():
    # One L-BFGS iteration on the widest smoothing is enough for the exact
    # step to find, and prove, the optimum of this small problem.
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        few = MedianRegressor(max_iter=1).fit(X, y)
    many = MedianRegressor(tol=1e-10).fit(X, y)
    assert few.objective_ == pytest.approx(many.objective_, rel=1e-12)


def test_converged_fits_do_not_warn():
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for model in [LinearGaussianRegressor(), MedianRegressor(), LinearRegressor(loss="huber")]:
            model.fit(X, y)


def test_badly_scaled_features_converge_at_default_max_iter_to_the_optimum():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0) * np.logspace(-3, 3, X.shape[1])
    alpha = 1e-2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SigmoidClassifier(alpha=alpha, tol=1e-7).fit(X, y)
    # The independent truth: scikit-learn given all the iterations it needs.
    reference = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=100_000).fit(X, y)

    def objective(coef, intercept):
        z = X @ coef.ravel() + intercept[0]
        return np.mean(np.logaddexp(0, z) - y * z) + 0.5 * alpha * np.sum(coef**2)

    best = objective(reference.coef_, reference.intercept_)
    assert objective(model.coef_, model.intercept_) <= best * (1 + 1e-7)


def test_warm_start_resumes_from_the_previous_solution():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    cold = SigmoidClassifier(alpha=1e-2, tol=1e-8).fit(X, y)
    warm = SigmoidClassifier(alpha=1e-2, tol=1e-8, warm_start=True).fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_ < cold.n_iter_ / 2
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-4, atol=1e-6)


def test_without_intercept_the_intercept_is_zero_and_the_fit_is_least_squares():
    X = RNG.normal(size=(100, 3)) + 2.0
    y = X @ [1.0, 2.0, 3.0] + RNG.normal(size=100)
    model = LinearGaussianRegressor(fit_intercept=False, tol=1e-12).fit(X, y)
    assert model.intercept_ == 0.0
    np.testing.assert_allclose(model.coef_, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-8)


def test_softmax_intercepts_and_coefficients_sum_to_zero_over_classes():
    X = RNG.normal(size=(200, 3))
    y = RNG.integers(0, 4, size=200)
    model = SoftmaxClassifier(alpha=1e-2, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0.0, atol=1e-8)
    np.testing.assert_allclose(model.intercept_.sum(), 0.0, atol=1e-8)


class EpsilonInsensitive(Loss):
    """max(|r| - 1, 0): non-smooth, and its kinks are not at raw == y."""

    is_smooth = False

    def loss(self, y, raw):
        return np.maximum(np.abs(y - raw) - 1.0, 0.0).sum(axis=1)

    def gradient(self, y, raw):
        r = raw - y
        return np.sign(r) * (np.abs(r) > 1.0)

    def smoothed(self, width):
        return SmoothedEpsilonInsensitive(width)


class SmoothedEpsilonInsensitive(Loss):
    def __init__(self, width):
        self.width = width

    def loss(self, y, raw):
        excess = np.abs(y - raw) - 1.0
        quadratic = np.clip(excess, 0.0, self.width)
        return (quadratic**2 / (2 * self.width) + np.maximum(excess - self.width, 0)).sum(1)

    def gradient(self, y, raw):
        r = raw - y
        return np.sign(r) * np.clip((np.abs(r) - 1.0) / self.width, 0.0, 1.0)


def test_non_smooth_fit_without_exact_step_warns_when_iterations_run_out():
    X = RNG.normal(size=(300, 2))
    y = X @ [2.0, -1.0] + RNG.uniform(-3, 3, size=300)
    with pytest.warns(ConvergenceWarning):
        LinearRegressor(loss=EpsilonInsensitive(), max_iter=3).fit(X, y)


def test_custom_non_smooth_loss_is_fitted_by_continuation_alone():
    X = RNG.normal(size=(300, 2))
    y = X @ [2.0, -1.0] + RNG.uniform(-3, 3, size=300)
    model = LinearRegressor(loss=EpsilonInsensitive()).fit(X, y)

    def objective(theta):
        return np.mean(np.maximum(np.abs(y - X @ theta[:2] - theta[2]) - 1.0, 0.0))

    ours = objective(np.append(model.coef_, model.intercept_))
    best = min(
        minimize(objective, RNG.normal(size=3), method="Powell", options={"xtol": 1e-10}).fun
        for _ in range(5)
    )
    assert ours <= best * (1 + 1e-6) + 1e-9


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_quadratic_objective_equals_the_pass_over_X_objective(fit_intercept, sparse):
    X = RNG.normal(size=(300, 5)) * [1.0, 10.0, 0.1, 1.0, 3.0] + [0.0, 5.0, -2.0, 1.0, 0.0]
    if sparse:
        X = scipy.sparse.csr_matrix(np.where(RNG.random(X.shape) < 0.6, X, 0.0))
    y = RNG.normal(size=(300, 2))
    weight = RNG.uniform(0.0, 2.0, size=300)
    passes = LinearObjective(make_problem(X, y, weight, 0.2, fit_intercept), SquaredError())
    moments = QuadraticObjective(make_problem(X, y, weight, 0.2, fit_intercept), SquaredError())
    for _ in range(3):
        coef, intercept = RNG.normal(size=(5, 2)), RNG.normal(size=2)
        if not fit_intercept:
            intercept = np.zeros(2)
        expected = passes.value(passes.pack(coef, intercept))
        theta = moments.pack(coef, intercept)
        np.testing.assert_allclose(moments.unpack(theta)[0], coef, rtol=1e-10, atol=1e-12)
        assert moments.value(theta) == pytest.approx(expected, rel=1e-10)
        # Gradients live in different parametrisations: compare directional
        # derivatives along the same change of (coef, intercept).
        delta_coef, delta_intercept = RNG.normal(size=(5, 2)), RNG.normal(size=2)
        if not fit_intercept:
            delta_intercept = np.zeros(2)
        for objective in (passes, moments):
            start = objective.pack(coef, intercept)
            direction = objective.pack(coef + delta_coef, intercept + delta_intercept) - start
            slope = objective.value_and_gradient(start)[1] @ direction
            numeric = (
                objective.value(start + 1e-6 * direction)
                - objective.value(start - 1e-6 * direction)
            ) / 2e-6
            assert slope == pytest.approx(numeric, rel=1e-6)


def test_wide_data_uses_a_diagonal_preconditioner_with_a_correct_gradient():
    X = scipy.sparse.random(30, 80, density=0.2, format="csr", random_state=3)
    y = RNG.integers(0, 2, size=(30, 1)).astype(float)
    objective = LinearObjective(make_problem(X, y, np.ones(30), 0.1, True), BernoulliLogLoss())
    assert objective.parametrisation.transform.ndim == 1
    theta = RNG.normal(size=81) * 0.1
    gradient = objective.value_and_gradient(theta)[1]
    numeric = np.array(
        [
            (objective.value(theta + 1e-6 * e) - objective.value(theta - 1e-6 * e)) / 2e-6
            for e in np.eye(81)
        ]
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)


def test_squared_error_fit_from_the_gram_matrix_matches_least_squares_in_two_steps():
    X = RNG.normal(size=(2000, 30)) @ RNG.normal(size=(30, 30))  # correlated features
    y = X @ RNG.normal(size=30) + RNG.normal(size=2000)
    model = LinearGaussianRegressor(tol=1e-12).fit(X, y)
    design = np.column_stack([X, np.ones(2000)])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, solution[:-1], rtol=1e-8, atol=1e-10)
    assert model.n_iter_ <= 5


def test_convergence_warning_points_at_the_callers_line():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.warns(ConvergenceWarning) as record:
        SigmoidClassifier(max_iter=2).fit(X, y)
    assert record[0].filename == __file__


def test_fits_run_with_one_blas_thread_and_restore_the_setting():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    seen = []

    class RecordingLoss(BernoulliLogLoss):
        def loss_gradient(self, y, raw, sample_weight):
            seen.append(blas_threads())
            return super().loss_gradient(y, raw, sample_weight)

    before = blas_threads()
    X, y = load_breast_cancer(return_X_y=True)
    SigmoidClassifier(loss=RecordingLoss()).fit(StandardScaler().fit_transform(X), y)
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert blas_threads() == before


def test_subclass_of_squared_error_that_overrides_loss_is_fitted_by_its_own_loss():
    class DoubleSquaredError(SquaredError):
        """(y - z)^2: ridge regression with half the penalty."""

        def loss(self, y, raw):
            return np.sum((raw - y) ** 2, axis=1)

        def gradient(self, y, raw):
            return 2.0 * (raw - y)

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alpha, n = 0.1, len(y)
    model = LinearRegressor(loss=DoubleSquaredError(), alpha=alpha, tol=1e-10).fit(X, y)
    # mean (y - z)^2 + alpha/2 |w|^2 is 2 (mean (y - z)^2 / 2 + alpha/4 |w|^2),
    # Ridge's |y - Xw|^2 + a |w|^2 over 2n with a = n alpha / 2.
    ridge = Ridge(alpha=n * alpha / 2).fit(X, y)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-6)
    assert model.intercept_ == pytest.approx(ridge.intercept_, rel=1e-8)


def test_loss_parameters_are_validated_once_per_fit():
    class CountingHuber(Huber):
        checks = 0

        def validate(self):
            type(self).checks += 1
            return super().validate()

    X, y = load_diabetes(return_X_y=True)
    LinearRegressor(loss=CountingHuber(delta=50.0)).fit(X, y)
    assert CountingHuber.checks == 1


def test_kinked_loss_without_declared_slopes_is_rejected_before_fitting():
    class KinkedWithoutSlopes(Loss):
        is_smooth = False
        kink_at_target = True

        def loss(self, y, raw):
            return np.sum(np.abs(y - raw), axis=1)

        def gradient(self, y, raw):
            return np.sign(raw - y)

        def smoothed(self, width):
            return Huber(delta=width)

    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(TypeError, match="kink_slopes"):
        LinearRegressor(loss=KinkedWithoutSlopes()).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("X_format", ["dense", "csr", "csc"])
@pytest.mark.parametrize("shape", ["duplicated column", "fewer weighted rows than features"])
def test_least_squares_on_dependent_columns_is_the_minimum_norm_solution(shape, X_format, dtype):
    # With a duplicated column, a float32 X once gave coefficients of 1e153
    # and NaN predictions (the jittered Cholesky factor stretched the null
    # direction). The minimiser is not unique: the fit is the one of least
    # norm, which weighted least squares on the centred columns gives in
    # closed form (numpy's lstsq).
    rng = np.random.default_rng(12)
    n, d = 28, 5
    X = rng.normal(size=(n, d))[rng.integers(0, n, size=n)] * 100.0  # repeated rows
    weight = rng.integers(0, 4, size=n).astype(float)
    weight[:3] = 1.0
    if shape == "duplicated column":
        X = np.hstack([X, X[:, :1]])
    else:
        weight[6:] = 0.0  # 6 weighted rows, 5 features and an intercept
    X = X.astype(dtype)
    y = X.astype(float) @ rng.normal(size=X.shape[1]) + rng.standard_t(3.0, size=n)
    fitted_X = {"dense": X, "csr": scipy.sparse.csr_matrix(X), "csc": scipy.sparse.csc_matrix(X)}
    with warnings.catch_warnings():
        # Exactly dependent columns are no limitation: no warning.
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearGaussianRegressor(tol=1e-10).fit(fitted_X[X_format], y, sample_weight=weight)

    X = X.astype(float)
    share = weight / weight.sum()
    mean = share @ X
    root = np.sqrt(share)[:, np.newaxis]
    design, target = (X - mean) * root, (y - share @ y) * root[:, 0]
    coef = np.linalg.lstsq(design, target, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-8 * np.abs(coef).max())
    assert model.intercept_ == pytest.approx(share @ y - mean @ coef, rel=1e-6)


@pytest.mark.parametrize("X_format", ["dense", "csr"])
def test_columns_collinear_below_the_gram_resolution_are_left_out_with_a_warning(X_format):
    # A float32 column -3 times another, each rounded to float32 on its own,
    # is independent of it at 1e-8 only: least squares (numpy's lstsq on
    # the same values) uses coefficients of order 1e8 along that direction
    # and a lower objective, which the Gram matrix cannot resolve in float64.
    # The fit leaves the direction out and says so.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 2))
    X = np.column_stack([x, -3.0 * x[:, 0]]).astype(np.float32)
    y = X.astype(float) @ [1.0, 2.0, 0.0] + rng.normal(size=40)
    design = np.column_stack([X.astype(float), np.ones(40)])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    assert np.abs(solution).max() > 1e6  # the direction is there, at rounding level
    fitted_X = X if X_format == "dense" else scipy.sparse.csr_matrix(X)
    with pytest.warns(ConvergenceWarning, match="dependent to within about 1e-6"):
        model = LinearGaussianRegressor().fit(fitted_X, y)
    # What is left: least squares on the first two columns.
    kept = np.linalg.lstsq(design[:, [0, 1, 3]], y, rcond=None)[0]
    np.testing.assert_allclose(model.predict(fitted_X), design[:, [0, 1, 3]] @ kept, atol=1e-6)
