r"""
============================================
Softmax classification of handwritten digits
============================================

:class:`~skloss.SoftmaxClassifier` models the class of an example as one
draw from a categorical (multinoulli) distribution whose probabilities are
the softmax of ten linear logits, :math:`P(y = k \mid x) =
\operatorname{softmax}(xW + b)_k`. Trained with the log-loss it is
multinomial logistic regression, the same model as scikit-learn's
:class:`~sklearn.linear_model.LogisticRegression`; this example checks that
on the bundled digits data set, then looks at what the model predicts.
"""

# %%
# The data and the two models
# ---------------------------
# 1797 grey-scale images of 8 x 8 pixels, one feature per pixel, which we
# standardise in a pipeline (both optimizers converge far faster on
# standardised features; the model is the same up to that rescaling). skloss
# writes the penalty on the *mean* loss, :math:`\frac{\alpha}{2}\|W\|^2`;
# scikit-learn writes :math:`C` times the *summed* loss plus
# :math:`\frac{1}{2}\|W\|^2`. Dividing the latter by :math:`C n` shows they are
# the same objective when :math:`C = 1 / (\alpha n)`, with :math:`n` the
# number of training samples.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skloss import SoftmaxClassifier

X, y = load_digits(return_X_y=True)
images = load_digits().images
X_train, X_test, y_train, y_test, _, images_test = train_test_split(
    X, y, images, test_size=0.3, stratify=y, random_state=0
)

alpha = 1e-3
n_train = len(y_train)
models = {
    "skloss SoftmaxClassifier": make_pipeline(
        StandardScaler(), SoftmaxClassifier(alpha=alpha, tol=1e-8)
    ),
    "scikit-learn LogisticRegression": make_pipeline(
        StandardScaler(), LogisticRegression(C=1 / (alpha * n_train), tol=1e-8, max_iter=5000)
    ),
}
proba = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    proba[name] = model.predict_proba(X_test)
    print(
        f"{name:<32} test accuracy "
        f"{accuracy_score(y_test, model.predict(X_test)):.4f}, "
        f"test log-loss {log_loss(y_test, proba[name]):.4f}"
    )

skloss_model = models["skloss SoftmaxClassifier"]
skloss_proba, sklearn_proba = proba.values()
difference = np.abs(skloss_proba - sklearn_proba).max()
print(f"largest difference in predicted probability: {difference:.1e}")

# %%
# The two models agree to the precision of the optimizers: every predicted
# probability on the test set lies on the diagonal.
fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.plot([0, 1], [0, 1], color="0.7", lw=1)
ax.scatter(sklearn_proba.ravel(), skloss_proba.ravel(), s=4, alpha=0.5)
ax.set_xlabel("LogisticRegression: predicted probability")
ax.set_ylabel("SoftmaxClassifier: predicted probability")
ax.set_title("Same objective, same probabilities")
plt.show()

# %%
# Which digits are confused?
# --------------------------
# The confusion matrix counts, for each true digit (rows), the predicted
# digit (columns) on the test set.
fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
ConfusionMatrixDisplay.from_predictions(
    y_test, skloss_model.predict(X_test), ax=ax, colorbar=False, cmap="Blues"
)
ax.set_title("SoftmaxClassifier on the test set")
plt.show()

# %%
# Predicted probabilities
# -----------------------
# A probabilistic classifier says how sure it is. Below are the four test
# images the model is most sure about and the four it is least sure about
# (smallest top probability), each with its ten predicted probabilities; the
# bar of the true digit is drawn in orange.
# sphinx_gallery_thumbnail_number = 3
classes = skloss_model.classes_
confidence = skloss_proba.max(axis=1)
order = np.argsort(confidence)
chosen = np.concatenate([order[-4:][::-1], order[:4]])

fig, axes = plt.subplots(2, 8, figsize=(13, 3.8), layout="constrained", height_ratios=[1, 1])
for column, index in enumerate(chosen):
    ax_image, ax_bar = axes[:, column]
    ax_image.imshow(images_test[index], cmap="gray_r")
    ax_image.set_axis_off()
    predicted = classes[np.argmax(skloss_proba[index])]
    ax_image.set_title(f"true {y_test[index]}, pred {predicted}", fontsize="small")
    bar_colors = ["C1" if k == y_test[index] else "C0" for k in classes]
    ax_bar.bar(classes, skloss_proba[index], color=bar_colors)
    ax_bar.set_ylim(0, 1)
    ax_bar.set_xticks(classes)
    ax_bar.tick_params(labelsize=7)
    if column:
        ax_bar.set_yticklabels([])
axes[1, 0].set_ylabel("probability")
fig.suptitle("Most confident (left four) and least confident (right four) test predictions")
plt.show()

# %%
# The uncertain cases are the ones a person would hesitate over too, and the
# probability mass goes to plausible alternatives. Because the model is fitted
# by maximum likelihood, these probabilities are meant to be read as
# probabilities, not just ranked: the test log-loss above measures how well
# they do.
