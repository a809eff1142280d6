"""The built-in losses against independent truths.

Every expected value here comes from somewhere other than the code under
test: a closed-form formula evaluated naively (plain ``math`` or numpy in a
different form), finite differences, or a scipy optimiser.
"""

import contextlib
import itertools
import math
import re
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar
from sklearn.base import clone

from skloss import LinearRegressor
from skloss.losses import (
    AbsoluteError,
    BernoulliLogLoss,
    Huber,
    Identity,
    Loss,
    MultinoulliLogLoss,
    Pinball,
    Sigmoid,
    SigmoidSquaredError,
    Softmax,
    SoftmaxSquaredError,
    SquaredError,
    check_gradient,
)

# ---------------------------------------------------------------------------
# Naive reference formulas, element by element in plain Python floats.
# ---------------------------------------------------------------------------


def _squared(y, z):
    return (y - z) ** 2 / 2


def _absolute(y, z):
    return abs(y - z)


def _pinball(q):
    def f(y, z):
        r = y - z
        return max(q * r, (q - 1) * r)

    return f


def _huber(delta):
    def f(y, z):
        r = y - z
        return r * r / 2 if abs(r) <= delta else delta * (abs(r) - delta / 2)

    return f


def _bernoulli(y, z):
    return math.log(1 + math.exp(z)) - y * z


def _sigmoid_squared(y, z):
    return (1 / (1 + math.exp(-z)) - y) ** 2 / 2


def _multinoulli(label, z):
    return math.log(sum(math.exp(v) for v in z)) - z[label]


def _softmax_squared(label, z):
    total = sum(math.exp(v) for v in z)
    return sum((math.exp(v) / total - (k == label)) ** 2 for k, v in enumerate(z)) / 2


def naive_elementwise(f, y, raw):
    """Per-sample loss: f on every entry, summed over outputs, in a Python loop."""
    return np.array(
        [
            sum(f(float(a), float(b)) for a, b in zip(yr, zr, strict=True))
            for yr, zr in zip(y, raw, strict=True)
        ]
    )


def naive_rowwise(f, labels, raw):
    return np.array(
        [f(int(k), [float(v) for v in row]) for k, row in zip(labels, raw, strict=True)]
    )


def naive_weighted_mean(values, weight):
    return sum(w * v for w, v in zip(weight, values, strict=True)) / sum(weight)


# ---------------------------------------------------------------------------
# Loss catalogue and data.
# ---------------------------------------------------------------------------

REGRESSION = [
    (SquaredError(), _squared),
    (AbsoluteError(), _absolute),
    (Huber(delta=0.7), _huber(0.7)),
    (Huber(delta=2.5), _huber(2.5)),
    (Pinball(quantile=0.1), _pinball(0.1)),
    (Pinball(quantile=0.5), _pinball(0.5)),
    (Pinball(quantile=0.85), _pinball(0.85)),
]
BINARY = [(BernoulliLogLoss(), _bernoulli), (SigmoidSquaredError(), _sigmoid_squared)]
CATEGORICAL = [(MultinoulliLogLoss(), _multinoulli), (SoftmaxSquaredError(), _softmax_squared)]

ALL_LOSSES = [loss for loss, _ in REGRESSION + BINARY + CATEGORICAL]


def _ids(cases):
    return [repr(case[0] if isinstance(case, tuple) else case) for case in cases]


def regression_data(rng, n, k):
    """Targets and raw outputs at least 1e-2 away from the kink raw == y."""
    y = rng.normal(scale=2.0, size=(n, k))
    offset = rng.choice([-1.0, 1.0], size=(n, k)) * rng.uniform(1e-2, 4.0, size=(n, k))
    return y, y + offset


def binary_data(rng, n, k):
    return rng.integers(0, 2, size=(n, k)).astype(float), rng.normal(scale=3.0, size=(n, k))


def categorical_data(rng, n, k):
    labels = rng.integers(0, k, size=n)
    return labels, np.eye(k)[labels], rng.normal(scale=2.0, size=(n, k))


def data_for(loss, rng, n, k):
    """(y, raw) of the right kind for ``loss``; k is n_outputs or the class count."""
    kind = loss.output_unit.target_kind
    if kind == "continuous":
        return regression_data(rng, n, k)
    if kind == "binary":
        return binary_data(rng, n, k)
    _, y, raw = categorical_data(rng, n, k)
    return y, raw


@contextlib.contextmanager
def strict_floating_point():
    """Overflow, division by zero, invalid operations and warnings all raise.

    Underflow is left alone on purpose: exp(-1e6) == 0.0 is the correctly
    rounded result, and numpy reports it as "underflow" (so
    ``np.errstate(all="raise")`` rejects even ``np.exp(-1e6)``).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


# ---------------------------------------------------------------------------
# 1. Per-sample values against naive closed forms.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize(("loss", "formula"), REGRESSION + BINARY, ids=_ids(REGRESSION + BINARY))
def test_per_sample_loss_matches_naive_formula_summed_over_outputs(loss, formula, n_outputs):
    rng = np.random.default_rng(1)
    y, raw = data_for(loss, rng, 40, n_outputs)
    value = loss.loss(y, raw)
    assert value.shape == (40,)
    np.testing.assert_allclose(value, naive_elementwise(formula, y, raw), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize(("loss", "formula"), CATEGORICAL, ids=_ids(CATEGORICAL))
def test_categorical_loss_matches_naive_formula_on_one_hot_targets(loss, formula, n_classes):
    rng = np.random.default_rng(2)
    labels, y, raw = categorical_data(rng, 40, n_classes)
    value = loss.loss(y, raw)
    assert value.shape == (40,)
    np.testing.assert_allclose(value, naive_rowwise(formula, labels, raw), rtol=1e-12, atol=1e-14)


def test_multinoulli_loss_on_probability_rows_is_cross_entropy():
    rng = np.random.default_rng(3)
    y = rng.dirichlet(np.ones(3), size=20)
    raw = rng.normal(size=(20, 3))
    probability = np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True)
    expected = -np.sum(y * np.log(probability), axis=1)
    np.testing.assert_allclose(MultinoulliLogLoss().loss(y, raw), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("loss", "y", "raw", "expected"),
    [
        (SquaredError(), 1.0, 3.0, 2.0),
        (AbsoluteError(), 0.0, -1.5, 1.5),
        (Huber(delta=1.0), 0.0, 0.5, 0.125),
        (Huber(delta=1.0), 0.0, 3.0, 2.5),
        (Huber(delta=2.0), 1.0, -2.0, 4.0),
        (Pinball(quantile=0.9), 0.0, -1.0, 0.9),
        (Pinball(quantile=0.9), 0.0, 1.0, 0.1),
        (BernoulliLogLoss(), 1.0, 0.0, math.log(2.0)),
        (SigmoidSquaredError(), 0.0, 0.0, 0.125),
    ],
    ids=lambda v: repr(v) if isinstance(v, Loss) else None,
)
def test_loss_at_hand_computed_points(loss, y, raw, expected):
    assert loss.loss(np.array([[y]]), np.array([[raw]]))[0] == pytest.approx(expected, rel=1e-15)


# ---------------------------------------------------------------------------
# 2. Gradients against finite differences.
# ---------------------------------------------------------------------------


def _gradient_cases():
    for loss in ALL_LOSSES:
        if loss.output_unit.target_kind == "categorical":
            sizes = [2, 4]
        else:
            sizes = [1, 3]
        for k in sizes:
            for weighted in (False, True):
                yield pytest.param(
                    loss, k, weighted, id=f"{loss!r}-k{k}-{'weighted' if weighted else 'unit'}"
                )


@pytest.mark.parametrize(("loss", "k", "weighted"), list(_gradient_cases()))
def test_gradient_agrees_with_check_gradient_finite_differences(loss, k, weighted):
    rng = np.random.default_rng(4)
    y, raw = data_for(loss, rng, 30, k)
    weight = rng.uniform(0.1, 3.0, size=30) if weighted else None
    assert check_gradient(loss, y, raw, weight) < 1e-5


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=_ids(ALL_LOSSES))
def test_gradient_agrees_with_entrywise_central_differences(loss):
    # Independent of check_gradient: perturb one entry at a time.
    rng = np.random.default_rng(5)
    y, raw = data_for(loss, rng, 6, 3)
    gradient = loss.gradient(y, raw)
    numeric = np.empty_like(raw)
    h = 1e-6
    for i, j in itertools.product(range(raw.shape[0]), range(raw.shape[1])):
        up, down = raw.copy(), raw.copy()
        up[i, j] += h
        down[i, j] -= h
        numeric[i, j] = (loss.loss(y, up)[i] - loss.loss(y, down)[i]) / (2 * h)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("loss", [AbsoluteError(), Pinball(0.2), Pinball(0.9)], ids=repr)
def test_nonsmooth_gradient_at_the_kink_is_the_right_derivative(loss):
    y = np.array([[0.0], [1.5], [-2.0]])
    h = 1e-7
    right = (loss.loss(y, y + h) - loss.loss(y, y)) / h
    np.testing.assert_allclose(loss.gradient(y, y.copy())[:, 0], right, rtol=1e-6)


# (loss, its naive formula, its slope scale, its exact slope off the kink)
SMOOTHED = [
    pytest.param(
        AbsoluteError(), _absolute, 2.0, lambda y, raw: np.sign(raw - y), id="AbsoluteError"
    ),
    *(
        pytest.param(
            Pinball(q),
            _pinball(q),
            1.0,
            lambda y, raw, q=q: np.where(raw > y, 1 - q, -q),
            id=f"Pinball({q})",
        )
        for q in (0.2, 0.5, 0.9)
    ),
]


def _smoothing_data(rng, width, n=40, k=1):
    """Residuals raw - y both inside [0, width] and outside, away from 0 and width."""
    y = rng.normal(size=(n, k))
    inside = width * rng.uniform(0.02, 0.98, size=(n, k))
    above = rng.uniform(width + 1e-3, 3.0, size=(n, k))
    below = -rng.uniform(1e-3, 3.0, size=(n, k))
    choice = rng.integers(0, 3, size=(n, k))
    residual = np.choose(choice, [inside, above, below])
    return y, y + residual


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("width", [0.3, 1e-2])
@pytest.mark.parametrize(("loss", "formula", "scale", "slope"), SMOOTHED)
def test_smoothed_loss_gradient_agrees_with_finite_differences(
    loss, formula, scale, slope, width, k, weighted
):
    rng = np.random.default_rng(6)
    y, raw = _smoothing_data(rng, width, k=k)
    weight = rng.uniform(0.1, 3.0, size=len(y)) if weighted else None
    smooth = loss.smoothed(width)
    assert smooth.is_smooth
    assert check_gradient(smooth, y, raw, weight) < 1e-5


@pytest.mark.parametrize("width", [1.0, 0.1, 1e-3])
@pytest.mark.parametrize(("loss", "formula", "scale", "slope"), SMOOTHED)
def test_smoothed_loss_is_within_scale_times_half_width_of_exact_loss(
    loss, formula, scale, slope, width
):
    y = np.zeros((2001, 1))
    # Dense through the smoothing region and beyond it on both sides.
    raw = np.linspace(-5 * width, 5 * width, 2001)[:, np.newaxis]
    exact = naive_elementwise(formula, y, raw)
    gap = np.abs(loss.smoothed(width).loss(y, raw) - exact)
    assert np.max(gap) <= scale * width / 2 * (1 + 1e-12) + 1e-15


@pytest.mark.parametrize(("loss", "formula", "scale", "slope"), SMOOTHED)
def test_smoothed_loss_and_gradient_converge_to_exact_as_width_shrinks(loss, formula, scale, slope):
    rng = np.random.default_rng(7)
    y = rng.normal(size=(200, 1))
    raw = rng.normal(size=(200, 1))
    exact = naive_elementwise(formula, y, raw)
    widths = 10.0 ** -np.arange(0, 10)
    gaps = [np.max(np.abs(loss.smoothed(w).loss(y, raw) - exact)) for w in widths]
    assert all(
        gap <= scale * w / 2 * (1 + 1e-12) + 1e-15 for gap, w in zip(gaps, widths, strict=True)
    )
    assert all(later <= earlier for earlier, later in itertools.pairwise(gaps))
    assert gaps[-1] <= 1.0001e-9
    # Outside the smoothing region the slope is the exact one.
    for w in widths:
        outside = np.abs(raw - y) > w
        smooth_slope = loss.smoothed(w).gradient(y, raw)
        np.testing.assert_allclose(smooth_slope[outside], slope(y, raw)[outside], rtol=1e-15)


# ---------------------------------------------------------------------------
# 3. check_gradient catches wrong gradients and passes right ones.
# ---------------------------------------------------------------------------


class LogCosh(Loss):
    def loss(self, y, raw):
        r = raw - y
        return np.sum(np.log(np.cosh(r)), axis=1)

    def gradient(self, y, raw):
        return np.tanh(raw - y)


class DoubledGradient(LogCosh):
    def gradient(self, y, raw):
        return 2 * np.tanh(raw - y)


class WrongSign(LogCosh):
    def gradient(self, y, raw):
        return -np.tanh(raw - y)


class OneEntryWrong(LogCosh):
    def gradient(self, y, raw):
        g = np.tanh(raw - y)
        g[3, 0] += 0.01
        return g


class WrongLossGradientValue(LogCosh):
    def loss_gradient(self, y, raw, sample_weight):
        value, gradient = super().loss_gradient(y, raw, sample_weight)
        return value + 1e-3, gradient


class WrongLossGradientGradient(LogCosh):
    # gradient() is right; the shared-work path forgets the weights.
    def loss_gradient(self, y, raw, sample_weight):
        value, _ = super().loss_gradient(y, raw, sample_weight)
        return value, self.gradient(y, raw) / len(y)


class WrongShape(LogCosh):
    def loss(self, y, raw):
        return np.log(np.cosh(raw - y))


def _moderate(rng, n=20, k=2):
    return rng.normal(size=(n, k)), rng.normal(scale=2.0, size=(n, k))


@pytest.mark.parametrize("weighted", [False, True])
def test_check_gradient_passes_a_correct_custom_loss(weighted):
    rng = np.random.default_rng(8)
    y, raw = _moderate(rng)
    weight = rng.uniform(0.1, 3.0, size=len(y)) if weighted else None
    assert check_gradient(LogCosh(), y, raw, weight) < 1e-6


@pytest.mark.parametrize(
    ("loss", "message"),
    [
        (DoubledGradient(), "disagrees with finite differences"),
        (WrongSign(), "disagrees with finite differences"),
        (OneEntryWrong(), "disagrees with finite differences"),
        (WrongLossGradientValue(), "differs from the weighted mean"),
        (WrongLossGradientGradient(), "loss_gradient"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Loss) else "",
)
def test_check_gradient_raises_for_a_wrong_custom_loss(loss, message):
    rng = np.random.default_rng(9)
    y, raw = _moderate(rng)
    weight = rng.uniform(0.5, 2.0, size=len(y))
    with pytest.raises(AssertionError, match=message):
        check_gradient(loss, y, raw, weight)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_check_gradient_reports_a_loss_that_forgets_to_sum_over_outputs(n_outputs):
    # The docstring promises an AssertionError naming the expected shape.
    rng = np.random.default_rng(9)
    y, raw = _moderate(rng, k=n_outputs)
    with pytest.raises(AssertionError, match=re.escape("must return shape (20,)")):
        check_gradient(WrongShape(), y, raw)


# ---------------------------------------------------------------------------
# 4. Numerical stability for huge logits.
# ---------------------------------------------------------------------------

Z_VALUES = [-1e6, -1e3, 0.0, 1e3, 1e6]


def _stable_sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _binary_grid():
    pairs = list(itertools.product([0.0, 1.0], Z_VALUES))
    y = np.array([[a] for a, _ in pairs])
    raw = np.array([[b] for _, b in pairs])
    return y, raw


def _categorical_grid(k=3):
    rows = list(itertools.product(Z_VALUES, repeat=k))
    raw = np.array([row for row in rows for _ in range(k)])
    labels = np.array([label for _ in rows for label in range(k)])
    return labels, np.eye(k)[labels], raw


def _stable_softmax(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    return [v / sum(e) for v in e], m + math.log(sum(e))


@pytest.mark.parametrize(
    ("y", "z", "expected"),
    [
        (1.0, -1e6, 1e6),
        (1.0, 1e6, 0.0),
        (0.0, 1e6, 1e6),
        (0.0, -1e6, 0.0),
        (1.0, -1e3, 1e3),
        (1.0, 0.0, math.log(2.0)),
    ],
)
def test_bernoulli_log_loss_takes_its_asymptotic_value_for_huge_logits(y, z, expected):
    with strict_floating_point():
        value = BernoulliLogLoss().loss(np.array([[y]]), np.array([[z]]))[0]
    # exp(-1e6) is far below the smallest double: the truth rounds to exactly 0.
    assert value == pytest.approx(expected, rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("z", [20.0, 40.0, 300.0])
def test_bernoulli_log_loss_of_a_confident_right_prediction_keeps_relative_precision(z):
    # softplus(-z) = e^-z - e^-2z / 2 + e^-3z / 3 - ...: two terms are exact
    # to double precision for these z.
    truth = math.exp(-z) - math.exp(-2.0 * z) / 2.0
    y, raw = np.array([[1.0], [0.0]]), np.array([[z], [-z]])
    loss = BernoulliLogLoss()
    np.testing.assert_allclose(loss.loss(y, raw), [truth, truth], rtol=1e-14)
    value, _ = loss.loss_gradient(y, raw, np.ones(2))
    assert value == pytest.approx(truth, rel=1e-14)


def test_bernoulli_log_loss_and_gradient_are_exact_and_warning_free_on_huge_logits():
    y, raw = _binary_grid()
    loss = BernoulliLogLoss()
    with strict_floating_point():
        value = loss.loss(y, raw)
        gradient = loss.gradient(y, raw)
        mean, weighted_gradient = loss.loss_gradient(y, raw, np.ones(len(y)))
    truth = [
        max(z, 0.0) - a * z + math.log1p(math.exp(-abs(z)))
        for a, z in zip(y[:, 0], raw[:, 0], strict=True)
    ]
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))
    np.testing.assert_allclose(value, truth, rtol=1e-15, atol=1e-300)
    grad_truth = [[_stable_sigmoid(z) - a] for a, z in zip(y[:, 0], raw[:, 0], strict=True)]
    np.testing.assert_allclose(gradient, grad_truth, rtol=0, atol=1e-300)
    assert mean == pytest.approx(np.mean(truth), rel=1e-15)
    np.testing.assert_allclose(weighted_gradient, np.array(grad_truth) / len(y), atol=1e-300)


def test_multinoulli_log_loss_and_gradient_are_exact_and_warning_free_on_huge_logits():
    labels, y, raw = _categorical_grid()
    loss = MultinoulliLogLoss()
    with strict_floating_point():
        value = loss.loss(y, raw)
        gradient = loss.gradient(y, raw)
        mean, weighted_gradient = loss.loss_gradient(y, raw, np.ones(len(y)))
    truth, grad_truth = [], []
    for label, row in zip(labels, raw, strict=True):
        p, log_normaliser = _stable_softmax(list(row))
        truth.append(log_normaliser - row[label])
        grad_truth.append([pk - (k == label) for k, pk in enumerate(p)])
    # log-sum-exp near 1e6 carries an absolute rounding error of ~1e-10.
    tolerance = 4 * np.finfo(float).eps * np.max(np.abs(raw), axis=1)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))
    assert np.all(np.abs(value - truth) <= tolerance)
    np.testing.assert_allclose(gradient, grad_truth, rtol=0, atol=1e-15)
    assert np.isfinite(mean) and mean == pytest.approx(np.mean(truth), rel=1e-12)
    np.testing.assert_allclose(weighted_gradient, np.array(grad_truth) / len(y), atol=1e-15)
    # Spot checks: confidently wrong costs the logit gap, confidently right costs 0.
    row = np.array([[0.0, 0.0, 1e6]])
    with strict_floating_point():
        assert loss.loss(np.array([[1.0, 0.0, 0.0]]), row)[0] == 1e6
        assert loss.loss(np.array([[0.0, 0.0, 1.0]]), row)[0] <= 1e-300


def test_sigmoid_squared_error_and_gradient_are_finite_and_saturate_on_huge_logits():
    y, raw = _binary_grid()
    loss = SigmoidSquaredError()
    with strict_floating_point():
        value = loss.loss(y, raw)
        gradient = loss.gradient(y, raw)
        mean, weighted_gradient = loss.loss_gradient(y, raw, np.ones(len(y)))
    p = np.array([[_stable_sigmoid(z)] for z in raw[:, 0]])
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))
    assert np.isfinite(mean) and np.all(np.isfinite(weighted_gradient))
    np.testing.assert_allclose(value, 0.5 * (p[:, 0] - y[:, 0]) ** 2, atol=1e-15)
    np.testing.assert_allclose(gradient, (p - y) * p * (1 - p), atol=1e-15)


def test_softmax_squared_error_and_gradient_are_finite_on_huge_logits():
    labels, y, raw = _categorical_grid()
    loss = SoftmaxSquaredError()
    with strict_floating_point():
        value = loss.loss(y, raw)
        gradient = loss.gradient(y, raw)
        mean, weighted_gradient = loss.loss_gradient(y, raw, np.ones(len(y)))
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))
    assert np.isfinite(mean) and np.all(np.isfinite(weighted_gradient))
    truth, grad_truth = [], []
    for label, row in zip(labels, raw, strict=True):
        p, _ = _stable_softmax(list(row))
        r = [pk - (k == label) for k, pk in enumerate(p)]
        truth.append(sum(v * v for v in r) / 2)
        # Jacobian-vector product written out: sum_k r_k (p_k [k == j] - p_k p_j).
        grad_truth.append(
            [sum(r[k] * (p[k] * (k == j) - p[k] * p[j]) for k in range(3)) for j in range(3)]
        )
    np.testing.assert_allclose(value, truth, atol=1e-15)
    np.testing.assert_allclose(gradient, grad_truth, atol=1e-15)


def test_sigmoid_unit_gives_probabilities_on_huge_logits():
    raw = np.array([Z_VALUES, Z_VALUES[::-1]])
    with strict_floating_point():
        p = Sigmoid()(raw)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p, [[_stable_sigmoid(z) for z in row] for row in raw], atol=1e-300)


def test_softmax_unit_gives_probability_rows_on_huge_logits():
    _, _, raw = _categorical_grid()
    with strict_floating_point():
        p = Softmax()(raw)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=4e-16)
    np.testing.assert_allclose(p, [_stable_softmax(list(row))[0] for row in raw], atol=1e-15)


def test_identity_unit_returns_raw_unchanged():
    raw = np.array([[-1e6, 0.5], [3.0, 1e6]])
    np.testing.assert_array_equal(Identity()(raw), raw)


# ---------------------------------------------------------------------------
# 5. init_raw is the best constant.
# ---------------------------------------------------------------------------


def _vector_naive(loss):
    """Vectorised naive per-entry formula, for use inside scipy optimisers."""
    if isinstance(loss, AbsoluteError):
        return lambda y, c: np.abs(y - c)
    if isinstance(loss, Pinball):
        q = loss.quantile
        return lambda y, c: np.maximum(q * (y - c), (q - 1) * (y - c))
    if isinstance(loss, SquaredError):
        return lambda y, c: (y - c) ** 2 / 2
    if isinstance(loss, BernoulliLogLoss):
        return lambda y, c: np.log(1 + np.exp(c)) - y * c
    if isinstance(loss, SigmoidSquaredError):
        return lambda y, c: (1 / (1 + np.exp(-c)) - y) ** 2 / 2
    raise AssertionError(loss)


@pytest.mark.parametrize(
    "loss", [SquaredError(), BernoulliLogLoss(), SigmoidSquaredError()], ids=repr
)
def test_init_raw_of_smooth_loss_minimises_weighted_mean_loss_per_output(loss):
    rng = np.random.default_rng(10)
    if loss.output_unit.target_kind == "binary":
        y = (rng.uniform(size=(80, 2)) < [0.3, 0.8]).astype(float)
    else:
        y = rng.standard_t(3, size=(80, 2)) + [1.0, -4.0]
    weight = rng.uniform(0.1, 3.0, size=80)
    init = loss.init_raw(y, weight)
    assert init.shape == (2,)
    f = _vector_naive(loss)
    for j in range(2):
        best = minimize_scalar(
            lambda c, j=j: np.sum(weight * f(y[:, j], c)) / np.sum(weight),
            bracket=(-3.0, 3.0),
            tol=1e-12,
        )
        assert init[j] == pytest.approx(best.x, abs=1e-5)


@pytest.mark.parametrize(
    "loss", [AbsoluteError(), Pinball(0.1), Pinball(0.5), Pinball(0.77)], ids=repr
)
def test_init_raw_of_pinball_loss_is_no_worse_than_any_constant_on_a_fine_grid(loss):
    rng = np.random.default_rng(11)
    y = rng.exponential(size=(50, 2)) * [1.0, 10.0]
    weight = rng.uniform(0.1, 3.0, size=50)
    init = loss.init_raw(y, weight)
    f = _vector_naive(loss)
    for j in range(2):
        # The data points are the candidate minimisers; add a fine grid between them.
        grid = np.concatenate([y[:, j], np.linspace(y[:, j].min() - 1, y[:, j].max() + 1, 4001)])
        objective = (weight @ f(y[:, j][:, None], grid[None, :])) / weight.sum()
        at_init = weight @ f(y[:, j], init[j]) / weight.sum()
        assert at_init <= objective.min() * (1 + 1e-12)
        # With random weights the minimiser is unique: scipy finds the same point.
        best = minimize_scalar(
            lambda c, j=j: np.sum(weight * f(y[:, j], c)) / np.sum(weight),
            bounds=(y[:, j].min(), y[:, j].max()),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert init[j] == pytest.approx(best.x, abs=1e-6)


def _naive_weighted_median(values, weight):
    """The value with at most half the total weight strictly on either side."""
    half = weight.sum() / 2
    candidates = [
        v for v in values if weight[values < v].sum() <= half and weight[values > v].sum() <= half
    ]
    assert len(candidates) == 1  # random weights: no ties at exactly half
    return candidates[0]


@pytest.mark.parametrize("delta", [0.5, 3.0])
def test_huber_init_raw_is_the_weighted_median(delta):
    # Huber starts from the weighted median: a robust start for the fit, not
    # the Huber minimiser itself (which lies between the mean and the median).
    rng = np.random.default_rng(12)
    y = rng.standard_t(2, size=(61, 3))
    weight = rng.uniform(0.1, 3.0, size=61)
    init = Huber(delta=delta).init_raw(y, weight)
    expected = [_naive_weighted_median(y[:, j], weight) for j in range(3)]
    np.testing.assert_array_equal(init, expected)


@pytest.mark.parametrize(("loss", "formula"), CATEGORICAL, ids=_ids(CATEGORICAL))
def test_softmax_init_raw_gives_weighted_class_frequencies_and_minimises_loss(loss, formula):
    rng = np.random.default_rng(13)
    labels = rng.choice(3, size=90, p=[0.5, 0.3, 0.2])
    y = np.eye(3)[labels]
    weight = rng.uniform(0.1, 3.0, size=90)
    init = loss.init_raw(y, weight)
    frequency = np.array([weight[labels == k].sum() for k in range(3)]) / weight.sum()

    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    np.testing.assert_allclose(softmax(init), frequency, atol=1e-12)
    assert abs(init.sum()) < 1e-12  # centred: softmax ignores a common shift

    def objective(z):
        p = softmax(z)
        if isinstance(loss, MultinoulliLogLoss):
            per_sample = -np.log(p[labels])
        else:
            per_sample = 0.5 * np.sum((p - y) ** 2, axis=1)
        return weight @ per_sample / weight.sum()

    best = minimize(objective, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(softmax(init), softmax(best.x), atol=1e-5)
    assert objective(init) <= best.fun + 1e-12


@pytest.mark.parametrize(
    "loss", [BernoulliLogLoss(), MultinoulliLogLoss(), SoftmaxSquaredError()], ids=repr
)
def test_init_raw_for_a_label_that_never_occurs_is_large_but_finite(loss):
    if loss.output_unit.target_kind == "binary":
        y = np.array([[0.0, 1.0]] * 5)
        p = 1 / (1 + np.exp(-loss.init_raw(y, np.ones(5))))
        assert np.all(np.isfinite(loss.init_raw(y, np.ones(5))))
        assert p[0] < 1e-9 and p[1] > 1 - 1e-9
    else:
        y = np.eye(3)[[0, 1, 0, 1]]
        init = loss.init_raw(y, np.ones(4))
        assert np.all(np.isfinite(init))
        p = np.exp(init) / np.exp(init).sum()
        assert p[2] < 1e-9
        np.testing.assert_allclose(p[:2], 0.5, atol=1e-9)


# ---------------------------------------------------------------------------
# 6. loss_gradient is the weighted mean of loss() and the weighted gradient().
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("loss", [*ALL_LOSSES, LogCosh()], ids=repr)
def test_loss_gradient_is_weighted_mean_of_loss_and_scaled_gradient(loss):
    rng = np.random.default_rng(14)
    k = 4 if loss.output_unit.target_kind == "categorical" else 3
    y, raw = data_for(loss, rng, 25, k)
    weight = rng.uniform(0.0, 5.0, size=25)  # unnormalised
    weight[[2, 7]] = 0.0
    y_before, raw_before, weight_before = y.copy(), raw.copy(), weight.copy()

    value, gradient = loss.loss_gradient(y, raw, weight)

    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(raw, raw_before)
    np.testing.assert_array_equal(weight, weight_before)
    per_sample = loss.loss(y, raw)
    assert isinstance(value, float)
    assert value == pytest.approx(naive_weighted_mean(per_sample, weight), rel=1e-12)
    expected = np.array(
        [w / sum(weight) * g for w, g in zip(weight, loss.gradient(y, raw), strict=True)]
    )
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------
# 7. Parameters, representation, validation and output units.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "params"),
    [
        (Huber(delta=2.0), {"delta": 2.0}),
        (Huber(), {"delta": 1.0}),
        (Pinball(quantile=0.3), {"quantile": 0.3}),
        (Pinball(), {"quantile": 0.5}),
        (SquaredError(), {}),
        (AbsoluteError(), {}),
        (BernoulliLogLoss(), {}),
        (SigmoidSquaredError(), {}),
        (MultinoulliLogLoss(), {}),
        (SoftmaxSquaredError(), {}),
        (LogCosh(), {}),
    ],
    ids=repr,
)
def test_get_params_returns_constructor_arguments(loss, params):
    assert loss.get_params() == params
    assert loss.get_params(deep=False) == params


@pytest.mark.parametrize(
    "loss",
    [
        Huber(delta=2.0),
        Pinball(quantile=0.3),
        SquaredError(),
        AbsoluteError(),
        BernoulliLogLoss(),
        SigmoidSquaredError(),
        MultinoulliLogLoss(),
        SoftmaxSquaredError(),
    ],
    ids=repr,
)
def test_repr_round_trips_to_an_equal_loss(loss):
    namespace = {cls.__name__: cls for cls in map(type, ALL_LOSSES)}
    rebuilt = eval(repr(loss), namespace)
    assert rebuilt == loss and rebuilt is not loss
    assert hash(rebuilt) == hash(loss)


def test_repr_shows_parameters():
    assert repr(Huber(delta=2.0)) == "Huber(delta=2.0)"
    assert repr(Pinball(quantile=0.3)) == "Pinball(quantile=0.3)"
    assert repr(SquaredError()) == "SquaredError()"


def test_equality_and_hash_follow_type_and_parameters():
    assert Huber(delta=2.0) == Huber(delta=2.0)
    assert Huber(delta=2.0) != Huber(delta=1.0)
    assert SquaredError() != AbsoluteError()
    assert BernoulliLogLoss() != SigmoidSquaredError()
    assert Huber() != "Huber(delta=1.0)"
    assert len({Huber(2.0), Huber(2.0), Huber(1.0), Pinball(0.3), Pinball(0.3)}) == 3


def test_set_params_changes_the_loss_and_returns_self():
    loss = Huber(delta=1.0)
    assert loss.set_params(delta=0.5) is loss
    assert loss.get_params() == {"delta": 0.5}
    y, raw = np.zeros((3, 1)), np.array([[0.3], [0.9], [-2.0]])
    np.testing.assert_allclose(loss.loss(y, raw), naive_elementwise(_huber(0.5), y, raw))
    pinball = Pinball().set_params(quantile=0.9)
    np.testing.assert_allclose(pinball.loss(y, raw), naive_elementwise(_pinball(0.9), y, raw))


@pytest.mark.parametrize(
    ("loss", "valid"), [(Huber(), "['delta']"), (Pinball(), "['quantile']"), (SquaredError(), "[]")]
)
def test_set_params_with_unknown_name_raises_listing_valid_names(loss, valid):
    with pytest.raises(ValueError, match=re.escape(f"valid parameters are {valid}")) as info:
        loss.set_params(foo=1.0)
    assert "'foo'" in str(info.value)
    assert loss.get_params() == type(loss)().get_params()


@pytest.mark.parametrize(
    "loss", [Huber(delta=0.5), Pinball(quantile=0.8), AbsoluteError()], ids=repr
)
def test_clone_of_estimator_keeps_an_equal_but_distinct_loss(loss):
    estimator = LinearRegressor(loss=loss)
    cloned = clone(estimator)
    assert cloned.loss == loss
    assert cloned.loss is not loss


def test_estimator_exposes_loss_parameters_for_grid_search():
    estimator = LinearRegressor(loss=Huber(delta=0.5))
    assert estimator.get_params()["loss__delta"] == 0.5
    estimator.set_params(loss__delta=2.0)
    assert estimator.loss == Huber(delta=2.0)


@pytest.mark.parametrize(
    "delta", [-1.0, 0.0, np.nan, np.inf, None, pytest.param("1.0", id="string")]
)
@pytest.mark.parametrize("method", ["loss", "gradient"])
def test_invalid_huber_delta_raises_when_evaluated(delta, method):
    loss = Huber(delta=delta)  # construction is lazy, as sklearn requires
    y = np.zeros((2, 1))
    # ValueError (or TypeError for a wrong type), always with a clear message.
    with pytest.raises((ValueError, TypeError), match="Huber delta must be a positive number"):
        getattr(loss, method)(y, y + 1.0)


@pytest.mark.parametrize(
    "quantile", [1.5, 1.0, 0.0, -0.1, np.nan, None, pytest.param("0.5", id="string")]
)
@pytest.mark.parametrize("method", ["loss", "gradient", "init_raw", "smoothed"])
def test_invalid_pinball_quantile_raises_when_evaluated(quantile, method):
    loss = Pinball(quantile=quantile)
    y = np.zeros((2, 1))
    call = {
        "loss": lambda: loss.loss(y, y + 1.0),
        "gradient": lambda: loss.gradient(y, y + 1.0),
        "init_raw": lambda: loss.init_raw(y, np.ones(2)),
        "smoothed": lambda: loss.smoothed(0.1),
    }[method]
    with pytest.raises((ValueError, TypeError), match="quantile must be a number strictly between"):
        call()


@pytest.mark.parametrize(
    ("loss", "kind", "unit"),
    [
        (SquaredError(), "continuous", Identity),
        (AbsoluteError(), "continuous", Identity),
        (Huber(), "continuous", Identity),
        (Pinball(0.3), "continuous", Identity),
        (BernoulliLogLoss(), "binary", Sigmoid),
        (SigmoidSquaredError(), "binary", Sigmoid),
        (MultinoulliLogLoss(), "categorical", Softmax),
        (SoftmaxSquaredError(), "categorical", Softmax),
        (LogCosh(), "continuous", Identity),
    ],
    ids=repr,
)
def test_output_unit_target_kind_matches_the_loss(loss, kind, unit):
    assert loss.output_unit.target_kind == kind
    assert type(loss.output_unit) is unit


@pytest.mark.parametrize("loss", [SquaredError(), Huber(), BernoulliLogLoss(), LogCosh()], ids=repr)
def test_smooth_loss_refuses_to_be_smoothed(loss):
    assert loss.is_smooth
    with pytest.raises(NotImplementedError, match="is not smooth"):
        loss.smoothed(0.1)
