"""
=====================================
Choosing the loss by cross-validation
=====================================

In skloss the loss is an ordinary hyper-parameter. It can be a string or a
loss object, and a loss object's own parameters are reached as
``loss__<name>``, so a :class:`~sklearn.model_selection.GridSearchCV` can
search over losses, their parameters and the penalty ``alpha`` together,
inside a :class:`~sklearn.pipeline.Pipeline`, like any other setting.
"""

# %%
# Data with corrupted targets
# ---------------------------
# We use the bundled diabetes data set (442 patients, 10 features, a
# measure of disease progression as target) and hold out 30% of it for a
# final check. In the training part, 15% of the targets are corrupted, as if
# they had been recorded far too high. The test part stays clean: it is what
# we want to predict well.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skloss import LinearRegressor
from skloss.losses import Huber

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
rng = np.random.default_rng(0)
corrupted = rng.random(len(y_train)) < 0.15
y_train = y_train.copy()
y_train[corrupted] += rng.uniform(150, 400, size=corrupted.sum())
print(f"{corrupted.sum()} of {len(y_train)} training targets corrupted")

# %%
# The search
# ----------
# Two grids: the named losses ``"squared_error"`` and ``"absolute_error"``,
# and a :class:`~skloss.losses.Huber` loss object whose ``delta`` (the
# residual size, in units of the target, where it turns from quadratic to
# linear) is searched through ``model__loss__delta``. Both grids search
# ``alpha``. The cross-validation score is the mean absolute error, which the
# corrupted targets in the validation folds influence less than a squared
# error would.
pipeline = Pipeline([("scale", StandardScaler()), ("model", LinearRegressor())])
alphas = [0.0, 0.01, 0.1, 1.0, 10.0]
param_grid = [
    {"model__loss": ["squared_error", "absolute_error"], "model__alpha": alphas},
    {"model__loss": [Huber()], "model__loss__delta": [10.0, 30.0, 100.0], "model__alpha": alphas},
]
search = GridSearchCV(
    pipeline,
    param_grid,
    scoring="neg_mean_absolute_error",
    cv=KFold(n_splits=5, shuffle=True, random_state=0),
)
search.fit(X_train, y_train)

# %%
# The results table
# -----------------
# ``cv_results_`` holds one row per setting. The Huber rows show the loss
# object as it was put in the grid; the ``delta`` column says which copy of
# it was fitted.
results = pd.DataFrame(search.cv_results_)


def loss_label(row):
    loss = row["param_model__loss"]
    if isinstance(loss, str):
        return loss
    return f"huber, delta={row['param_model__loss__delta']:g}"


table = pd.DataFrame(
    {
        "loss": results.apply(loss_label, axis=1),
        "alpha": results["param_model__alpha"].astype(float),
        "CV mean abs. error": -results["mean_test_score"],
        "std": results["std_test_score"],
        "rank": results["rank_test_score"],
    }
).sort_values("rank")
print(table.head(10).to_string(index=False, float_format="{:.2f}".format))

# %%
# How the score depends on the loss and on ``alpha``:
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
positions = np.arange(len(alphas))
for label in results.apply(loss_label, axis=1).unique():  # in the order of the grid
    group = table[table["loss"] == label].sort_values("alpha")
    ax.plot(positions, group["CV mean abs. error"], "o-", label=label)
ax.set_xticks(positions, [f"{a:g}" for a in alphas])
ax.set_xlabel("alpha")
ax.set_ylabel("cross-validated mean absolute error")
ax.set_title("Grid search over losses and alpha")
ax.legend()
plt.show()

# %%
# Two things stand out. The robust losses (absolute error, Huber with a
# small ``delta``) beat the squared error, which chases the corrupted
# targets. And the best ``alpha`` depends on the loss: the penalty is added
# to the *mean loss*, and a squared error (in squared units of the target)
# is thousands of times larger than an absolute error (in units of the
# target), so the same ``alpha`` regularises the absolute-error model far
# more. That is why the loss and ``alpha`` are searched together.
#
# The chosen model
# ----------------
# ``best_estimator_`` is the whole pipeline refitted on all the training
# data with the best setting. (``best_params_`` prints the Huber object as it
# sits in the grid, with its default ``delta``; the fitted copy, ``loss_``,
# carries the chosen one.) On the clean test set we compare it with a
# plain least-squares fit on the same corrupted training data.
print("best setting:", search.best_params_)
best = search.best_estimator_
print("loss of the refitted model:", best.named_steps["model"].loss_)
least_squares = Pipeline([("scale", StandardScaler()), ("model", LinearRegressor())])
least_squares.fit(X_train, y_train)
predictions = {
    f"chosen: {loss_label(results.iloc[search.best_index_])}, "
    f"alpha={search.best_params_['model__alpha']:g}": best.predict(X_test),
    "squared error, alpha=0": least_squares.predict(X_test),
}
for label, prediction in predictions.items():
    print(f"{label:<36} test mean absolute error {mean_absolute_error(y_test, prediction):.1f}")

fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
for (label, prediction), marker in zip(predictions.items(), ["o", "x"], strict=True):
    error = mean_absolute_error(y_test, prediction)
    ax.scatter(y_test, prediction, s=18, marker=marker, label=f"{label} (MAE {error:.1f})")
lims = [0, 350]
ax.plot(lims, lims, color="0.5", lw=1)
ax.set_xlim(lims)
ax.set_ylim(lims)
ax.set_xlabel("true target (clean test set)")
ax.set_ylabel("prediction")
ax.legend(loc="upper left", fontsize="small")
plt.show()

# %%
# The least-squares predictions sit above the diagonal: the corrupted
# targets pulled the fitted conditional mean upwards. The model chosen by the
# grid search predicts the clean targets markedly better.
