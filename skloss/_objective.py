r"""The training objective of every skloss estimator, as a function of one vector.

.. math::

    F(W, b) = \underbrace{\frac{\sum_i s_i\, l(y_i, x_i W + b)}{\sum_i s_i}}_{\text{mean loss}}
        + \underbrace{\frac{\alpha}{2} \|W\|_F^2}_{\text{penalty}}

This module is the only place that multiplies by ``X`` during training.

The optimizer does not see ``(W, b)`` but ``theta = [V.ravel(), c]`` with
``W = V / sigma`` and ``b = c - mu W``, where ``mu`` are the weighted column
means of ``X`` and ``sigma = sqrt(std^2 + alpha)`` with ``std`` the weighted
column standard deviations. That is the model on standardised features,
computed without forming them (no copy of X, and sparse X stays sparse).
The objective is the same function of ``(W, b)``, so its minimiser does not
change; L-BFGS just sees a far better conditioned problem when features
have very different scales or means.
"""

import numpy as np
import scipy.sparse

# Rows per block when a pass over X would otherwise make a temporary copy.
_ROW_BLOCK = 4096


def column_moments(X, sample_weight):
    """Weighted column means and standard deviations of X, without copying X.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    mean, std : ndarrays of shape (n_features,)
    """
    weight = sample_weight / np.sum(sample_weight)
    mean = np.asarray(X.T @ weight.astype(X.dtype, copy=False), dtype=float).ravel()
    second = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], _ROW_BLOCK):
        block = X[start : start + _ROW_BLOCK]
        squared = block.multiply(block) if scipy.sparse.issparse(block) else block * block
        second += np.asarray(squared.T @ weight[start : start + _ROW_BLOCK], dtype=float).ravel()
    variance = np.maximum(second - mean**2, 0.0)
    return mean, np.sqrt(variance)


class LinearObjective:
    """Value and gradient of the penalised mean loss of a linear model.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
    loss : Loss
    sample_weight : ndarray of shape (n_samples,)
    alpha : float
    fit_intercept : bool
    """

    def __init__(self, X, y, loss, sample_weight, alpha, fit_intercept):
        self.X = X
        self.y = y
        self.loss = loss
        self.sample_weight = sample_weight
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_features = X.shape[1]
        self.n_outputs = y.shape[1]
        mean, std = column_moments(X, sample_weight)
        # Scale each coefficient by the square root of (an estimate of) its
        # Hessian diagonal, std^2 * curvature + alpha, taking the loss's
        # curvature as 1. Constant columns without a penalty keep scale 1.
        # Without an intercept the model cannot absorb a shift, so features
        # are then scaled but not centred.
        std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 0.0)
        scale = np.sqrt(std**2 + alpha)
        self._scale = np.where(scale > 0, scale, 1.0)
        self._shift = mean if fit_intercept else np.zeros(self.n_features)

    def pack(self, coef, intercept):
        """Optimizer vector from ``coef`` (n_features, n_outputs) and ``intercept``."""
        coef = np.asarray(coef, dtype=float).reshape(self.n_features, self.n_outputs)
        scaled = coef * self._scale[:, np.newaxis]
        shifted = np.ravel(intercept) + self._shift @ coef
        return np.concatenate([scaled.ravel(), shifted])

    def unpack(self, theta):
        """``(coef, intercept)`` of the model from the optimizer vector."""
        split = self.n_features * self.n_outputs
        coef = theta[:split].reshape(self.n_features, self.n_outputs) / self._scale[:, np.newaxis]
        if not self.fit_intercept:
            # The intercept entries are inert: the model has no intercept.
            return coef, np.zeros(self.n_outputs)
        return coef, theta[split:] - self._shift @ coef

    def raw_output(self, theta):
        """The raw output z = X W + b, of shape (n_samples, n_outputs)."""
        return self.raw_output_of(*self.unpack(theta))

    def raw_output_of(self, coef, intercept):
        """The raw output for explicit ``coef`` and ``intercept``."""
        # Multiply in X's precision: a float32 X is never upcast (copied).
        raw = self.X @ coef.astype(self.X.dtype, copy=False)
        return np.asarray(raw, dtype=float) + intercept

    def value(self, theta, loss=None):
        """Objective value, optionally under another loss (same X, y, alpha)."""
        loss = self.loss if loss is None else loss
        coef, intercept = self.unpack(theta)
        weight = self.sample_weight / np.sum(self.sample_weight)
        mean_loss = float(weight @ loss.loss(self.y, self.raw_output_of(coef, intercept)))
        return mean_loss + 0.5 * self.alpha * float(np.sum(coef**2))

    def value_and_gradient(self, theta, loss=None):
        """Objective value and its gradient with respect to ``theta``."""
        loss = self.loss if loss is None else loss
        coef, intercept = self.unpack(theta)
        mean_loss, raw_gradient = loss.loss_gradient(
            self.y, self.raw_output_of(coef, intercept), self.sample_weight
        )
        # Chain rule through z = X W + b: dW = X^T dz + alpha W, db = sum_i dz_i.
        coef_gradient = self.X.T @ raw_gradient.astype(self.X.dtype, copy=False)
        coef_gradient = np.asarray(coef_gradient, dtype=float)
        penalty = 0.0
        if self.alpha:
            penalty = 0.5 * self.alpha * float(np.sum(coef**2))
            coef_gradient += self.alpha * coef
        if self.fit_intercept:
            intercept_gradient = raw_gradient.sum(axis=0)
        else:
            intercept_gradient = np.zeros(self.n_outputs)
        # ... and through W = V / sigma, b = c - mu W.
        coef_gradient -= np.outer(self._shift, intercept_gradient)
        coef_gradient /= self._scale[:, np.newaxis]
        gradient = np.concatenate([coef_gradient.ravel(), intercept_gradient])
        return mean_loss + penalty, gradient
