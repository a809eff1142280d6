r"""
=================================================================
A multimodal target: where one Gaussian fails, a mixture does not
=================================================================

Inverting a function that is not one-to-one gives a target with several
possible values for the same input. The classic example (Bishop, 1994)
draws :math:`t` uniformly on :math:`[0, 1]`, computes
:math:`x = t + 0.3 \sin(2\pi t)` plus a little noise, and then asks for
:math:`t` given :math:`x`. For :math:`x` between about 0.3 and 0.7 there
are three branches of solutions.

Any model of the conditional mean, and any single Gaussian around it,
averages the branches into a value that is rarely observed.
:class:`~skloss.MixtureDensityRegressor` fits a mixture of Gaussians whose
weights, means and log-variances are all linear in the features, by
maximum likelihood on the same L-BFGS core as every other skloss model:

.. math::

    p(t \mid x) = \sum_{k=1}^{K} \pi_k(x)\, \mathcal{N}\big(t; \mu_k(x),
    \sigma_k^2(x)\big), \qquad \pi(x) = \operatorname{softmax}(a(x)).

With a spline basis of :math:`x` as features, each component can follow one
branch, and the mixing weights switch components on and off along
:math:`x`.
"""

# %%
# The data
# --------
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer

from skloss import HeteroscedasticRegressor, MixtureDensityRegressor


def make_data(n, rng):
    t = rng.uniform(0.0, 1.0, size=n)
    x = t + 0.3 * np.sin(2 * np.pi * t) + rng.uniform(-0.1, 0.1, size=n)
    return x[:, np.newaxis], t


rng = np.random.default_rng(0)
X_train, t_train = make_data(2000, rng)
X_test, t_test = make_data(2000, rng)

# %%
# A single Gaussian and a mixture of three
# ----------------------------------------
# Both models see the same cubic spline features. The mixture's objective
# is not convex: it is fitted from a deterministic start (components at the
# quantiles of :math:`t`) plus two random restarts, and the best fit is
# kept. Narrow components that switch off over parts of the range make the
# problem stiff, so the fit gets more L-BFGS iterations than the default.
features = SplineTransformer(n_knots=6, degree=3)
single = make_pipeline(features, HeteroscedasticRegressor()).fit(X_train, t_train)
mixture = make_pipeline(
    features,
    MixtureDensityRegressor(n_components=3, max_iter=5000, n_init=3, random_state=0),
).fit(X_train, t_train)


def held_out_log_likelihood(pipeline):
    return pipeline[-1].mean_log_likelihood(pipeline[:-1].transform(X_test), t_test)


print(f"held-out mean log-likelihood, one Gaussian: {held_out_log_likelihood(single):.3f}")
print(f"held-out mean log-likelihood, mixture:      {held_out_log_likelihood(mixture):.3f}")
print(
    f"R^2 of the conditional mean: {single.score(X_test, t_test):.3f} (one Gaussian), "
    f"{mixture.score(X_test, t_test):.3f} (mixture)"
)

# %%
# Predictions along x
# -------------------
# Left: the single Gaussian's mean and 95% band run between the branches.
# Middle: the mixture's component means, drawn wherever their weight exceeds
# 5% (thicker for larger weight), and draws from the fitted model with
# ``sample``. Right: the predicted densities of :math:`t` at
# :math:`x = 0.5`, against a histogram of training points near there.
grid = np.linspace(X_train.min(), X_train.max(), 400)[:, np.newaxis]
mean_single, std_single = single.predict(grid, return_std=True)
grid_features = mixture[:-1].transform(grid)
weights, means, stds = mixture[-1].predict_mixture(grid_features)
draws = mixture[-1].sample(grid_features[::4], n_samples=5, random_state=0)

fig, axes = plt.subplots(1, 3, figsize=(14, 4.8), layout="constrained")
for ax in axes[:2]:
    ax.scatter(X_train[:, 0], t_train, s=3, color="0.75", label="training data")
    ax.set(xlabel="x", ylabel="t")

axes[0].plot(grid[:, 0], mean_single, color="tab:orange", label="mean")
axes[0].fill_between(
    grid[:, 0],
    mean_single - 1.96 * std_single,
    mean_single + 1.96 * std_single,
    color="tab:orange",
    alpha=0.25,
    label="95% band",
)
axes[0].set_title("HeteroscedasticRegressor: one Gaussian")
axes[0].legend(loc="upper left", fontsize="small")

for k, color in enumerate(["tab:blue", "tab:green", "tab:red"]):
    visible = np.where(weights[:, k] > 0.05, means[:, k], np.nan)
    axes[1].plot(grid[:, 0], visible, color=color, linewidth=1 + 3 * weights[:, k].mean())
    axes[1].scatter(
        grid[:, 0], visible, s=12 * weights[:, k], color=color, label=f"component {k + 1}"
    )
axes[1].scatter(
    np.repeat(grid[::4, 0], 5), draws.ravel(), s=4, color="black", label="draws (sample)"
)
axes[1].set_title("MixtureDensityRegressor: three components")
axes[1].legend(loc="upper left", fontsize="small")

x0 = 0.5
t_values = np.linspace(-0.1, 1.1, 500)
near = np.abs(X_train[:, 0] - x0) < 0.02
axes[2].hist(
    t_train[near], bins=30, density=True, color="0.75", label=f"training t, |x - {x0}| < 0.02"
)
mean0, std0 = single.predict([[x0]], return_std=True)
axes[2].plot(
    t_values, norm.pdf(t_values, mean0[0], std0[0]), color="tab:orange", label="one Gaussian"
)
w0, m0, s0 = mixture[-1].predict_mixture(mixture[:-1].transform([[x0]]))
density = np.sum(w0 * norm.pdf(t_values[:, np.newaxis], m0, s0), axis=1)
axes[2].plot(t_values, density, color="tab:blue", label="mixture")
axes[2].set(xlabel="t", ylabel="density", title=f"Predicted density of t at x = {x0}")
axes[2].legend(loc="upper right", fontsize="small")
plt.show()

# %%
# The single Gaussian's band covers the three branches only by being wide,
# and its mean sits where few points lie. The mixture puts a narrow
# component on each branch, weights them by how many solutions lie there,
# and its draws look like the data: its held-out log-likelihood is far
# higher. Its conditional mean is the same average as the single
# Gaussian's, so :math:`R^2`, a score of the mean only, cannot tell the two
# models apart; use ``mean_log_likelihood`` to compare distributional
# models (for example as the ``scoring`` of a grid search).
