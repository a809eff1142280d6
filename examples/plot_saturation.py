r"""
==================================================
Why log-loss: squared error on a sigmoid saturates
==================================================

A sigmoid classifier predicts :math:`p = \sigma(z)` from a logit :math:`z`.
It can be trained with the Bernoulli log-loss (the negative log-likelihood,
:class:`~skloss.losses.BernoulliLogLoss`) or with the squared error between
:math:`p` and the 0/1 label (:class:`~skloss.losses.SigmoidSquaredError`).
Both are minimised by the true probability, yet they behave very differently
when the model is confidently wrong, because of what their gradients do
there.
"""

# %%
# The gradient with respect to the logit
# --------------------------------------
# For a positive example (:math:`y = 1`) the two losses and their derivatives
# with respect to the logit are
#
# .. math::
#
#     l_{\log}(z) = \log(1 + e^{-z}), \qquad
#     \frac{\partial l_{\log}}{\partial z} = \sigma(z) - 1,
#
#     l_{\mathrm{sq}}(z) = \tfrac{1}{2}(\sigma(z) - 1)^2, \qquad
#     \frac{\partial l_{\mathrm{sq}}}{\partial z} = (\sigma(z) - 1)\,\sigma(z)(1 - \sigma(z)).
#
# The log-loss gradient tends to :math:`-1` as the logit goes to
# :math:`-\infty`: the more wrong the model, the steadier the push back. The
# squared-error gradient carries the extra factor :math:`\sigma(z)(1 -
# \sigma(z))`, which vanishes exponentially: a confidently wrong prediction
# gets almost no correction at all. We evaluate both with the loss objects
# themselves.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from skloss import SigmoidClassifier
from skloss.losses import BernoulliLogLoss, SigmoidSquaredError

logits = np.linspace(-15, 15, 601)[:, np.newaxis]
positive = np.ones_like(logits)
losses = {"log-loss": BernoulliLogLoss(), "squared error": SigmoidSquaredError()}
colors = {"log-loss": "C0", "squared error": "C3"}

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for name, loss in losses.items():
    ax_loss.plot(logits, loss.loss(positive, logits), color=colors[name], lw=2, label=name)
    gradient = np.abs(loss.gradient(positive, logits))
    ax_grad.semilogy(logits, gradient, color=colors[name], lw=2, label=name)
ax_loss.set_xlabel("logit z (the label is y = 1)")
ax_loss.set_ylabel("loss")
ax_loss.set_title("Loss of a positive example")
ax_loss.set_ylim(0, 6)
ax_grad.set_xlabel("logit z (the label is y = 1)")
ax_grad.set_ylabel(r"$|\partial l / \partial z|$")
ax_grad.set_title("Gradient magnitude: the learning signal")
ax_grad.axvspan(-15, -4, color="0.92")
ax_grad.text(-9.5, 1e-5, "confidently\nwrong", ha="center")
for ax in (ax_loss, ax_grad):
    ax.legend()
plt.show()

# %%
# Training from a confidently wrong start
# ---------------------------------------
# Now a real fit. We take a binary problem, find good weights with log-loss,
# and flip them, scaled up 300 times: the starting model is confidently
# wrong on almost every example. Both classifiers then start from exactly
# these weights: with ``warm_start=True``, a fit starts from the ``coef_``
# and ``intercept_`` the estimator holds, so we set them before calling
# ``fit``.
#
# To see a training curve, we fit from the same start with
# ``max_iter = 1, 2, 3, ...``. L-BFGS is deterministic, so the fit with
# ``max_iter=k`` is the k-th iterate of one and the same run. Those short
# fits stop before convergence on purpose, so we silence their
# :class:`~sklearn.exceptions.ConvergenceWarning`.
X, y = make_classification(n_samples=500, n_features=5, n_informative=3, random_state=0)
X = StandardScaler().fit_transform(X)
alpha = 1e-3
good = SigmoidClassifier(alpha=alpha).fit(X, y)
print(f"log-loss fit from scratch: accuracy {good.score(X, y):.3f}")


def fit_from(loss, coef, intercept, max_iter):
    """Fit a SigmoidClassifier starting from the given weights."""
    model = SigmoidClassifier(loss=loss, alpha=alpha, warm_start=True, max_iter=max_iter)
    model.coef_, model.intercept_ = coef.copy(), intercept.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def scores(model):
    """Training cross-entropy and accuracy of a fitted model."""
    return log_loss(y, model.predict_proba(X)), model.score(X, y)


confidence = 300
bad_coef, bad_intercept = -confidence * good.coef_, -confidence * good.intercept_
start = SigmoidClassifier().fit(X, y)  # any fitted classifier, to score the bad start
start.coef_, start.intercept_ = bad_coef, bad_intercept
print("bad start: cross-entropy {:.1f}, accuracy {:.3f}".format(*scores(start)))


def training_curve(loss, coef, intercept, n_steps):
    """Cross-entropy, accuracy and iterations run, from the start (row 0) to n_steps."""
    history = [(*scores(start), 0)]
    for max_iter in range(1, n_steps + 1):
        model = fit_from(loss, coef, intercept, max_iter)
        history.append((*scores(model), model.n_iter_))
    return np.array(history), model


n_steps = 40
curves, fitted = {}, {}
for name, loss in (("log-loss", "log_loss"), ("squared error", "squared_error")):
    curves[name], fitted[name] = training_curve(loss, bad_coef, bad_intercept, n_steps)
    # The full fit, to convergence, and whether it warned.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = fit_from(loss, bad_coef, bad_intercept, max_iter=1000)
    print(
        f"{name:>13}: stopped after {model.n_iter_} iterations "
        f"({len(caught)} convergence warnings), accuracy {model.score(X, y):.3f}, "
        f"intercept {model.intercept_[0]:.1f}, largest |coef| {np.abs(model.coef_).max():.3f}, "
        f"largest P(y=1) {model.predict_proba(X)[:, 1].max():.1e}"
    )

# %%
# Both curves are measured with the same yardstick, the cross-entropy (the
# log-loss) of the predicted probabilities, whichever loss was minimised.
iterations = np.arange(n_steps + 1)
fig, (ax_ce, ax_acc) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for name, curve in curves.items():
    ax_ce.semilogy(iterations, curve[:, 0], "o-", ms=3, color=colors[name], label=name)
    ax_acc.plot(iterations, curve[:, 1], "o-", ms=3, color=colors[name], label=name)
    stop = int(curve[-1, 2])
    ax_ce.axvline(stop, color=colors[name], ls=":", lw=1)
ax_ce.set_xlabel("L-BFGS iterations (0: the start)")
ax_ce.set_ylabel("training cross-entropy")
ax_ce.set_title("Training curves from a confidently wrong start")
ax_acc.set_xlabel("L-BFGS iterations (0: the start)")
ax_acc.set_ylabel("training accuracy")
ax_acc.set_ylim(0, 1)
ax_acc.set_title("Dotted lines (left): where each fit stopped")
for ax in (ax_ce, ax_acc):
    ax.legend()
plt.show()

# %%
# The log-loss fit climbs out of the bad start within a couple of dozen
# iterations and reaches the same model as a fit from scratch. The
# squared-error fit lands on a plateau: its weights shrink to almost zero
# and its intercept runs off to a large negative value, so every example gets
# a vanishing probability of being positive. The negative half of the data
# is then right, the positive half confidently wrong, and all of it
# saturated: the loss has no gradient left to speak of. L-BFGS stops and
# **reports convergence**, no warning raised, with half of the training set
# misclassified. Nothing about the optimizer is broken: the loss simply
# gives it no signal.
#
# How bad must the start be?
# --------------------------
# Finally we start from ``-s`` times the good weights for increasing
# confidence ``s``. Left: the largest entry of the gradient of the mean loss
# with respect to the weights, at the start, computed with the loss objects
# (:math:`X^\top g / n` for the per-sample gradients :math:`g`, and their
# mean for the intercept). Right: the training accuracy after a fit to
# convergence from that start.
scales = [1, 3, 10, 30, 100, 300, 1000, 3000]
targets = y[:, np.newaxis].astype(float)
start_gradient = {name: [] for name in losses}
final = {name: [] for name in losses}
for s in scales:
    coef, intercept = -s * good.coef_, -s * good.intercept_
    raw = X @ coef.T + intercept
    for name, loss in losses.items():
        g = loss.gradient(targets, raw) / len(y)
        start_gradient[name].append(max(np.abs(X.T @ g).max(), abs(g.sum())))
    for name, loss in (("log-loss", "log_loss"), ("squared error", "squared_error")):
        final[name].append(fit_from(loss, coef, intercept, max_iter=1000).score(X, y))

fig, (ax_grad, ax_final) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for name in losses:
    ax_grad.loglog(scales, start_gradient[name], "o-", color=colors[name], label=name)
    ax_final.semilogx(scales, final[name], "o-", color=colors[name], label=name)
ax_grad.set_xlabel("confidence of the wrong start, s")
ax_grad.set_ylabel("largest gradient entry at the start")
ax_grad.set_title("The learning signal at the start")
ax_final.set_xlabel("confidence of the wrong start, s")
ax_final.set_ylabel("training accuracy after the fit")
ax_final.set_ylim(0, 1)
ax_final.set_title("Where the fit ends")
for ax in (ax_grad, ax_final):
    ax.legend()
plt.show()

for name in losses:
    print(
        f"{name:>13}: "
        + ", ".join(f"s={s}: {a:.2f}" for s, a in zip(scales, final[name], strict=True))
    )

# %%
# The log-loss gradient does not depend on how wrong the start is: about
# one unit of push per misclassified example, whatever the confidence. The
# squared-error gradient falls by orders of magnitude as the start grows
# more confident. L-BFGS rescales its steps, so a small but informative
# gradient does not stop it by itself, and from mild starts the squared
# error recovers too. Once the start is confident enough, it ends on the
# saturated plateau; the log-loss, convex and never saturating, reaches the
# same optimum from every start.
