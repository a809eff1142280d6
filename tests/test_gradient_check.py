"""check_gradient's natural calls: random points from the loss itself, 1-d arrays."""

import numpy as np
import pytest

from skloss.losses import (
    AbsoluteError,
    BernoulliLogLoss,
    GammaNLL,
    GaussianMixtureNLL,
    GaussianNLL,
    Huber,
    Loss,
    MultinoulliLogLoss,
    NegativeBinomialNLL,
    Pinball,
    PoissonNLL,
    SigmoidSquaredError,
    SoftmaxSquaredError,
    SquaredError,
    TweedieNLL,
    check_gradient,
)


class LogCosh(Loss):
    def loss(self, y, raw):
        r = raw - y
        return np.sum(np.logaddexp(r, -r) - np.log(2.0), axis=1)

    def gradient(self, y, raw):
        return np.tanh(raw - y)


class DoubledLogCosh(LogCosh):
    """A wrong gradient: twice the derivative of the loss."""

    def gradient(self, y, raw):
        return 2.0 * np.tanh(raw - y)


BUILT_IN = [
    SquaredError(),
    AbsoluteError(),
    Huber(delta=0.5),
    Pinball(quantile=0.8),
    BernoulliLogLoss(),
    SigmoidSquaredError(),
    MultinoulliLogLoss(),
    SoftmaxSquaredError(),
    GaussianNLL(),
    GaussianMixtureNLL(n_components=2),
    PoissonNLL(),
    GammaNLL(),
    TweedieNLL(power=1.5),
    NegativeBinomialNLL(dispersion=0.5),
]


@pytest.mark.parametrize("loss", BUILT_IN, ids=repr)
def test_check_gradient_with_no_data_passes_every_built_in_loss(loss):
    assert check_gradient(loss) < 1e-5


def test_check_gradient_with_no_data_passes_a_custom_loss_and_catches_a_wrong_one():
    assert check_gradient(LogCosh()) < 1e-6
    with pytest.raises(AssertionError, match="disagrees with finite differences"):
        check_gradient(DoubledLogCosh())


def test_random_points_stay_off_the_kink_of_kinked_losses():
    # Finite differences across the kink would disagree with any gradient;
    # over many seeds none of the random points lands on it.
    for seed in range(20):
        assert check_gradient(AbsoluteError(), n_samples=200, random_state=seed) < 1e-5


def test_one_dimensional_arrays_are_one_output():
    rng = np.random.default_rng(0)
    y, raw = rng.normal(size=30), rng.normal(size=30)
    one_d = check_gradient(LogCosh(), y, raw)
    two_d = check_gradient(LogCosh(), y[:, None], raw[:, None])
    assert one_d == two_d


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"raw": np.zeros(3)}, "got raw but no y"),
        ({"y": np.zeros(3), "raw": np.zeros(4)}, "same shape"),
        ({"y": np.zeros((2, 2, 2)), "raw": np.zeros((2, 2, 2))}, "1-d .* or 2-d"),
        ({"y": np.zeros(3), "raw": np.zeros(3), "sample_weight": np.ones(4)}, "sample_weight"),
    ],
)
def test_unusable_inputs_say_what_is_needed(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_gradient(LogCosh(), **kwargs)
