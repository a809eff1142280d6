"""The screened stage objective equals the full one while far samples stay far."""

import numpy as np
import pytest

from skloss._core._nonsmooth._screening import ScreenedObjective, near_samples
from skloss._core._objective import LinearObjective
from skloss._core._problem import make_problem
from skloss.losses import AbsoluteError, Pinball

RNG = np.random.default_rng(5)


def _problem(loss, alpha, n=4000, d=3):
    X = RNG.normal(size=(n, d)) * [1.0, 10.0, 0.1] + [0.0, 3.0, -1.0]
    coef = RNG.normal(size=(d, 1))
    y = X @ coef + 1.0 + RNG.standard_t(2.0, size=(n, 1))
    weight = RNG.uniform(0.5, 2.0, size=n)
    objective = LinearObjective(make_problem(X, y, weight, alpha, True), loss)
    return objective, coef[:, 0] + 0.01, np.array([1.0])


@pytest.mark.parametrize("loss, alpha", [(AbsoluteError(), 0.0), (Pinball(0.3), 0.05)])
def test_screened_objective_differs_from_the_full_one_by_a_constant(loss, alpha):
    objective, coef, intercept = _problem(loss, alpha)
    width = 1e-3
    smooth = loss.smoothed(width)
    theta = objective.pack(coef[:, np.newaxis], intercept)
    raw = objective.raw_output(theta)
    near = near_samples(objective.problem, raw, width)
    assert near is not None and 0 < near.sum() < 0.1 * len(near)
    screened = ScreenedObjective(objective, raw, near, smooth)

    def values_and_slopes(coef_change, intercept_change, delta):
        """Both objectives' values, and slopes along ``delta``, at a moved point."""
        new_coef, new_intercept = coef[:, np.newaxis] + coef_change, intercept + intercept_change
        result = []
        for f in (objective, screened):
            theta = f.pack(new_coef, new_intercept)
            value, gradient = f.value_and_gradient(theta, smooth)
            direction = f.pack(new_coef + delta[0], new_intercept + delta[1]) - theta
            result.append((value, gradient @ direction))
        return result

    delta = RNG.normal(size=(3, 1)), RNG.normal(size=1)
    (full_0, _), (screened_0, _) = values_and_slopes(0.0, 0.0, delta)
    for _ in range(3):
        # Moves small enough that no far sample comes within the zone.
        change = RNG.normal(size=(3, 1)) * 1e-5, RNG.normal(size=1) * 1e-5
        moved = objective.pack(coef[:, np.newaxis] + change[0], intercept + change[1])
        assert not screened.came_near(objective.raw_output(moved), width).any()
        (full, full_slope), (value, slope) = values_and_slopes(*change, delta)
        assert value - screened_0 == pytest.approx(full - full_0, rel=1e-9, abs=1e-15)
        # The gradients live in different parametrisations: compare slopes.
        assert slope == pytest.approx(full_slope, rel=1e-9)


def test_came_near_flags_a_far_sample_pushed_across_its_kink():
    objective, coef, intercept = _problem(AbsoluteError(), 0.0)
    theta = objective.pack(coef[:, np.newaxis], intercept)
    raw = objective.raw_output(theta)
    near = near_samples(objective.problem, raw, 1e-3)
    screened = ScreenedObjective(objective, raw, near, AbsoluteError().smoothed(1e-3))
    assert not screened.came_near(raw, 1e-3).any()
    far = int(np.flatnonzero(~near)[0])
    moved = raw.copy()
    moved[far] = objective.problem.data.y[far] - np.sign(
        raw[far] - objective.problem.data.y[far]
    )  # the other side
    assert np.flatnonzero(screened.came_near(moved, 1e-3)).tolist() == [far]


def test_no_screening_when_most_samples_are_near():
    objective, coef, intercept = _problem(AbsoluteError(), 0.0)
    raw = objective.raw_output(objective.pack(coef[:, np.newaxis], intercept))
    assert near_samples(objective.problem, raw, 10.0) is None
