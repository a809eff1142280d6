"""The optimizer's coordinates: ``theta = [V.ravel(), c]`` with ``W = T V``, ``b = c + b0 - mu W``.

``mu`` are the weighted column means of X (the model is fitted on centred
features, without forming them) and ``T`` a preconditioner: for a general
loss the inverse Cholesky factor of the covariance of X plus alpha (the
Hessian for a loss of unit curvature), or, where that is dear (many
features) or impossible (wide or large sparse X), its diagonal
``1 / sqrt(std^2 + alpha)``, which a slow fit of dense X may later trade
for the full factor (:mod:`._late_whitening`); for squared error the exact
penalised Hessian, which L-BFGS then sees as the identity. Bounded
coefficients (a problem's ``coef_bounds``) get the diagonal scaling only,
under which bounds on ``W`` stay bounds on ``V``. The objective
is the same function of ``(W, b)`` in any coordinates, so its minimiser
does not change; L-BFGS just sees a far better conditioned problem.
"""

import numpy as np
import scipy.linalg
import scipy.optimize

from ._moments import column_moments, second_moments

# Features beyond which d x d matrices (the covariance preconditioner, the
# Gram matrix of squared error) cost more than they save.
MAX_DENSE_FEATURES = 2000
# Costs of whitening, relative to an evaluation (see choose_preconditioner).
# Timed on 200,000 x 100 (and 400,000 x 50 to 12,500 x 1,600) with one BLAS
# thread: the pass computing X^T X costs 2.2 evaluations of one output at 50
# features, 3.2 at 100, 7 at 400, 35 at 1,600; ten outputs make an
# evaluation 2.2 times dearer; the factorisation costs about d^3 / 4 values.
_EVALUATION_UNITS, _GRAM_FEATURES_PER_UNIT = 7.0, 6.6
# Evaluations whitening may cost up front: it saved 0 to 7 at default tolerances.
WHITENING_BUDGET = 4.0
# Multiply-adds below which whitening takes a few milliseconds: always done.
_NEGLIGIBLE_WHITENING = 2e7
# Cholesky jitter relative to a unit diagonal: enough to factor a
# semi-definite matrix, far below any direction that matters.
_JITTER = 1e-12
# The jitter grows by this factor per failed factorisation, at most this often.
_JITTER_GROWTH, _JITTER_TRIES = 100.0, 10
# Column spreads below this fraction of the mean (sparse moments cancel to
# about this level) or below _MIN_SPREAD absolutely count as zero.
_SPREAD_RESOLUTION, _MIN_SPREAD = 1e-7, 1e-12


class Reparametrisation:
    """The map between the optimizer's vector ``theta`` and ``(W, b)``.

    ``W = T V`` and ``b = c + offset - shift @ W``, with ``theta = [V.ravel(), c]``.
    ``T`` is a vector (a diagonal) or a square matrix.
    """

    def __init__(self, transform, shift, offset, n_outputs, fit_intercept):
        self.transform = transform
        self.shift = shift
        self.offset = offset
        self.n_features = len(shift)
        self.n_outputs = n_outputs
        self.fit_intercept = fit_intercept

    def _apply(self, V):
        if self.transform.ndim == 1:
            return V * self.transform[:, np.newaxis]
        return self.transform @ V

    def _apply_transposed(self, G):
        if self.transform.ndim == 1:
            return G * self.transform[:, np.newaxis]
        return self.transform.T @ G

    def pack(self, coef, intercept):
        """Optimizer vector from ``coef`` (n_features, n_outputs) and ``intercept``."""
        coef = np.asarray(coef, dtype=float).reshape(self.n_features, self.n_outputs)
        if self.transform.ndim == 1:
            V = coef / self.transform[:, np.newaxis]
        else:
            V = np.linalg.solve(self.transform, coef)
        c = np.ravel(intercept) - self.offset + self.shift @ coef
        if not self.fit_intercept:
            c = np.zeros(self.n_outputs)
        return np.concatenate([V.ravel(), c])

    def unpack(self, theta):
        """``(coef, intercept)`` from the optimizer vector."""
        split = self.n_features * self.n_outputs
        coef = self._apply(theta[:split].reshape(self.n_features, self.n_outputs))
        if not self.fit_intercept:
            # The intercept entries are inert: the model has no intercept.
            return coef, np.zeros(self.n_outputs)
        return coef, theta[split:] + self.offset - self.shift @ coef

    def bounds(self, lower, upper):
        """Bounds on ``theta`` from bounds on the coefficients (a diagonal ``T`` only).

        ``W = T V`` with ``T`` positive and diagonal bounds each ``V`` by the
        bounds of its ``W`` divided by ``T``; the intercept is free.

        Returns
        -------
        scipy.optimize.Bounds
        """
        scale = self.transform[:, np.newaxis]
        free = np.full(self.n_outputs, np.inf)
        return scipy.optimize.Bounds(
            np.concatenate([(lower / scale).ravel(), -free]),
            np.concatenate([(upper / scale).ravel(), free]),
        )

    def gradient(self, coef_gradient, intercept_gradient):
        """Chain rule: the gradient in ``theta`` from the one in ``(W, b)``."""
        if not self.fit_intercept:
            intercept_gradient = np.zeros(self.n_outputs)
        coef_gradient = coef_gradient - np.outer(self.shift, intercept_gradient)
        return np.concatenate([self._apply_transposed(coef_gradient).ravel(), intercept_gradient])


def inverse_cholesky_transpose(hessian):
    """``L^{-T}`` with ``L L^T`` the Hessian (nudged to be positive definite).

    The Hessian is first scaled to unit diagonal, ``H = D C D``, and the
    correlation-like ``C`` is factored: a jitter relative to the whole
    diagonal would swamp the entries of columns in small units, a jitter
    relative to one is the same for every column whatever its units.
    Features with nothing on the diagonal (constant, unpenalised) are
    decoupled from the others and keep scale one.
    """
    n = hessian.shape[0]
    diagonal = np.diag(hessian).copy()
    flat = ~(diagonal > 0)
    diagonal[flat] = 1.0
    root = np.sqrt(diagonal)
    correlation = hessian / np.outer(root, root)
    correlation[flat, flat] = 1.0
    jitter = _JITTER
    for _ in range(_JITTER_TRIES):
        try:
            factor = scipy.linalg.cholesky(correlation + jitter * np.eye(n), lower=True)
            break
        except np.linalg.LinAlgError:
            jitter *= _JITTER_GROWTH
    else:
        return 1.0 / root
    inverse = scipy.linalg.solve_triangular(factor, np.eye(n), lower=True).T
    return inverse / root[:, np.newaxis]


def whitening_cost(data):
    """What whitening X would cost, in evaluations of the objective; None where it is never done.

    Whitening (the inverse Cholesky factor of the covariance) costs one pass
    computing ``X^T X`` and a ``d^3`` factorisation: nothing to speak of
    on small data (returned as 0), a measured number of evaluations on
    large dense X. It is never done for more features than samples or than
    ``MAX_DENSE_FEATURES``, nor for large sparse X, whose Gram matrix is a
    sparse product and a dense d x d matrix.

    Parameters
    ----------
    data : DataSource

    Returns
    -------
    float or None
    """
    n, d, k = data.n_samples, data.n_features, data.n_outputs
    if d > min(n, MAX_DENSE_FEATURES):
        return None
    if n * d**2 / 2 + d**3 <= _NEGLIGIBLE_WHITENING:
        return 0.0
    if data.is_sparse:
        return None
    # Costs per value of X, in units of one value's share of an evaluation
    # of one output.
    whitening = _EVALUATION_UNITS + d / _GRAM_FEATURES_PER_UNIT + d**2 / (4 * n)
    return whitening / (_EVALUATION_UNITS + k - 1)


def choose_preconditioner(data):
    """``"covariance"`` if whitening X is likely to pay on this data, else ``"diagonal"``.

    Whitening makes L-BFGS converge in far fewer iterations on correlated
    features: 5 to 30 fewer evaluations at tol=1e-8 on the benchmark data,
    0 to 7 at the default tol. So X is whitened up front when that costs
    at most a few evaluations (:func:`whitening_cost`); where it costs
    more, a fit starts with the column scales (a pass at the price of an
    evaluation) and whitens later only if L-BFGS progresses slowly
    (:mod:`._late_whitening`).

    Parameters
    ----------
    data : DataSource

    Returns
    -------
    str
    """
    cost = whitening_cost(data)
    return "covariance" if cost is not None and cost <= WHITENING_BUDGET else "diagonal"


def general_parametrisation(problem):
    """Coordinates for a loss of unknown curvature (taken as one).

    The penalty counts relative to the problem's total weight, so a
    sub-problem (a screened stage) is preconditioned like the full one.
    """
    if problem.coef_bounds is None and choose_preconditioner(problem.data) == "covariance":
        # The covariance undoes correlated and badly scaled features, which
        # a diagonal scaling cannot; but only a diagonal keeps bounds bounds.
        return whitened_parametrisation(problem)
    data, alpha = problem.data, problem.alpha / problem.data.weight_sum
    n_features, n_outputs = data.n_features, data.n_outputs
    mean, std = column_moments(data)
    # Scale each coefficient by the square root of its Hessian diagonal,
    # std^2 + alpha. Constant columns without a penalty keep scale 1.
    # Without an intercept the model cannot absorb a shift, so features are
    # then scaled but not centred.
    resolution = _SPREAD_RESOLUTION * np.maximum(_MIN_SPREAD / _SPREAD_RESOLUTION, np.abs(mean))
    std = np.where(std > resolution, std, 0.0)
    scale = np.sqrt(std**2 + alpha)
    return Reparametrisation(
        1.0 / np.where(scale > 0, scale, 1.0),
        mean if problem.fit_intercept else np.zeros(n_features),
        np.zeros(n_outputs),
        n_outputs,
        problem.fit_intercept,
    )


def whitened_parametrisation(problem):
    """Coordinates that whiten X: ``T`` the inverse Cholesky factor of its covariance plus alpha."""
    data, alpha = problem.data, problem.alpha / problem.data.weight_sum
    mean, gram = second_moments(data, centre=problem.fit_intercept)
    return Reparametrisation(
        inverse_cholesky_transpose(gram + alpha * np.eye(data.n_features)),
        mean if problem.fit_intercept else np.zeros(data.n_features),
        np.zeros(data.n_outputs),
        data.n_outputs,
        problem.fit_intercept,
    )
