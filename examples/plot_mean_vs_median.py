r"""
===================================================
Mean or median: the loss decides what a line learns
===================================================

Two linear models are fitted to the same data. :class:`~skloss.LinearGaussianRegressor`
minimises the squared error, so its line estimates the **conditional mean**
of :math:`y` given :math:`x`; :class:`~skloss.MedianRegressor` minimises the
absolute error, so its line estimates the **conditional median**. On
symmetric, well-behaved noise the two coincide. They part ways when the noise
is skewed, heavy-tailed, or contaminated by outliers, and this example shows
how.

Every data set below is :math:`y = 1 + x / 2 + \varepsilon` with the noise
:math:`\varepsilon` independent of :math:`x`, so the true conditional mean
and median are both straight lines, shifted from :math:`1 + x / 2` by the
mean and the median of :math:`\varepsilon`.
"""

# %%
# Three kinds of noise
# --------------------
# For each noise distribution we know its mean and its median exactly:
#
# * **skewed**: exponential with scale 1, mean 1, median :math:`\log 2`;
# * **heavy-tailed**: Student's t with 1.5 degrees of freedom, symmetric
#   (mean = median = 0) but with infinite variance;
# * **outliers**: Gaussian noise of standard deviation 0.5, except that 10%
#   of the targets are gross errors around +8. Its mean is 0.8; its median,
#   found numerically below, barely moves from 0.
import matplotlib.pyplot as plt
import numpy as np
from scipy import optimize, stats

from skloss import LinearGaussianRegressor, MedianRegressor

rng = np.random.default_rng(0)
n_samples = 300
outlier_share, outlier_shift = 0.1, 8.0


def outlier_noise(size, rng):
    noise = rng.normal(scale=0.5, size=size)
    gross = rng.random(size) < outlier_share
    noise[gross] = rng.normal(loc=outlier_shift, size=gross.sum())
    return noise


def outlier_cdf(e):
    return (1 - outlier_share) * stats.norm.cdf(e, scale=0.5) + outlier_share * stats.norm.cdf(
        e, loc=outlier_shift
    )


noises = {
    "skewed": {
        "sample": lambda size, rng: rng.exponential(size=size),
        "mean": 1.0,
        "median": np.log(2.0),
    },
    "heavy-tailed": {
        "sample": lambda size, rng: rng.standard_t(1.5, size=size),
        "mean": 0.0,
        "median": 0.0,
    },
    "outliers": {
        "sample": outlier_noise,
        "mean": outlier_share * outlier_shift,
        "median": optimize.brentq(lambda e: outlier_cdf(e) - 0.5, -1.0, 1.0),
    },
}

for name, noise in noises.items():
    print(f"{name:>12}: mean {noise['mean']:.3f}, median {noise['median']:.3f}")


# %%
# Fit both models on each data set
# --------------------------------
# The models are used exactly as scikit-learn regressors. We record the
# fitted lines, and read off what each line estimates as its height above the
# noise-free line at the centre of the data, :math:`x = 5`.
def true_line(x):
    return 1.0 + 0.5 * x


models = {
    "squared error (mean)": LinearGaussianRegressor,
    "absolute error (median)": MedianRegressor,
}
colors = {"squared error (mean)": "C0", "absolute error (median)": "C1"}

data, fits = {}, {}
for name, noise in noises.items():
    x = rng.uniform(0, 10, size=n_samples)
    y = true_line(x) + noise["sample"](n_samples, rng)
    data[name] = x, y
    fits[name] = {label: model().fit(x[:, np.newaxis], y) for label, model in models.items()}
    for label, fitted in fits[name].items():
        offset = fitted.predict([[5.0]])[0] - true_line(5.0)
        print(f"{name:>12}, {label:<24} slope {fitted.coef_[0]:.3f}, offset at x=5: {offset:+.3f}")

# %%
# Fitted lines and the distribution of the noise
# ----------------------------------------------
# Top row: the data, the two fitted lines (solid) and the true conditional
# mean and median (dashed). Bottom row: the noise
# :math:`\varepsilon = y - (1 + x/2)`, with its theoretical mean and median
# as vertical lines and each model's estimate of them (its offset at
# :math:`x = 5`) as a triangle. The heavy-tailed histogram is cut at
# :math:`\pm 8`; a few points lie beyond.
titles = {
    "skewed": "skewed noise",
    "heavy-tailed": "heavy-tailed noise",
    "outliers": "with outliers",
}
bin_edges = {
    "skewed": np.linspace(-1, 6, 36),
    "heavy-tailed": np.linspace(-8, 8, 65),
    "outliers": np.linspace(-3, 12, 61),
}
fig, axes = plt.subplots(2, 3, figsize=(12, 7), layout="constrained")
grid = np.linspace(0, 10, 2)
for column, (name, noise) in enumerate(noises.items()):
    x, y = data[name]
    top, bottom = axes[:, column]
    top.scatter(x, y, s=6, color="0.6", alpha=0.6)
    for label, fitted in fits[name].items():
        top.plot(grid, fitted.predict(grid[:, np.newaxis]), color=colors[label], lw=2, label=label)
    top.plot(grid, true_line(grid) + noise["mean"], "--", color="C0", lw=1.2, label="true mean")
    top.plot(grid, true_line(grid) + noise["median"], "--", color="C1", lw=1.2, label="true median")
    top.set_ylim(-4, 16)
    top.set_title(titles[name])
    top.set_xlabel("x")

    residual = y - true_line(x)
    bins = bin_edges[name]
    bottom.hist(residual, bins=bins, color="0.75")
    bottom.axvline(noise["mean"], color="C0", ls="--", label="theoretical mean")
    bottom.axvline(noise["median"], color="C1", ls="--", label="theoretical median")
    for label, fitted in fits[name].items():
        offset = fitted.predict([[5.0]])[0] - true_line(5.0)
        bottom.plot(offset, 0, "^", color=colors[label], ms=10, clip_on=False)
    bottom.plot([], [], "^", color="0.4", ms=8, label="fitted lines at x = 5")
    bottom.set_xlim(bins[0], bins[-1])
    bottom.set_xlabel(r"noise $\varepsilon = y - (1 + x/2)$")
axes[0, 0].set_ylabel("y")
axes[1, 0].set_ylabel("count")
axes[0, 0].legend(loc="upper left", fontsize="small")
axes[1, 0].legend(loc="upper right", fontsize="small")
fig.suptitle("Squared error fits the mean, absolute error the median")
plt.show()

# %%
# On skewed noise both lines are right, about different things: the
# squared-error line sits one unit above the noise-free line (the mean of an
# exponential), the absolute-error line :math:`\log 2 \approx 0.69` above it
# (its median). Which one you want depends on the question: expected cost
# asks for the mean, a "typical" value for the median.
#
# With outliers the mean itself moves: 10% of gross errors drag the
# conditional mean, and with it the squared-error line, 0.8 upwards, while
# the median hardly notices them.
#
# How reliable is each estimate?
# ------------------------------
# On the heavy-tailed data the mean and the median are the same line, yet
# the fits differ. Repeating the experiment on fresh samples shows why: the
# squared-error slope is at the mercy of the few extreme points, the
# absolute-error slope is not.
n_repeats = 60
slopes = {name: {label: [] for label in models} for name in noises}
for name, noise in noises.items():
    for _ in range(n_repeats):
        x = rng.uniform(0, 10, size=n_samples)
        y = true_line(x) + noise["sample"](n_samples, rng)
        for label, model in models.items():
            slopes[name][label].append(model().fit(x[:, np.newaxis], y).coef_[0])

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), layout="constrained", sharey=True)
for ax, name in zip(axes, noises, strict=True):
    boxes = ax.boxplot(
        [slopes[name][label] for label in models],
        tick_labels=["squared\nerror", "absolute\nerror"],
        patch_artist=True,
        widths=0.5,
    )
    for patch, label in zip(boxes["boxes"], models, strict=True):
        patch.set_facecolor(colors[label])
        patch.set_alpha(0.5)
    ax.axhline(0.5, color="k", lw=1, ls=":", label="true slope")
    ax.set_title(titles[name])
axes[0].set_ylabel(f"fitted slope ({n_repeats} repetitions)")
axes[0].legend(loc="lower left", fontsize="small")
plt.show()

for name in noises:
    spread = {label: np.std(values) for label, values in slopes[name].items()}
    print(f"{name:>12}: " + ", ".join(f"std of slope, {k}: {v:.3f}" for k, v in spread.items()))

# %%
# Both estimators are unbiased for the slope here (the noise does not depend
# on :math:`x`), but on heavy-tailed noise and with outliers the median line
# is several times less variable. On the exponential noise the two are
# comparable. The loss is a modelling decision, not a detail: it picks the
# statistic you estimate and how much a single odd observation can move it.
