r"""The objective contract, and its general and quadratic (Gram) implementations.

An *objective* is the function L-BFGS minimises: the problem's
(:class:`~skloss._core._problem.FitProblem`)

.. math::

    F(W, b) = \underbrace{\sum_i w_i\, l(y_i, x_i W + b + o_i)}_{\text{weighted mean loss}}
        + \underbrace{\frac{\alpha}{2} \|W\|_F^2}_{\text{penalty}}
        + \underbrace{\langle G, W \rangle + \langle g, b \rangle}_{\text{linear term, if any}}

for a loss ``l``, in the optimizer's coordinates ``theta``
(:mod:`~skloss._core._parametrisation`). Every objective has:

- ``problem``, ``loss``, ``parametrisation``;
- ``pack(coef, intercept) -> theta`` and ``unpack(theta) -> (coef, intercept)``,
  ``coef`` of shape (n_features, n_outputs), ``intercept`` (n_outputs,);
- ``theta_bounds()``: the problem's coefficient bounds on ``theta``, or None;
- ``raw_output(theta)``: ``X W + b + o`` of the problem's samples (``o`` the
  offsets, if any), (n_samples, n_outputs);
- ``value(theta, loss=None)`` and ``value_and_gradient(theta, loss=None)``:
  ``F`` (and its gradient in ``theta``) under ``loss``, the objective's own
  loss if None. The non-smooth machinery evaluates the same problem under
  smoothed versions of the loss this way;
- ``exact_value(theta)``: ``F`` under the objective's loss, by a pass over
  the data in float64 (what a fit reports as its objective);
- ``limitation()``: what the fit cannot resolve, for a warning, or None.

:class:`LinearObjective` evaluates any loss by a pass over the data source
per evaluation; :class:`QuadraticObjective` evaluates exactly the half
squared error from moments computed once (it accepts no other loss).
:func:`make_objective` picks the cheapest. This module is the only place
that multiplies by X during training, always through block kernels.
"""

import numpy as np

from ._blocks import times, transposed_times
from ._moments import centred_moments, column_means
from ._parametrisation import (
    MAX_DENSE_FEATURES,
    Reparametrisation,
    general_parametrisation,
)
from ._range_whitening import (
    RangeReparametrisation,
    diagonal_roots,
    whitening_reparametrisation,
)

# Gradients in z above this are scaled down before float32 products: far
# below float32's largest value (3.4e38, 2**128) so that sums over many rows
# of X stay in range too, far above what any fit at a sensible point has.
_FLOAT32_GRADIENT_LIMIT = 2.0**64

# Directions left out of a least-squares fit that might explain more than
# this share of the target's variance are reported: exactly dependent
# columns leave below 1e-12, float32 roundings of collinear columns 1e-7 to
# 1 (the estimate rests on eigenvalues at the Gram matrix's rounding).
_UNRESOLVED_SHARE = 1e-8


def _raw_output_kernel(block, coef, intercept):
    """``X_b W + b + o_b``, multiplied in X's precision (a float32 X is never upcast)."""
    # The sum is float64 whatever X's precision: adding the intercept upcasts.
    raw = np.add(times(block, coef), intercept, dtype=float)
    if block.offset is not None:
        raw += block.offset
    return raw


def _value_kernel(block, coef, intercept, loss):
    """The block's weighted loss sum."""
    raw = _raw_output_kernel(block, coef, intercept)
    return (float(block.weight @ loss.loss(block.y, raw)),)


def _value_and_gradient_kernel(block, coef, intercept, loss):
    """The block's weighted loss sum and its gradient in ``(W, b)``."""
    raw = _raw_output_kernel(block, coef, intercept)
    value, raw_gradient = loss._weighted_loss_gradient(block.y, raw, block.weight)
    # Chain rule through z = X W + b: dW = X^T dz, db = sum_i dz_i.
    return value, _transposed_times_in_range(block, raw_gradient), raw_gradient.sum(axis=0)


def _exact_value_kernel(block, coef, intercept, loss):
    """The block's weighted loss sum, with the raw output computed in float64."""
    raw = np.asarray(block.X @ coef, dtype=float)
    raw += intercept
    if block.offset is not None:
        raw += block.offset
    return (float(block.weight @ loss.loss(block.y, raw)),)


def _transposed_times_in_range(block, gradient):
    """``X_b^T G`` in X's precision, with ``G`` cast into float32's range first if needed.

    A likelihood's gradient at a trial point of the line search (a tiny
    variance, say) can exceed float32's largest value though the float64
    objective is finite: it is then multiplied scaled by a power of two,
    which is exact, and scaled back in float64.
    """
    if block.X.dtype == np.float64:
        return transposed_times(block, gradient)
    largest = float(np.max(np.abs(gradient), initial=0.0))
    if not np.isfinite(largest) or largest <= _FLOAT32_GRADIENT_LIMIT:
        return transposed_times(block, gradient)
    shift = int(np.frexp(largest)[1] - np.frexp(_FLOAT32_GRADIENT_LIMIT)[1])
    product = transposed_times(block, np.ldexp(gradient, -shift))
    return np.ldexp(np.asarray(product, dtype=float), shift)


def _coef_gradient_kernel(block, raw_gradient):
    """``X_b^T G_b`` for a per-sample gradient ``G`` of all samples."""
    return (_transposed_times_in_range(block, raw_gradient[block.rows]),)


class Objective:
    """What every objective shares: coordinates, penalty and linear term (see the module)."""

    problem: object
    loss: object
    parametrisation: Reparametrisation

    def pack(self, coef, intercept):
        return self.parametrisation.pack(coef, intercept)

    def limitation(self):
        """What the fit cannot resolve, as a sentence for a warning, or None."""
        return None

    def unpack(self, theta):
        return self.parametrisation.unpack(theta)

    def theta_bounds(self):
        """L-BFGS-B's bounds on ``theta`` (a ``scipy.optimize.Bounds``), or None."""
        if self.problem.coef_bounds is None:
            return None
        return self.parametrisation.bounds(*self.problem.coef_bounds)

    def raw_output(self, theta):
        coef, intercept = self.unpack(theta)
        return self.problem.data.stack_over_blocks(_raw_output_kernel, coef, intercept)

    def exact_value(self, theta):
        """The objective under its own loss by a float64 pass over the data.

        What a fit reports: evaluations during the fit multiply float32 X in
        float32, and the quadratic objective works from moments.
        """
        coef, intercept = self.unpack(theta)
        (mean_loss,) = self.problem.data.sum_over_blocks(
            _exact_value_kernel, coef, intercept, self.loss
        )
        return mean_loss + self._extra_terms(coef, intercept)

    def _extra_terms(self, coef, intercept):
        """Value of the penalty and of the linear term at ``(W, b)``."""
        alpha = self.problem.alpha
        value = 0.5 * alpha * float(np.sum(coef**2)) if alpha else 0.0
        if self.problem.linear_term is not None:
            coef_term, intercept_term = self.problem.linear_term
            value += float(np.sum(coef_term * coef)) + float(intercept_term @ intercept)
        return value

    def _gradient(self, coef, coef_gradient, intercept_gradient):
        """Gradient in ``theta`` from the loss part's gradient in ``(W, b)``."""
        if self.problem.alpha:
            coef_gradient += self.problem.alpha * coef
        if self.problem.linear_term is not None:
            coef_gradient += self.problem.linear_term[0]
            intercept_gradient = intercept_gradient + self.problem.linear_term[1]
        return self.parametrisation.gradient(coef_gradient, intercept_gradient)


class LinearObjective(Objective):
    """The objective of any loss, by one pass over the data per evaluation.

    Parameters
    ----------
    problem : FitProblem
    loss : Loss
    parametrisation : Reparametrisation, default=None
        The coordinates; :func:`general_parametrisation` of the problem if None.
    """

    def __init__(self, problem, loss, parametrisation=None):
        self.problem = problem
        self.loss = loss
        if parametrisation is None:
            parametrisation = general_parametrisation(problem)
        self.parametrisation = parametrisation

    def coef_gradient_of(self, raw_gradient):
        """``X^T G``: the gradient in W of a function of z = X W + b with gradient G in z."""
        (total,) = self.problem.data.sum_over_blocks(_coef_gradient_kernel, raw_gradient)
        return total

    def value(self, theta, loss=None):
        loss = self.loss if loss is None else loss
        coef, intercept = self.unpack(theta)
        (mean_loss,) = self.problem.data.sum_over_blocks(_value_kernel, coef, intercept, loss)
        return mean_loss + self._extra_terms(coef, intercept)

    def value_and_gradient(self, theta, loss=None):
        loss = self.loss if loss is None else loss
        coef, intercept = self.unpack(theta)
        mean_loss, coef_gradient, intercept_gradient = self.problem.data.sum_over_blocks(
            _value_and_gradient_kernel, coef, intercept, loss
        )
        value = mean_loss + self._extra_terms(coef, intercept)
        return value, self._gradient(coef, coef_gradient, intercept_gradient)


class QuadraticObjective(Objective):
    """The objective of the loss ``1/2 ||z - y||^2``, from weighted moments.

    One pass over X computes the centred Gram matrix ``G``, ``X^T y`` and the
    means; every later evaluation costs O(n_features^2 n_outputs) instead of
    a pass over X:

        mean loss = 1/2 tr(W^T G W) - tr(W^T c) + v / 2 + 1/2 ||e||^2,
        e = y_mean - mu W - b.

    The coordinates ``W = L^{-T} V``, ``b = c + y_mean - mu W`` with
    ``L L^T = G + alpha I`` make the Hessian the identity, so L-BFGS
    converges in a couple of iterations; a singular ``G + alpha I`` is
    whitened on its range only (:mod:`._range_whitening`), which gives the
    minimum-norm minimiser. Offsets ``o`` enter as the target
    ``y - o``: the loss depends on ``z + o - y`` only.
    """

    def __init__(self, problem, loss):
        self.problem, self.loss = problem, loss
        data, fit_intercept = problem.data.without_offset(), problem.fit_intercept
        weight = data.sample_weight / data.weight_sum
        if fit_intercept:
            mean, y_mean = column_means(data), weight @ data.y
        else:
            mean, y_mean = np.zeros(data.n_features), np.zeros(data.n_outputs)
        self.gram, self.cross = centred_moments(data, mean, y_mean)
        centred_y = data.y - y_mean
        self.y_variance = float(np.sum(weight @ (centred_y * centred_y)))
        hessian = self.gram + problem.alpha * np.eye(data.n_features)
        offset = y_mean if fit_intercept else np.zeros(data.n_outputs)
        if problem.coef_bounds is None:
            self.parametrisation = whitening_reparametrisation(
                hessian, mean, offset, data.n_outputs, fit_intercept
            )
        else:
            # Bounds on W are bounds on V only under a diagonal W = T V.
            self.parametrisation = Reparametrisation(
                1.0 / diagonal_roots(hessian),
                mean,
                offset,
                data.n_outputs,
                fit_intercept,
            )
        self._mean, self._y_mean = mean, y_mean

    def limitation(self):
        if not isinstance(self.parametrisation, RangeReparametrisation):
            return None
        share = self.parametrisation.unresolved_share(self.cross, self.y_variance)
        if share <= _UNRESOLVED_SHARE:
            return None
        return (
            "X has columns dependent to within about 1e-6 of their spread, which the "
            "Gram matrix cannot resolve in float64, and the target varies along them "
            f"(they might explain up to {min(share, 1.0):.1e} of its variance): they were "
            "left out (the minimum-norm fit on the others). Remove or combine nearly "
            "collinear columns, or use float64 X if they are float32 roundings"
        )

    def _check_loss(self, loss):
        if loss is not None and loss is not self.loss:
            raise ValueError("The quadratic objective evaluates its own loss only.")

    def _parts(self, theta):
        coef, intercept = self.unpack(theta)
        gram_coef = self.gram @ coef
        error = self._y_mean - self._mean @ coef - intercept
        mean_loss = (
            0.5 * float(np.sum(coef * gram_coef))
            - float(np.sum(coef * self.cross))
            + 0.5 * self.y_variance
            + 0.5 * float(error @ error)
        )
        return coef, intercept, gram_coef, error, mean_loss

    def value(self, theta, loss=None):
        self._check_loss(loss)
        coef, intercept, _, _, mean_loss = self._parts(theta)
        return mean_loss + self._extra_terms(coef, intercept)

    def value_and_gradient(self, theta, loss=None):
        self._check_loss(loss)
        coef, intercept, gram_coef, error, mean_loss = self._parts(theta)
        coef_gradient = gram_coef - self.cross - np.outer(self._mean, error)
        value = mean_loss + self._extra_terms(coef, intercept)
        return value, self._gradient(coef, coef_gradient, -error)


def is_half_squared_error(loss):
    """Whether the loss's own class (not a parent) declares it is ``1/2 ||z - y||^2``."""
    return bool(type(loss).__dict__.get("is_half_squared_error", False))


def make_objective(problem, loss):
    """The cheapest exact objective of this loss on this problem."""
    if (
        is_half_squared_error(loss)
        and problem.linear_term is None
        and problem.data.weight_sum == 1.0
        and problem.n_features <= MAX_DENSE_FEATURES
        and problem.n_features <= problem.data.n_samples
    ):
        return QuadraticObjective(problem, loss)
    return LinearObjective(problem, loss)
