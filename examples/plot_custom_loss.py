r"""
===========================================
Writing your own loss: a robust Cauchy loss
===========================================

Every skloss estimator accepts any object implementing
:class:`~skloss.losses.Loss`. This example writes two robust regression
losses, checks their gradients with :func:`~skloss.losses.check_gradient`,
and lets a grid search choose between them and the built-in losses.

The Cauchy (or Lorentzian) loss with scale :math:`c`,

.. math::

    l(y, z) = \frac{c^2}{2} \log\Bigl(1 + \frac{(z - y)^2}{c^2}\Bigr),

is the negative log-likelihood of a Cauchy distribution of :math:`y` around
:math:`z`. Near zero it behaves like half the squared error; far from zero it
grows only logarithmically, so a gross outlier costs little and pulls even
less: its gradient *decreases* again for large residuals.
"""

# %%
# The loss classes
# ----------------
# A loss implements the per-sample ``loss(y, raw)`` (summed over outputs)
# and its ``gradient(y, raw)`` with respect to the raw output, both on
# arrays of shape (n_samples, n_outputs). ``init_raw`` gives the constant the
# intercept starts from; for a robust loss the median is a good start.
# Parameters are the arguments of ``__init__``, stored under the same names,
# exactly as for a scikit-learn estimator: that is what lets ``clone`` and
# grid search handle the loss.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from skloss import LinearRegressor
from skloss.losses import Huber, Loss, SquaredError, check_gradient


class Cauchy(Loss):
    """Cauchy loss: quadratic near zero, logarithmic for large residuals."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def loss(self, y, raw):
        r = (raw - y) / self.scale
        return 0.5 * self.scale**2 * np.sum(np.log1p(r**2), axis=1)

    def gradient(self, y, raw):
        r = raw - y
        return r / (1.0 + (r / self.scale) ** 2)

    def init_raw(self, y, sample_weight):
        # The (unweighted) median: a robust place to start.
        return np.median(y, axis=0)


class LogCosh(Loss):
    """log(cosh(r)): quadratic near zero, linear (like absolute error) far away."""

    def loss(self, y, raw):
        r = raw - y
        # log(cosh(r)) = logaddexp(r, -r) - log(2), without overflow.
        return np.sum(np.logaddexp(r, -r) - np.log(2.0), axis=1)

    def gradient(self, y, raw):
        return np.tanh(raw - y)

    def init_raw(self, y, sample_weight):
        return np.median(y, axis=0)


# %%
# Check the gradients
# -------------------
# :func:`~skloss.losses.check_gradient` compares ``gradient`` (and
# ``loss_gradient``, which the fitting core calls) with central finite
# differences of ``loss`` and raises an :class:`AssertionError` with the
# worst sample if they disagree. It returns the largest relative error.
rng = np.random.default_rng(0)
y_check = rng.normal(size=(100, 1))
raw_check = rng.normal(scale=5.0, size=(100, 1))
for loss in (Cauchy(scale=0.5), Cauchy(scale=3.0), LogCosh()):
    error = check_gradient(loss, y_check, raw_check)
    print(f"{loss!r:<20} largest relative gradient error {error:.1e}")


# %%
# A wrong gradient does not get through. Here the factor :math:`1/c^2` is
# forgotten:
class BrokenCauchy(Cauchy):
    def gradient(self, y, raw):
        r = raw - y
        return r / (1.0 + r**2)


try:
    check_gradient(BrokenCauchy(scale=3.0), y_check, raw_check)
except AssertionError as error:
    print(error)

# %%
# Loss and influence
# ------------------
# The derivative of a loss with respect to the residual is the *influence*
# of an observation: how hard it pulls on the fit. The squared error's
# influence grows without bound, Huber's and log-cosh's level off, and the
# Cauchy loss's comes back down: a far enough outlier is effectively ignored.
residuals = np.linspace(-6, 6, 401)[:, np.newaxis]
zero = np.zeros_like(residuals)
shown = {
    "squared error": SquaredError(),
    "Huber, delta=1": Huber(delta=1.0),
    "log-cosh": LogCosh(),
    "Cauchy, scale=1": Cauchy(scale=1.0),
}
fig, (ax_loss, ax_influence) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for label, loss in shown.items():
    ax_loss.plot(residuals, loss.loss(zero, residuals), lw=2, label=label)
    ax_influence.plot(residuals, loss.gradient(zero, residuals), lw=2, label=label)
ax_loss.set_ylim(0, 6)
ax_loss.set_title("Loss")
ax_influence.set_ylim(-3, 3)
ax_influence.set_title("Influence: derivative with respect to the prediction")
for ax in (ax_loss, ax_influence):
    ax.set_xlabel("residual  z - y")
    ax.axhline(0, color="0.8", lw=1)
    ax.legend()
plt.show()

# %%
# Grid search over built-in and custom losses
# -------------------------------------------
# A line with 20% of gross errors, all on the right-hand side where they
# have the most leverage. The grid mixes the built-in losses with the two new
# ones and searches their parameters through ``loss__delta`` and
# ``loss__scale``. Cross-validation scores with the *median* absolute error,
# which the outliers in the validation folds cannot dominate.
n_samples = 200
x = rng.uniform(0, 10, size=n_samples)
y = 1.0 + 2.0 * x + rng.normal(scale=0.5, size=n_samples)
outliers = (x > 6) & (rng.random(n_samples) < 0.5)
y[outliers] -= rng.uniform(8, 14, size=outliers.sum())
X = x[:, np.newaxis]

param_grid = [
    {"loss": [SquaredError(), LogCosh()]},
    {"loss": [Huber()], "loss__delta": [0.3, 1.0, 3.0]},
    {"loss": [Cauchy()], "loss__scale": [0.3, 1.0, 3.0]},
]
search = GridSearchCV(
    LinearRegressor(),
    param_grid,
    scoring="neg_median_absolute_error",
    cv=KFold(n_splits=5, shuffle=True, random_state=0),
).fit(X, y)


def describe(params):
    """The loss a row of the grid fitted: a copy of its loss with its parameters set."""
    loss = clone(params["loss"])
    return loss.set_params(
        **{name[len("loss__") :]: value for name, value in params.items() if name != "loss"}
    )


results = pd.DataFrame(
    {
        "loss": [repr(describe(params)) for params in search.cv_results_["params"]],
        "CV median abs. error": -search.cv_results_["mean_test_score"],
        "rank": search.cv_results_["rank_test_score"],
    }
)
print(results.sort_values("rank").to_string(index=False, float_format="{:.3f}".format))
print("chosen loss:", search.best_estimator_.loss_)

# %%
# The chosen model against the built-in alternatives, all fitted on the
# full data:
fits = {
    "squared error": LinearRegressor(loss="squared_error").fit(X, y),
    "Huber, delta=1": LinearRegressor(loss=Huber(delta=1.0)).fit(X, y),
    f"chosen: {search.best_estimator_.loss_!r}": search.best_estimator_,
}
grid = np.linspace(0, 10, 2)[:, np.newaxis]
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.scatter(x[~outliers], y[~outliers], s=8, color="0.6", label="data")
ax.scatter(x[outliers], y[outliers], s=12, color="C3", marker="x", label="gross errors")
ax.plot(grid, 1.0 + 2.0 * grid, "k--", lw=1, label="true line")
for label, model in fits.items():
    ax.plot(grid, model.predict(grid), lw=2, label=f"{label}: slope {model.coef_[0]:.2f}")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(fontsize="small")
plt.show()

# %%
# The squared error is dragged down by the gross errors, Huber much less,
# and the Cauchy loss recovers the true line.
#
# A non-convex loss needs a good start
# ------------------------------------
# The table has a warning in it: the Cauchy loss with the smallest scale
# ranks near the bottom. Unlike the other losses here it is not convex, and
# with a scale well below the noise level it is flat for most residuals, so
# L-BFGS can stop in a poor local minimum, near where it started. That
# happens on the full data too. A remedy is to start from a convex robust
# fit: set a Huber fit's ``coef_`` and ``intercept_`` on a model with
# ``warm_start=True`` and fit it. ``objective_`` confirms that the second
# minimum is the better one.
narrow = LinearRegressor(loss=Cauchy(scale=0.3)).fit(X, y)
huber = LinearRegressor(loss=Huber(delta=1.0)).fit(X, y)
warm = LinearRegressor(loss=Cauchy(scale=0.3), warm_start=True)
warm.coef_, warm.intercept_ = huber.coef_.copy(), huber.intercept_
warm.fit(X, y)
for label, model in (("default start", narrow), ("warm start from Huber", warm)):
    print(
        f"Cauchy(scale=0.3), {label:<22} slope {model.coef_[0]:.3f}, "
        f"intercept {model.intercept_:.3f}, objective {model.objective_:.4f}"
    )
