"""The objective every compared model minimises, recomputed from its coefficients.

Written here with plain numpy, independently of skloss, so that skloss and
its peers are scored by the same formula:
mean loss + alpha / 2 * ||coef||^2 (the intercept is not penalised).
"""

import numpy as np
from scipy.special import logsumexp


def _raw(X, coef, intercept):
    coef = np.atleast_2d(coef)
    return np.asarray(X @ coef.T) + np.atleast_1d(intercept)


def binary_log_loss(model, X, y, alpha):
    z = _raw(X, model.coef_, model.intercept_)[:, 0]
    positive = (y == model.classes_[1]).astype(float)
    return float(
        np.mean(np.logaddexp(0.0, z) - positive * z) + 0.5 * alpha * np.sum(model.coef_**2)
    )


def multinomial_log_loss(model, X, y, alpha):
    z = _raw(X, model.coef_, model.intercept_)
    codes = np.searchsorted(model.classes_, y)
    value = np.mean(logsumexp(z, axis=1) - z[np.arange(len(y)), codes])
    return float(value + 0.5 * alpha * np.sum(model.coef_**2))


def half_squared_error(model, X, y, alpha):
    z = _raw(X, model.coef_, model.intercept_)[:, 0]
    return float(0.5 * np.mean((y - z) ** 2) + 0.5 * alpha * np.sum(model.coef_**2))


def absolute_error(model, X, y, alpha):
    z = _raw(X, model.coef_, model.intercept_)[:, 0]
    return float(np.mean(np.abs(y - z)) + 0.5 * alpha * np.sum(model.coef_**2))
