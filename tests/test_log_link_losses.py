"""The log-link losses, one at a time: likelihoods, derivatives, extremes, checks.

Truths: scipy's distributions (log-likelihood differences), scikit-learn's
public Tweedie deviance, finite differences, and closed-form minimisers.
"""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mean_tweedie_deviance

from skloss.losses import (
    Exp,
    GammaNLL,
    NegativeBinomialNLL,
    PoissonNLL,
    TweedieNLL,
    check_gradient,
)

rng = np.random.default_rng(0)
COUNTS = rng.poisson(3.0, size=(60, 2)).astype(float)
AMOUNTS = rng.gamma(2.0, 1.5, size=(60, 2))
RAW = rng.normal(0.5, 1.5, size=(60, 2))
WEIGHTS = rng.uniform(0.2, 3.0, size=60)

# (loss, a valid target for it)
LOSSES = [
    (PoissonNLL(), COUNTS),
    (GammaNLL(), AMOUNTS),
    (TweedieNLL(power=0), AMOUNTS - 1.0),
    (TweedieNLL(power=1), COUNTS),
    (TweedieNLL(power=1.2), COUNTS),
    (TweedieNLL(power=1.5), COUNTS),
    (TweedieNLL(power=2), AMOUNTS),
    (TweedieNLL(power=2.5), AMOUNTS),
    (TweedieNLL(power=3), AMOUNTS),
    (NegativeBinomialNLL(dispersion=0.3), COUNTS),
    (NegativeBinomialNLL(dispersion=4.0), COUNTS),
]
IDS = [repr(loss) for loss, _ in LOSSES]


@pytest.mark.parametrize("loss, y", LOSSES, ids=IDS)
def test_log_link_gradient_matches_finite_differences(loss, y):
    assert check_gradient(loss, y, RAW, WEIGHTS) < 1e-5


@pytest.mark.parametrize("loss, y", LOSSES, ids=IDS)
def test_log_link_hessian_matches_finite_differences_of_the_gradient(loss, y):
    hessian = loss.hessian(y, RAW)
    assert hessian.shape == (60, 2, 2)
    step = 1e-6
    for j in range(2):
        up, down = RAW.copy(), RAW.copy()
        up[:, j] += step
        down[:, j] -= step
        numeric = (loss.gradient(y, up) - loss.gradient(y, down)) / (2 * step)
        np.testing.assert_allclose(hessian[:, :, j], numeric, rtol=1e-6, atol=1e-8)


def _loss_differences(loss, y, raw):
    """l(y, raw) - l(y, 0): the terms free of raw cancel."""
    return loss.loss(y, raw) - loss.loss(y, np.zeros_like(raw))


@pytest.mark.parametrize(
    "loss, log_likelihood",
    [
        (PoissonNLL(), lambda y, mu: stats.poisson.logpmf(y, mu)),
        # The Gamma loss is the likelihood divided by the shape (here 2.5).
        (GammaNLL(), lambda y, mu: stats.gamma.logpdf(y, 2.5, scale=mu / 2.5) / 2.5),
        (
            NegativeBinomialNLL(dispersion=0.7),
            lambda y, mu: stats.nbinom.logpmf(y, 1 / 0.7, 1 / (1 + 0.7 * mu)),
        ),
    ],
    ids=["poisson", "gamma", "negative-binomial"],
)
def test_log_link_loss_is_the_negative_log_likelihood_up_to_a_constant(loss, log_likelihood):
    y = (AMOUNTS if isinstance(loss, GammaNLL) else COUNTS)[:, :1]
    raw = RAW[:, :1]
    expected = -(log_likelihood(y, np.exp(raw)) - log_likelihood(y, np.ones_like(raw)))
    np.testing.assert_allclose(_loss_differences(loss, y, raw), expected[:, 0], rtol=1e-10)


@pytest.mark.parametrize("power", [0, 1, 1.3, 1.5, 2, 2.5, 3])
def test_tweedie_loss_is_half_the_tweedie_deviance_up_to_a_constant(power):
    y = (AMOUNTS if power >= 2 else COUNTS)[:, 0]
    raw = RAW[:, 0]

    def half_deviance(mu):
        return np.array(
            [mean_tweedie_deviance([t], [m], power=power) / 2 for t, m in zip(y, mu, strict=True)]
        )

    expected = half_deviance(np.exp(raw)) - half_deviance(np.ones_like(raw))
    actual = _loss_differences(TweedieNLL(power=power), y[:, None], raw[:, None])
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)


def test_tweedie_at_power_one_and_two_is_poisson_and_gamma():
    for power, family, y in [(1, PoissonNLL(), COUNTS), (2, GammaNLL(), AMOUNTS)]:
        tweedie = TweedieNLL(power=power)
        np.testing.assert_array_equal(tweedie.loss(y, RAW), family.loss(y, RAW))
        np.testing.assert_array_equal(tweedie.gradient(y, RAW), family.gradient(y, RAW))
        np.testing.assert_array_equal(tweedie.hessian(y, RAW), family.hessian(y, RAW))
        # The general formula's gradient tends to the special case's.
        for near in (power - 1e-7, power + 1e-7):
            if near < 1:
                continue
            np.testing.assert_allclose(
                TweedieNLL(power=near).gradient(y, RAW), family.gradient(y, RAW), rtol=1e-5
            )


def test_negative_binomial_tends_to_poisson_as_dispersion_vanishes():
    np.testing.assert_allclose(
        NegativeBinomialNLL(dispersion=1e-9).gradient(COUNTS, RAW),
        PoissonNLL().gradient(COUNTS, RAW),
        rtol=1e-6,
    )


@pytest.mark.parametrize("loss, y", LOSSES, ids=IDS)
def test_log_link_init_raw_is_the_log_of_the_weighted_mean_and_minimises(loss, y):
    start = loss.init_raw(y, WEIGHTS)
    np.testing.assert_allclose(start, np.log(np.average(y, axis=0, weights=WEIGHTS)))
    _, gradient = loss.loss_gradient(y, np.tile(start, (len(y), 1)), WEIGHTS)
    np.testing.assert_allclose(gradient.sum(axis=0), 0.0, atol=1e-12)


def test_log_link_init_raw_of_all_zero_counts_is_finite():
    start = PoissonNLL().init_raw(np.zeros((5, 1)), np.ones(5))
    assert np.all(np.isfinite(start)) and start[0] < -20


# Every value is representable for |raw| <= 700 with these targets.
EXTREME_RAW = np.linspace(-700.0, 700.0, 41)[:, None]
EXTREME_Y = {"counts": np.array([0.0, 1.0, 3.0, 10.0]), "amounts": np.array([0.01, 1.0, 10.0])}


@pytest.mark.parametrize(
    "loss, kind",
    [
        (PoissonNLL(), "counts"),
        (GammaNLL(), "amounts"),
        (TweedieNLL(power=1.2), "counts"),
        (TweedieNLL(power=1.5), "counts"),
        (TweedieNLL(power=1.9), "counts"),
        (NegativeBinomialNLL(dispersion=2.0), "counts"),
    ],
    ids=repr,
)
def test_log_link_losses_are_finite_for_raw_up_to_700(loss, kind):
    for target in EXTREME_Y[kind]:
        y = np.full_like(EXTREME_RAW, target)
        assert np.all(np.isfinite(loss.loss(y, EXTREME_RAW)))
        assert np.all(np.isfinite(loss.gradient(y, EXTREME_RAW)))
        assert np.all(np.isfinite(loss.hessian(y, EXTREME_RAW)))
        value, gradient = loss.loss_gradient(y, EXTREME_RAW.copy(), np.ones(len(y)))
        assert np.isfinite(value) and np.all(np.isfinite(gradient))


@pytest.mark.parametrize(
    "loss",
    [PoissonNLL(), GammaNLL(), *(TweedieNLL(power=p) for p in (0, 1.5, 2.5, 3, 5))]
    + [NegativeBinomialNLL()],
    ids=repr,
)
def test_log_link_losses_never_give_nan_beyond(loss):
    # Values too large for a double are +inf (the core backs off), never NaN,
    # and no overflow warning escapes (the suite turns them into errors).
    raw = np.array([[-1e4], [-1000.0], [-700.0], [np.log(2.0)], [700.0], [1000.0], [1e4]])
    y = np.full_like(raw, 2.0)
    values = loss.loss(y, raw)
    assert not np.any(np.isnan(values)) and np.all(values > -np.inf)
    assert not np.any(np.isnan(loss.gradient(y, raw)))
    assert not np.any(np.isnan(loss.hessian(y, raw)))
    # The sample's own minimum is at mu = y: far from it the loss is larger,
    # never a spurious minimum.
    assert np.all(np.delete(values, 3) > values[3])


def test_tweedie_above_two_is_large_far_below_the_target():
    # Both of its terms explode as raw -> -inf, with opposite signs.
    values = TweedieNLL(power=3).loss(np.full((3, 1), 2.0), np.array([[-1e4], [-500.0], [0.0]]))
    assert values[0] > 1e307 and values[1] > 1e300 and np.isfinite(values[2])


def test_exp_output_unit_is_finite_and_positive_for_any_raw():
    prediction = Exp()(np.array([[-1e4, -700.0, 0.0, 700.0, 1e4]]))
    assert np.all(np.isfinite(prediction)) and np.all(prediction >= 0)
    np.testing.assert_allclose(prediction[0, 1:4], np.exp([-700.0, 0.0, 700.0]))


@pytest.mark.parametrize(
    "make",
    [
        lambda: TweedieNLL(power=0.5),
        lambda: TweedieNLL(power=-1),
        lambda: TweedieNLL(power=np.nan),
        lambda: TweedieNLL(power=True),
        lambda: TweedieNLL(power="1.5"),
        lambda: NegativeBinomialNLL(dispersion=0.0),
        lambda: NegativeBinomialNLL(dispersion=-1.0),
        lambda: NegativeBinomialNLL(dispersion=np.inf),
    ],
)
def test_log_link_invalid_parameters_raise_a_clear_error(make):
    loss = make()
    with pytest.raises(ValueError, match="must be"):
        loss.loss(COUNTS, RAW)


@pytest.mark.parametrize(
    "loss, accepted, rejected",
    [
        (PoissonNLL(), 0.0, -1.0),
        (NegativeBinomialNLL(), 0.0, -1e-9),
        (TweedieNLL(power=1.5), 0.0, -0.5),
        (GammaNLL(), 1e-9, 0.0),
        (TweedieNLL(power=2.5), 1e-9, 0.0),
        (TweedieNLL(power=0), -100.0, None),
    ],
    ids=repr,
)
def test_log_link_check_target_names_the_support(loss, accepted, rejected):
    loss.check_target(np.array([[accepted], [3.0]]))
    if rejected is not None:
        domain = "positive" if accepted > 0 else "non-negative"
        with pytest.raises(ValueError, match=f"needs a {domain} target"):
            loss.check_target(np.array([[rejected], [3.0]]))


def test_log_link_losses_are_parameters_like_estimators():
    assert repr(TweedieNLL()) == "TweedieNLL(power=1.5)"
    assert NegativeBinomialNLL(dispersion=2.0).get_params() == {"dispersion": 2.0}
    assert TweedieNLL().set_params(power=3) == TweedieNLL(power=3)
    assert PoissonNLL().is_smooth and PoissonNLL.output_unit == Exp()
