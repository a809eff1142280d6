r"""
====================================================
Quantile regression: a band instead of a single line
====================================================

The pinball loss with quantile :math:`\tau`,

.. math::

    l_\tau(y, z) = \max\bigl(\tau (y - z), (\tau - 1)(y - z)\bigr),

charges under-predictions :math:`\tau` per unit and over-predictions
:math:`1 - \tau` per unit. Its minimiser is the :math:`\tau`-quantile of the
target, so ``LinearRegressor(loss=Pinball(quantile=q))`` learns the
conditional :math:`q`-quantile of :math:`y` given :math:`x`. Fitting several
quantiles describes how the whole conditional distribution changes with
:math:`x`, which matters when the noise is not the same everywhere.
"""

# %%
# Heteroscedastic data
# --------------------
# The noise grows with :math:`x`:
# :math:`y = 2 + x / 2 + (0.3 + 0.3 x)\, \varepsilon` with
# :math:`\varepsilon \sim \mathcal{N}(0, 1)`. Every conditional quantile is
# then a straight line, :math:`2 + x/2 + (0.3 + 0.3x)\, \Phi^{-1}(\tau)`, a
# linear model can represent it exactly, and we can compare the fits with the
# truth.
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.linear_model import QuantileRegressor

from skloss import LinearRegressor
from skloss.losses import Pinball

rng = np.random.default_rng(42)


def sample(n_samples):
    x = rng.uniform(0, 10, size=n_samples)
    return x, 2.0 + 0.5 * x + (0.3 + 0.3 * x) * rng.normal(size=n_samples)


def true_quantile(x, q):
    return 2.0 + 0.5 * x + (0.3 + 0.3 * x) * stats.norm.ppf(q)


x_train, y_train = sample(400)
X_train = x_train[:, np.newaxis]

# %%
# One model per quantile
# ----------------------
# The pinball loss has a kink at zero residual. skloss fits it with L-BFGS on
# a sequence of smoothed losses and then steps exactly onto the kinks, so
# each fit is the exact linear-programming optimum: the coefficients agree
# with scikit-learn's :class:`~sklearn.linear_model.QuantileRegressor`
# (``alpha=0``, solved by the HiGHS linear-programming solver).
quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
models = {q: LinearRegressor(loss=Pinball(quantile=q)).fit(X_train, y_train) for q in quantiles}

print("  q    skloss slope / intercept    HiGHS slope / intercept")
for q, model in models.items():
    reference = QuantileRegressor(quantile=q, alpha=0.0, solver="highs").fit(X_train, y_train)
    print(
        f"{q:.2f}   {model.coef_[0]:8.4f} / {model.intercept_:8.4f}"
        f"       {reference.coef_[0]:8.4f} / {reference.intercept_:8.4f}"
    )

# %%
# The fitted band
# ---------------
# Left: the fitted quantile lines (solid) over the true ones (dashed). Right:
# on fresh data from the same distribution, the share of points below each
# fitted line, which should be close to its quantile.
x_test, y_test = sample(4000)
coverage = [np.mean(y_test <= models[q].predict(x_test[:, np.newaxis])) for q in quantiles]

fig, (ax, ax_coverage) = plt.subplots(
    1, 2, figsize=(11, 4.5), layout="constrained", width_ratios=[2, 1]
)
grid = np.linspace(0, 10, 2)
colors = plt.cm.viridis(np.linspace(0.1, 0.9, len(quantiles)))
ax.scatter(x_train, y_train, s=6, color="0.6", alpha=0.7)
for color, (q, model) in zip(colors, models.items(), strict=True):
    ax.plot(grid, model.predict(grid[:, np.newaxis]), color=color, lw=2, label=f"q = {q}")
    ax.plot(grid, true_quantile(grid, q), "--", color=color, lw=1)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("Fitted (solid) and true (dashed) conditional quantiles")
ax.legend(loc="upper left")

ax_coverage.plot([0, 1], [0, 1], ":", color="k", lw=1)
ax_coverage.scatter(quantiles, coverage, c=colors, s=50, zorder=3)
ax_coverage.set_xlabel("quantile q of the loss")
ax_coverage.set_ylabel("share of new points below the line")
ax_coverage.set_title("Coverage on fresh data")
ax_coverage.set_aspect("equal")
plt.show()

for q, share in zip(quantiles, coverage, strict=True):
    print(f"q = {q:.2f}: {share:.3f} of the new points lie below the fitted line")

# %%
# A least-squares fit would give one line through the middle of the cloud
# and say nothing about the widening spread. The quantile lines fan out,
# and the band between the 5% and 95% lines is a 90% prediction interval
# whose width follows the data: narrow on the left, wide on the right.
