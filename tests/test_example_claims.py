"""What the gallery's text says about its results, checked here rather than in the examples.

Each test rebuilds an example's data (same generator and seeds) and checks
the outcome its prose describes, so the examples stay free of build checks.
"""

import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skloss import LinearRegressor, SigmoidClassifier
from skloss.losses import Huber, Loss


class Cauchy(Loss):
    """The Cauchy loss of examples/plot_custom_loss.py."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def loss(self, y, raw):
        r = (raw - y) / self.scale
        return 0.5 * self.scale**2 * np.sum(np.log1p(r**2), axis=1)

    def gradient(self, y, raw):
        r = raw - y
        return r / (1.0 + (r / self.scale) ** 2)

    def init_raw(self, y, sample_weight):
        return np.median(y, axis=0)


def _line_with_one_sided_gross_errors():
    """plot_custom_loss.py's data: a line, half the points beyond x = 6 pulled down."""
    rng = np.random.default_rng(0)
    rng.normal(size=(2, 100))  # the example's gradient-check points come first
    x = rng.uniform(0, 10, size=200)
    y = 1.0 + 2.0 * x + rng.normal(scale=0.5, size=200)
    outliers = (x > 6) & (rng.random(200) < 0.5)
    y[outliers] -= rng.uniform(8, 14, size=outliers.sum())
    return x[:, np.newaxis], y


def test_narrow_cauchy_fit_is_better_started_from_huber():
    # plot_custom_loss.py: "L-BFGS can stop in a poor local minimum ... start
    # from a convex robust fit ... the second minimum is the better one".
    X, y = _line_with_one_sided_gross_errors()
    narrow = LinearRegressor(loss=Cauchy(scale=0.3)).fit(X, y)
    huber = LinearRegressor(loss=Huber(delta=1.0)).fit(X, y)
    warm = LinearRegressor(loss=Cauchy(scale=0.3), warm_start=True)
    warm.coef_, warm.intercept_ = huber.coef_.copy(), huber.intercept_
    warm.fit(X, y)
    assert warm.objective_ < narrow.objective_ - 0.01
    assert abs(warm.coef_[0] - 2.0) < 0.1  # the true slope


def test_log_loss_recovers_from_a_confidently_wrong_start_and_squared_error_does_not():
    # plot_saturation.py, same data and start.
    X, y = make_classification(n_samples=500, n_features=5, n_informative=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    alpha = 1e-3
    good = SigmoidClassifier(alpha=alpha).fit(X, y)
    fitted = {}
    for loss in ("log_loss", "squared_error"):
        model = SigmoidClassifier(loss=loss, alpha=alpha, warm_start=True)
        model.coef_, model.intercept_ = -300 * good.coef_, -300 * good.intercept_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted[loss] = model.fit(X, y).score(X, y)
    assert fitted["log_loss"] > 0.8 > 0.6 > fitted["squared_error"]
