r"""
====================================================
Uncertainty bands from a heteroscedastic regression
====================================================

A least-squares line predicts the conditional mean of :math:`y` and, at
best, one noise level for every :math:`x`. When the noise grows or shrinks
with :math:`x`, that single level is wrong almost everywhere: the band it
draws is too wide where the data are quiet and too narrow where they are
noisy.

:class:`~skloss.HeteroscedasticRegressor` fits two linear heads on the same
features by maximum likelihood: the mean :math:`\mu(x)` and the
log-variance :math:`v(x)` of a Gaussian,

.. math::

    y \mid x \sim \mathcal{N}\big(\mu(x), e^{v(x)}\big),

so ``predict(X, return_std=True)`` returns a standard deviation that
follows the data. Here both heads are linear in a spline basis of
:math:`x`, so the mean and the spread can both bend.
"""

# %%
# Data whose noise depends on x
# -----------------------------
# The mean is a gentle curve, and the noise standard deviation grows from
# 0.1 at :math:`x = 0` to about 1.6 at :math:`x = 10`.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer

from skloss import HeteroscedasticRegressor, LinearGaussianRegressor


def true_mean(x):
    return 1.0 + 0.6 * x - 0.8 * np.sin(x)


def true_std(x):
    return 0.1 + 0.015 * x**2


def make_data(n, rng):
    x = rng.uniform(0.0, 10.0, size=n)
    y = true_mean(x) + true_std(x) * rng.normal(size=n)
    return x[:, np.newaxis], y


rng = np.random.default_rng(0)
X_train, y_train = make_data(1500, rng)
X_test, y_test = make_data(5000, rng)

# %%
# Two models on the same spline features
# --------------------------------------
# The Gaussian-mean model is least squares; its only noise estimate is the
# standard deviation of its training residuals. The heteroscedastic model
# learns a noise level for every :math:`x`.
features = SplineTransformer(n_knots=8, degree=3)
constant = make_pipeline(features, LinearGaussianRegressor()).fit(X_train, y_train)
constant_std = np.std(y_train - constant.predict(X_train))

heteroscedastic = make_pipeline(features, HeteroscedasticRegressor()).fit(X_train, y_train)
mean_test, std_test = heteroscedastic.predict(X_test, return_std=True)

# %%
# How good are the 95% intervals?
# -------------------------------
# A 95% interval should contain 95% of new points, and it should do so at
# every :math:`x`, not just on average. The held-out log-likelihood scores
# the whole predicted distribution, not only its mean.
inside_constant = np.abs(y_test - constant.predict(X_test)) <= 1.96 * constant_std
inside_heteroscedastic = np.abs(y_test - mean_test) <= 1.96 * std_test
quiet = X_test[:, 0] < 5

regressor = heteroscedastic[-1]
features_test = heteroscedastic[:-1].transform(X_test)
print(
    f"coverage (all x):  constant {inside_constant.mean():.3f}, "
    f"heteroscedastic {inside_heteroscedastic.mean():.3f}"
)
print(
    f"coverage (x < 5):  constant {inside_constant[quiet].mean():.3f}, "
    f"heteroscedastic {inside_heteroscedastic[quiet].mean():.3f}"
)
print(
    f"coverage (x >= 5): constant {inside_constant[~quiet].mean():.3f}, "
    f"heteroscedastic {inside_heteroscedastic[~quiet].mean():.3f}"
)
print(
    f"held-out mean log-likelihood of the heteroscedastic model: "
    f"{regressor.mean_log_likelihood(features_test, y_test):.3f}"
)
print(
    f"R^2 of the two means: {constant.score(X_test, y_test):.3f}, "
    f"{heteroscedastic.score(X_test, y_test):.3f}"
)

# %%
# The bands
# ---------
# Left: both 95% bands over the data, with the true band dashed. Right: the
# predicted standard deviation against the true one, and the share of
# held-out points inside each band, in ten bins of :math:`x`.
grid = np.linspace(0.0, 10.0, 300)[:, np.newaxis]
mean_grid, std_grid = heteroscedastic.predict(grid, return_std=True)
constant_grid = constant.predict(grid)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
left.scatter(X_train[:, 0], y_train, s=4, color="0.5", alpha=0.4, label="training data")
left.fill_between(
    grid[:, 0],
    constant_grid - 1.96 * constant_std,
    constant_grid + 1.96 * constant_std,
    color="tab:orange",
    alpha=0.25,
    label="constant noise: 95% band",
)
left.fill_between(
    grid[:, 0],
    mean_grid - 1.96 * std_grid,
    mean_grid + 1.96 * std_grid,
    color="tab:blue",
    alpha=0.35,
    label="HeteroscedasticRegressor: 95% band",
)
left.plot(grid[:, 0], mean_grid, color="tab:blue")
for sign in (-1, 1):
    left.plot(
        grid[:, 0],
        true_mean(grid[:, 0]) + sign * 1.96 * true_std(grid[:, 0]),
        "k--",
        linewidth=1,
        label="true 95% band" if sign > 0 else None,
    )
left.set(xlabel="x", ylabel="y", title="Predicted mean and 95% bands")
left.legend(loc="upper left", fontsize="small")

bins = np.linspace(0.0, 10.0, 11)
which = np.digitize(X_test[:, 0], bins[1:-1])
centres = (bins[:-1] + bins[1:]) / 2
right.plot(grid[:, 0], std_grid, color="tab:blue", label="predicted std")
right.plot(grid[:, 0], true_std(grid[:, 0]), "k--", label="true std")
right.axhline(constant_std, color="tab:orange", label="constant-noise std")
right.set(xlabel="x", ylabel="standard deviation", title="Noise level and coverage")
coverage_axis = right.twinx()
for inside, color in ((inside_constant, "tab:orange"), (inside_heteroscedastic, "tab:blue")):
    share = [inside[which == b].mean() for b in range(len(centres))]
    coverage_axis.plot(centres, share, "o:", color=color)
coverage_axis.axhline(0.95, color="0.4", linewidth=0.8)
coverage_axis.set(ylim=(0.5, 1.02), ylabel="share of held-out points inside (dots)")
right.legend(loc="lower right", fontsize="small")
plt.show()

# %%
# The constant band covers about 95% of points on average only by being far
# too wide on the left and too narrow on the right; the heteroscedastic band
# covers about 95% in every bin. Its standard deviation follows the true one
# closely, with no assumption on how the noise varies beyond the spline
# basis.
