r"""Bread and meat of the sandwich covariance, from one pass over the rows of X.

With :math:`\theta` the parameters (intercept first, then coefficients,
output after output), :math:`\psi_i = g_i \otimes \tilde x_i` the gradient of
sample :math:`i`'s loss in :math:`\theta` (:math:`g_i` its gradient in the
raw output) and :math:`s_i` the sample weights,

- the bread is the Hessian of the penalised total loss,
  :math:`A = \sum_i s_i H_i \otimes \tilde x_i \tilde x_i^T + S \alpha P`,
  :math:`S = \sum_i s_i` and :math:`P` the identity on the coefficients
  and zero on the intercepts;
- the meat is :math:`B = \sum_i s_i \psi_i \psi_i^T` (robust),
  :math:`\sum_g u_g u_g^T` with :math:`u_g = \sum_{i \in g} s_i \psi_i`
  (cluster), or the model's own :math:`\phi \sum_i s_i H_i \otimes \tilde x_i
  \tilde x_i^T` (model, :math:`\phi` the dispersion).

For a loss with its kink at the target the Hessian is replaced by Powell's
kernel estimate (:mod:`skloss.inference._kernel`).
"""

from dataclasses import dataclass

import numpy as np

from ._hessian import per_sample_hessian
from ._kernel import bandwidths, epanechnikov, kink_slopes
from ._rows import kronecker_gram, linear_output, row_blocks, score_sums, weighted_gram

# Residuals within this fraction of the kernel bandwidth count as zero.
_AT_KINK = 1e-9


@dataclass
class Weights:
    """The sample weights, in the three roles they play.

    ``fit`` are the weights of the fitted objective (sample weights times
    any class weights); ``meat`` weigh the outer products of the gradients:
    sample weights count samples, class weights are importance weights and
    enter squared, so ``meat = fit * class weight``. ``n_samples`` is the
    sum of the sample weights.
    """

    fit: np.ndarray
    meat: np.ndarray
    n_samples: float


@dataclass
class Sandwich:
    """Bread, meat and what was measured along the way."""

    bread: np.ndarray
    meat: np.ndarray
    # sum_i s_i psi_i plus the penalty's gradient, zero at the optimum of a
    # smooth loss; None for a kinked loss, whose optimum is not stationary.
    score: np.ndarray | None
    description: str


def raw_output(X, model):
    """The fitted raw output ``X coef + intercept``, computed a block at a time."""
    raw = np.empty((X.shape[0], model.coef.shape[1]))
    for rows, block in row_blocks(X):
        raw[rows] = linear_output(block, model.coef, model.intercept)
    return raw


def smooth_sandwich(X, target, raw, weights, model, cov_type, groups, n_groups):
    """The sandwich of a smooth loss, from its per-sample gradients and Hessians."""
    loss, fit_intercept = model.loss, model.fit_intercept
    estimate_dispersion = cov_type == "model" and loss.has_dispersion
    hessian_sum = meat = score = group_scores = pearson = 0.0
    for rows, block in row_blocks(X):
        y, z, weight = target[rows], raw[rows], weights.fit[rows]
        gradient = np.asarray(loss.gradient(y, z), dtype=np.float64)
        hessian = per_sample_hessian(loss, y, z)
        hessian_sum = hessian_sum + kronecker_gram(
            block, hessian * weight[:, np.newaxis, np.newaxis], fit_intercept
        )
        scores = gradient * weight[:, np.newaxis]
        score = score + score_sums(block, scores, fit_intercept)[0]
        if cov_type == "robust":
            outer = gradient[:, :, np.newaxis] * gradient[:, np.newaxis, :]
            outer *= weights.meat[rows, np.newaxis, np.newaxis]
            meat = meat + kronecker_gram(block, outer, fit_intercept)
        elif cov_type == "cluster":
            group_scores = group_scores + score_sums(
                block, scores, fit_intercept, groups[rows], n_groups
            )
        elif cov_type == "model" and weights.meat is not weights.fit:
            # Under the model the expected outer product of a gradient is the Hessian.
            expected_outer = hessian * weights.meat[rows, np.newaxis, np.newaxis]
            meat = meat + kronecker_gram(block, expected_outer, fit_intercept)
        if estimate_dispersion:
            pearson = pearson + _pearson_terms(loss, y, z, gradient, weight)
    penalty = _penalty(model, float(np.sum(weights.fit)))
    if cov_type == "cluster":
        meat = group_scores.T @ group_scores
    elif cov_type == "model":
        if weights.meat is weights.fit:
            meat = hessian_sum
        if estimate_dispersion:
            scale = np.sqrt(_dispersion(pearson, weights.n_samples, model))
            meat = meat * scale[:, np.newaxis] * scale[np.newaxis, :]
    return Sandwich(
        bread=hessian_sum + np.diag(penalty),
        meat=meat,
        score=score + penalty * model.parameters(),
        description=_SMOOTH_DESCRIPTIONS[cov_type],
    )


_SMOOTH_DESCRIPTIONS = {
    "robust": "sandwich A^-1 B A^-1 (heteroscedasticity-robust)",
    "model": "inverse Hessian (model-based)",
    "cluster": "cluster-robust sandwich",
}


def kink_sandwich(X, target, raw, weights, model, cov_type, groups, n_groups):
    """Powell's kernel sandwich of a loss with its kink at the target."""
    loss, fit_intercept = model.loss, model.fit_intercept
    n_outputs = raw.shape[1]
    jump, tau = kink_slopes(loss, n_outputs)
    residual = target - raw
    width = bandwidths(residual, target, weights.fit, tau)
    total_weight = float(np.sum(weights.fit))
    gram = meat_gram = kernel_gram = group_scores = 0.0
    for rows, block in row_blocks(X):
        weight = weights.fit[rows]
        gram = gram + weighted_gram(block, weight, fit_intercept)
        if weights.meat is not weights.fit:
            meat_gram = meat_gram + weighted_gram(block, weights.meat[rows], fit_intercept)
        if cov_type != "model":
            # K(e / h) / h estimates the density of each sample's residual at zero.
            density = epanechnikov(residual[rows] / width) / width
            diagonal = np.zeros((weight.size, n_outputs, n_outputs))
            diagonal[:, np.arange(n_outputs), np.arange(n_outputs)] = (
                weight[:, np.newaxis] * jump * density
            )
            kernel_gram = kernel_gram + kronecker_gram(block, diagonal, fit_intercept)
        if cov_type == "cluster":
            gradient = np.asarray(loss.gradient(target[rows], raw[rows]), dtype=np.float64)
            # A fit interpolates some samples exactly, up to rounding: their
            # slope is any value between the two sides, and rounding would
            # pick one. Zero lies between them for every quantile.
            gradient[np.abs(residual[rows]) <= _AT_KINK * width] = 0.0
            group_scores = group_scores + score_sums(
                block, gradient * weight[:, np.newaxis], fit_intercept, groups[rows], n_groups
            )
    if cov_type == "model":
        # Residuals independent of x: one density at zero per output.
        density = weights.fit @ epanechnikov(residual / width) / (total_weight * width)
        hessian_sum = np.kron(np.diag(jump * density), gram)
        description = "kernel estimate, residuals independent of X (iid)"
    else:
        hessian_sum = kernel_gram
        description = "Powell's kernel sandwich"
    if cov_type == "cluster":
        meat = group_scores.T @ group_scores
        description = "Powell's kernel sandwich, cluster-robust"
    else:
        meat_gram = gram if weights.meat is weights.fit else meat_gram
        meat = np.kron(np.diag(jump**2 * tau * (1.0 - tau)), meat_gram)
    return Sandwich(
        bread=hessian_sum + np.diag(_penalty(model, total_weight)),
        meat=meat,
        score=None,
        description=f"{description}, Epanechnikov kernel, bandwidths {_format(width)}",
    )


def _format(values):
    return ", ".join(f"{value:.3g}" for value in values)


def _penalty(model, total_weight):
    """Diagonal of the penalty's Hessian on the total (not mean) loss."""
    n_features, n_outputs = model.coef.shape
    per_parameter = np.repeat(model.penalty[:, np.newaxis], n_features, axis=1)
    if model.fit_intercept:
        per_parameter = np.hstack([np.zeros((n_outputs, 1)), per_parameter])
    return total_weight * per_parameter.ravel()


def _pearson_terms(loss, y, raw, gradient, weight):
    """Per-output sums of ``s_i g_i^2 / h_i``, Pearson's statistic.

    ``h_i`` is the loss's curvature at ``y_i`` equal to the predicted mean:
    for the negative log-likelihood of an exponential-dispersion family at
    unit dispersion, ``g^2 / h`` is then ``(y - mu)^2 / V(mu)`` whatever the
    link.
    """
    mean = loss.output_unit(raw)
    curvature = np.diagonal(per_sample_hessian(loss, mean, raw), axis1=1, axis2=2)
    return weight @ (gradient * gradient / curvature)


def _dispersion(pearson, n_samples, model):
    """Dispersion per parameter: Pearson's statistic over n - p, per output."""
    n_features, n_outputs = model.coef.shape
    n_params = n_features + model.fit_intercept
    df_resid = n_samples - n_params
    # For squared error this is RSS / (n - p), as ordinary least squares has it.
    return np.repeat(pearson / df_resid, n_params)
