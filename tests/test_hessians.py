"""Loss.hessian of the built-in losses against finite differences of their gradients."""

import numpy as np
import pytest

from skloss.losses import (
    AbsoluteError,
    BernoulliLogLoss,
    GammaNLL,
    GaussianNLL,
    Huber,
    Loss,
    MultinoulliLogLoss,
    NegativeBinomialNLL,
    PoissonNLL,
    SigmoidSquaredError,
    SoftmaxSquaredError,
    SquaredError,
    TweedieNLL,
)


def _finite_difference_hessian(loss, y, raw, step=1e-6):
    """Central differences of ``loss.gradient``, one raw column at a time."""
    n_samples, n_outputs = raw.shape
    hessian = np.empty((n_samples, n_outputs, n_outputs))
    for j in range(n_outputs):
        up, down = raw.copy(), raw.copy()
        up[:, j] += step
        down[:, j] -= step
        hessian[:, :, j] = (loss.gradient(y, up) - loss.gradient(y, down)) / (2 * step)
    return hessian


def _continuous(rng, n, m):
    return rng.normal(scale=2.0, size=(n, m))


def _binary(rng, n, m):
    return rng.integers(0, 2, size=(n, m)).astype(float)


def _one_hot(rng, n, m):
    return np.eye(m)[rng.integers(0, m, size=n)]


def _positive(rng, n, m):
    return rng.gamma(2.0, size=(n, m))


def _gaussian_target(rng, n, m):
    y = rng.normal(scale=2.0, size=(n, m // 2))
    return np.hstack([y, y])


CASES = [
    (SquaredError(), 2, _continuous),
    (Huber(delta=0.7), 3, _continuous),
    (BernoulliLogLoss(), 2, _binary),
    (SigmoidSquaredError(), 2, _binary),
    (MultinoulliLogLoss(), 4, _one_hot),
    (SoftmaxSquaredError(), 4, _one_hot),
    (GaussianNLL(), 2, _gaussian_target),
    (GaussianNLL(reg_variance=0.3), 4, _gaussian_target),
    (PoissonNLL(), 2, _positive),
    (GammaNLL(), 2, _positive),
    (TweedieNLL(power=1.5), 2, _positive),
    (NegativeBinomialNLL(dispersion=0.5), 2, _positive),
]


@pytest.mark.parametrize(("loss", "n_outputs", "make_target"), CASES, ids=repr)
def test_hessian_matches_finite_differences_of_gradient(loss, n_outputs, make_target):
    rng = np.random.default_rng(0)
    raw = rng.normal(scale=2.0, size=(200, n_outputs))
    y = make_target(rng, 200, n_outputs)
    hessian = loss.hessian(y, raw)
    assert hessian.shape == (200, n_outputs, n_outputs)
    np.testing.assert_allclose(hessian, hessian.transpose(0, 2, 1), atol=1e-12)
    np.testing.assert_allclose(
        hessian, _finite_difference_hessian(loss, y, raw), rtol=1e-6, atol=1e-7
    )


def test_huber_hessian_is_the_indicator_of_the_quadratic_zone():
    y = np.zeros((4, 1))
    raw = np.array([[-2.0], [-0.5], [0.9], [3.0]])
    assert Huber(delta=1.0).hessian(y, raw).ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


def test_log_loss_hessians_stay_finite_for_extreme_logits():
    raw = np.array([[-800.0, 0.0, 800.0]])
    assert np.all(np.isfinite(MultinoulliLogLoss().hessian(np.array([[1.0, 0, 0]]), raw)))
    bernoulli = BernoulliLogLoss().hessian(np.ones((1, 3)), raw)
    np.testing.assert_allclose(np.diagonal(bernoulli[0]), [0.0, 0.25, 0.0])


def test_gaussian_nll_hessian_continues_the_capped_precision_linearly():
    # Below log-variance -300 the precision is linear in it: no curvature.
    loss = GaussianNLL()
    raw = np.array([[0.0, -400.0]])
    hessian = loss.hessian(np.array([[1.0]]), raw)
    assert hessian[0, 1, 1] == 0.0
    np.testing.assert_allclose(
        hessian, _finite_difference_hessian(loss, np.array([[1.0]]), raw, step=1e-3), rtol=1e-6
    )


@pytest.mark.parametrize("loss", [Loss(), AbsoluteError()], ids=repr)
def test_losses_without_hessian_say_so(loss):
    with pytest.raises(NotImplementedError, match="hessian"):
        loss.hessian(np.zeros((2, 1)), np.zeros((2, 1)))
