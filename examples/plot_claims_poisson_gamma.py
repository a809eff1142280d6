"""
===================================================================
Claim frequency and severity: Poisson and Gamma vs squared error
===================================================================

An insurer prices a policy from two models: how often it has claims (the
*frequency*, claims per year of cover) and how large a claim is (the
*severity*). Frequencies are counts over an exposure, severities are
positive and skewed, and both depend on the features multiplicatively.
The Poisson and Gamma losses on the log output unit
(:class:`~skloss.losses.Exp`) model exactly that; squared error on the
identity unit assumes additive effects and constant noise. Here both are
fitted to the same simulated portfolio and compared decile by decile on
held-out policies.
"""

# %%
# A simulated portfolio
# ---------------------
# 100,000 policies with three standardised features (think driver age,
# vehicle power and population density), an exposure between one month and
# a year, a Poisson number of claims whose yearly rate is log-linear in the
# features, and Gamma claim amounts (shape 2, so a coefficient of variation
# of 0.7) whose mean is log-linear in the features too.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import mean_gamma_deviance, mean_poisson_deviance
from sklearn.model_selection import train_test_split

from skloss import LinearRegressor

rng = np.random.default_rng(0)
n = 100_000
X = rng.normal(size=(n, 3))
X[:, 1] += 0.5 * X[:, 0]  # correlated features, as in real portfolios
exposure = rng.uniform(1 / 12, 1.0, size=n)
frequency = np.exp(-2.3 + X @ [0.5, 0.35, -0.25])  # claims per year
claims = rng.poisson(exposure * frequency)
mean_amount = np.exp(7.5 + X @ [-0.1, 0.4, 0.2])
# The average of k Gamma(2) amounts is Gamma(2k) with the same mean.
shape = 2 * np.maximum(claims, 1)
average_amount = np.where(claims > 0, rng.gamma(shape, mean_amount / shape), 0.0)

train, test = train_test_split(np.arange(n), test_size=0.5, random_state=0)
print(
    f"{claims.sum()} claims on {exposure.sum():.0f} policy-years; {np.mean(claims > 0):.1%} "
    "of policies have one"
)

# %%
# Frequency: Poisson with an exposure offset
# ------------------------------------------
# The textbook frequency model is a Poisson regression of the claim count
# :math:`N_i` with an *offset* :math:`\log e_i`: :math:`N_i \sim
# \text{Poisson}(e_i \mu_i)`, :math:`\log \mu_i = x_i w + b`, so the raw
# output is :math:`z_i = x_i w + b + \log e_i`. ``fit`` takes the offset
# directly, and ``predict`` without one gives the yearly rate
# :math:`\mu_i` (with ``offset=np.log(exposure)``, the expected count).
log_exposure = np.log(exposure)
poisson = LinearRegressor(loss="poisson").fit(X[train], claims[train], offset=log_exposure[train])
print("true frequency coefficients:  [ 0.5   0.35 -0.25]")
print("Poisson, exp(coef) multiplies the rate per unit of feature:")
print("  coef:", poisson.coef_.round(3))

# %%
# The same model is a Poisson regression of the rate :math:`N_i / e_i` with
# sample weights :math:`e_i`: the two objectives differ by terms free of the
# coefficients (and, for the mean loss, by the factor
# :math:`\sum_i e_i / n`, which only rescales ``alpha``),
#
# .. math::
#
#     \sum_i \bigl(e_i \mu_i - N_i \log(e_i \mu_i)\bigr)
#     = \sum_i e_i \Bigl(\mu_i - \frac{N_i}{e_i} \log \mu_i\Bigr)
#       - \sum_i N_i \log e_i .
#
# Squared error has no such offset on the log scale, so it is fitted to the
# rates with the exposure as weights.
rate = claims / exposure
by_rate = LinearRegressor(loss="poisson").fit(X[train], rate[train], sample_weight=exposure[train])
difference = np.max(np.abs(by_rate.coef_ - poisson.coef_))
print(f"offset vs rate with weights: coefficients {difference:.0e} apart (tol=1e-5)")
frequency_models = {
    "poisson": poisson,
    "squared_error": LinearRegressor().fit(X[train], rate[train], sample_weight=exposure[train]),
}

# %%
# Severity: Gamma, weighted by the number of claims
# -------------------------------------------------
# Only policies with claims say anything about claim size. The average
# amount of a policy with :math:`k` claims is the mean of :math:`k` claims,
# so it gets the sample weight :math:`k`: the Gamma likelihood of the
# average with weight :math:`k` is that of the individual claims, up to
# terms free of the coefficients.
has_claims = claims > 0
train_claims, test_claims = train[has_claims[train]], test[has_claims[test]]
severity_models = {
    loss: LinearRegressor(loss=loss).fit(
        X[train_claims], average_amount[train_claims], sample_weight=claims[train_claims]
    )
    for loss in ["gamma", "squared_error"]
}
print("true severity coefficients:   [-0.1   0.4   0.2 ]")
print("Gamma coef:", severity_models["gamma"].coef_.round(3))

# %%
# Held-out scores
# ---------------
# The Poisson and Gamma deviances are the losses the log-link models
# minimise (twice, up to a constant); they are undefined for a negative
# prediction, which squared error produces for low-risk policies.
for name, models, rows, target, weight, deviance in [
    ("frequency", frequency_models, test, rate, exposure, mean_poisson_deviance),
    ("severity", severity_models, test_claims, average_amount, claims, mean_gamma_deviance),
]:
    for loss, model in models.items():
        predicted = model.predict(X[rows])
        negative = np.mean(predicted <= 0)
        score = (
            f"{deviance(target[rows], predicted, sample_weight=weight[rows]):.4f}"
            if negative == 0
            else "undefined"
        )
        print(f"{name:9s} {loss:13s} deviance {score:>9s}, {negative:.1%} predictions <= 0")

# %%
# Observed vs predicted, by decile of the prediction
# --------------------------------------------------
# Sort the held-out policies by their prediction, cut them into ten groups
# of equal weight (exposure for frequency, claims for severity), and compare
# each group's observed mean with its mean prediction. A calibrated model
# lies on the diagonal. The log-link models follow it from the safest to
# the riskiest decile. Squared error, linear where the truth is
# exponential, predicts negative frequencies for its safest decile,
# overestimates the middle deciles and underestimates the riskiest one,
# where most of the claims cost is.


def deciles(predicted, observed, weight):
    order = np.argsort(predicted)
    cumulative = np.cumsum(weight[order]) / weight.sum()
    group = np.minimum((cumulative * 10).astype(int), 9)
    mean = [
        [
            np.average(values[order][group == g], weights=weight[order][group == g])
            for g in range(10)
        ]
        for values in (predicted, observed)
    ]
    return np.array(mean)


fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
panels = [
    (axes[0], "Claim frequency (claims per year)", frequency_models, test, rate, exposure),
    (axes[1], "Claim severity (mean amount)", severity_models, test_claims, average_amount, claims),
]
for ax, title, models, rows, target, weight in panels:
    for (loss, model), marker in zip(models.items(), ["o", "s"], strict=True):
        predicted, observed = deciles(model.predict(X[rows]), target[rows], weight[rows])
        ax.plot(predicted, observed, marker=marker, label=loss)
    low, high = ax.get_xlim()
    ax.plot([low, high], [low, high], color="grey", linestyle=":", label="calibrated")
    ax.set(title=title, xlabel="mean prediction in the decile", ylabel="observed mean")
    ax.legend()
fig.tight_layout()
plt.show()

# %%
# The pure premium, the expected cost per year of cover, is the product of
# the two models' predictions. A single :class:`~skloss.losses.TweedieNLL`
# model with a power between 1 and 2 (``loss="tweedie"``) fits the cost per
# year directly, zeros included.
pure_premium = frequency_models["poisson"].predict(X[test]) * severity_models["gamma"].predict(
    X[test]
)
cost_rate = claims * average_amount / exposure
tweedie = LinearRegressor(loss="tweedie").fit(
    X[train], cost_rate[train], sample_weight=exposure[train]
)
observed = np.sum(cost_rate[test] * exposure[test]) / exposure[test].sum()
for label, predicted in [
    ("frequency x severity", pure_premium),
    ("Tweedie, power 1.5", tweedie.predict(X[test])),
]:
    print(f"{label:20s} {np.average(predicted, weights=exposure[test]):7.1f}")
print(f"{'observed':20s} {observed:7.1f}  (cost per policy-year)")
