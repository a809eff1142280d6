r"""The training objective of every skloss estimator, as a function of one vector.

.. math::

    F(W, b) = \underbrace{\frac{\sum_i s_i\, l(y_i, x_i W + b)}{\sum_i s_i}}_{\text{mean loss}}
        + \underbrace{\frac{\alpha}{2} \|W\|_F^2}_{\text{penalty}}

This module is the only place that multiplies by ``X`` during training.

The optimizer does not see ``(W, b)`` but ``theta = [V.ravel(), c]`` with
``W = T V`` and ``b = c + b0 - mu W`` (:class:`Reparametrisation`), ``mu``
the weighted column means of ``X``. For a general loss ``T`` is diagonal,
``1 / sqrt(std^2 + alpha)`` with ``std`` the weighted column standard
deviations: the model on standardised features, computed without forming
them (no copy of X, and sparse X stays sparse). For squared error ``T`` is
the inverse Cholesky factor of the penalised Hessian, which L-BFGS then
sees as the identity. The objective is the same function of ``(W, b)``, so
its minimiser does not change; L-BFGS just sees a far better conditioned
problem.

Dense X is evaluated in blocks of rows small enough to stay in cache while
both ``X_block @ W`` and ``X_block.T @ dz`` are computed: one pass over
memory per evaluation instead of two. The objective is a sum over blocks,
which is also the shape a distributed evaluation will take.
"""

import numpy as np
import scipy.linalg
import scipy.sparse

from ._blocks import map_blocks, outer_bounds, outer_slice, row_blocks, transposed

# Squared error is fitted from the Gram matrix only while it is no larger
# than this many features (its d x d matrices are dense).
_MAX_GRAM_FEATURES = 2000


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
    if scipy.sparse.issparse(X):
        mean, variance = _sparse_mean_and_variance(X, weight)
    else:
        mean = np.asarray(X.T @ weight.astype(X.dtype, copy=False), dtype=float).ravel()
        variance = np.zeros(X.shape[1])
        for block in row_blocks(X):
            centred = block.X - mean
            variance += weight[block.rows] @ (centred * centred)
    return mean, np.sqrt(np.maximum(variance, 0.0))


def _sparse_mean_and_variance(X, weight):
    """Means and sum_i w_i (x_ij - mu_j)^2 of sparse X, the latter as E[x^2] - mu^2.

    E[x^2] comes from the squared stored values, a block of rows (CSR) or
    chunk of columns (CSC) at a time, so X is never copied. The difference
    cancels for columns whose spread is tiny next to their mean; that only
    blurs a preconditioner, and such columns are treated as constant by the
    caller.
    """
    if X.format not in ("csr", "csc"):
        X = X.tocsr()
    if not X.has_canonical_format:
        # Duplicate entries would be squared separately (copy: never touch
        # the caller's matrix).
        X = X.copy()
        X.sum_duplicates()
    if X.format == "csr":

        def block_moments(block):
            squares = np.square(block.X.data, dtype=float)
            squared_block = outer_slice(block.X, 0, block.X.shape[0], squares)
            block_weight = weight[block.rows]
            mean_part = block.XT @ block_weight.astype(X.dtype, copy=False)
            return mean_part, transposed(squared_block) @ block_weight

        mean, second = np.zeros(X.shape[1]), np.zeros(X.shape[1])
        for block_mean, block_second in map_blocks(block_moments, row_blocks(X), threaded=True):
            mean += block_mean
            second += block_second
    else:
        mean = np.asarray(X.T @ weight.astype(X.dtype, copy=False), dtype=float).ravel()
        second = np.zeros(X.shape[1])
        bounds = outer_bounds(X)
        for first, last in zip(bounds[:-1], bounds[1:], strict=True):
            squares = np.square(X.data[X.indptr[first] : X.indptr[last]], dtype=float)
            second[first:last] = transposed(outer_slice(X, first, last, squares)) @ weight
    return mean, second - mean**2


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

    def gradient(self, coef_gradient, intercept_gradient):
        """Chain rule: the gradient in ``theta`` from the one in ``(W, b)``."""
        if not self.fit_intercept:
            intercept_gradient = np.zeros(self.n_outputs)
        coef_gradient = coef_gradient - np.outer(self.shift, intercept_gradient)
        return np.concatenate([self._apply_transposed(coef_gradient).ravel(), intercept_gradient])


class _Objective:
    """What both objectives share: the parametrisation and the penalty."""

    n_features: int
    n_outputs: int
    alpha: float
    parametrisation: Reparametrisation

    def pack(self, coef, intercept):
        return self.parametrisation.pack(coef, intercept)

    def unpack(self, theta):
        return self.parametrisation.unpack(theta)

    def _penalty(self, coef):
        return 0.5 * self.alpha * float(np.sum(coef**2)) if self.alpha else 0.0


class LinearObjective(_Objective):
    """Value and gradient of the penalised mean loss, by passes over X.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
    loss : Loss
    sample_weight : ndarray of shape (n_samples,)
    alpha : float
    fit_intercept : bool
    """

    # No linear term in (W, b) beyond the loss (see skloss._screening).
    linear_term = None

    def __init__(self, X, y, loss, sample_weight, alpha, fit_intercept):
        self.X = X
        self.y = y
        self.loss = loss
        self.sample_weight = sample_weight
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_features = X.shape[1]
        self.n_outputs = y.shape[1]
        total = float(np.sum(sample_weight))
        self.weight_total = total
        # Passes over sparse X run their blocks on threads (see _blocks).
        self._threaded = scipy.sparse.issparse(X)
        self._row_blocks = row_blocks(X)
        # (block, y, sample_weight, share of the total weight) of each block
        # with weight; every piece is a view of the caller's arrays.
        self._blocks = []
        for block in self._row_blocks:
            share = float(np.sum(sample_weight[block.rows])) / total
            if share > 0.0:
                self._blocks.append((block, y[block.rows], sample_weight[block.rows], share))
        if _use_dense_preconditioner(X):
            self.parametrisation = _covariance_parametrisation(
                X, sample_weight, alpha, fit_intercept, self.n_outputs
            )
            return
        mean, std = column_moments(X, sample_weight)
        # Scale each coefficient by the square root of (an estimate of) its
        # Hessian diagonal, std^2 * curvature + alpha, taking the loss's
        # curvature as 1. Constant columns without a penalty keep scale 1.
        # Without an intercept the model cannot absorb a shift, so features
        # are then scaled but not centred.
        # Spreads below rounding level (sparse moments cancel) count as zero.
        std = np.where(std > 1e-7 * np.maximum(1e-5, np.abs(mean)), std, 0.0)
        scale = np.sqrt(std**2 + alpha)
        self.parametrisation = Reparametrisation(
            1.0 / np.where(scale > 0, scale, 1.0),
            mean if fit_intercept else np.zeros(self.n_features),
            np.zeros(self.n_outputs),
            self.n_outputs,
            fit_intercept,
        )

    def raw_output(self, theta):
        """The raw output z = X W + b, of shape (n_samples, n_outputs)."""
        coef, intercept = self.unpack(theta)
        coef = coef.astype(self.X.dtype, copy=False)
        parts = list(
            map_blocks(
                lambda block: self.raw_output_of(coef, intercept, block.X),
                self._row_blocks,
                self._threaded,
            )
        )
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def coef_gradient_of(self, raw_gradient):
        """``X^T G``: the gradient in W of a function of z = X W + b with gradient G in z."""
        G = raw_gradient.astype(self.X.dtype, copy=False)
        total = np.zeros((self.n_features, G.shape[1]))
        for part in map_blocks(
            lambda block: block.XT @ G[block.rows], self._row_blocks, self._threaded
        ):
            total += part
        return total

    def raw_output_of(self, coef, intercept, X):
        """The raw output ``X @ coef + intercept`` of X or of a block of it."""
        # Multiply in X's precision: a float32 X is never upcast (copied).
        raw = np.asarray(X @ coef.astype(X.dtype, copy=False), dtype=float)
        raw += intercept
        return raw

    def value(self, theta, loss=None):
        """Objective value, optionally under another loss (same X, y, alpha)."""
        loss = self.loss if loss is None else loss
        coef, intercept = self.unpack(theta)
        coef_in_x_precision = coef.astype(self.X.dtype, copy=False)

        def block_value(entry):
            block, y_block, weight_block, share = entry
            raw = self.raw_output_of(coef_in_x_precision, intercept, block.X)
            weight = weight_block / np.sum(weight_block)
            return share * float(weight @ loss.loss(y_block, raw))

        mean_loss = sum(map_blocks(block_value, self._blocks, self._threaded))
        return mean_loss + self._penalty(coef)

    def value_and_gradient(self, theta, loss=None):
        """Objective value and its gradient with respect to ``theta``."""
        loss = self.loss if loss is None else loss
        coef, intercept = self.unpack(theta)
        coef_in_x_precision = coef.astype(self.X.dtype, copy=False)

        def block_terms(entry):
            block, y_block, weight_block, share = entry
            raw = self.raw_output_of(coef_in_x_precision, intercept, block.X)
            value, raw_gradient = loss.loss_gradient(y_block, raw, weight_block)
            # Block means, weighted by the block's share, add up to the mean.
            raw_gradient *= share
            # Chain rule through z = X W + b: dW = X^T dz, db = sum_i dz_i.
            coef_term = block.XT @ raw_gradient.astype(self.X.dtype, copy=False)
            return share * value, coef_term, raw_gradient.sum(axis=0)

        mean_loss = 0.0
        coef_gradient = np.zeros((self.n_features, self.n_outputs))
        intercept_gradient = np.zeros(self.n_outputs)
        terms = map_blocks(block_terms, self._blocks, self._threaded)
        for value, coef_term, intercept_term in terms:
            mean_loss += value
            coef_gradient += coef_term
            intercept_gradient += intercept_term
        if self.alpha:
            coef_gradient += self.alpha * coef
        gradient = self.parametrisation.gradient(coef_gradient, intercept_gradient)
        return mean_loss + self._penalty(coef), gradient


class QuadraticObjective(_Objective):
    """The same objective for the loss ``1/2 ||z - y||^2``, from weighted moments.

    One pass over X computes the centred Gram matrix ``G``, ``X^T y`` and the
    means; every later evaluation costs O(n_features^2 n_outputs) instead of
    a pass over X:

        mean loss = 1/2 tr(W^T G W) - tr(W^T c) + v / 2 + 1/2 ||e||^2,
        e = y_mean - mu W - b.

    The parametrisation ``W = L^{-T} V``, ``b = c + y_mean - mu W`` with
    ``L L^T = G + alpha I`` makes the Hessian the identity, so L-BFGS
    converges in a couple of iterations.
    """

    def __init__(self, X, y, sample_weight, alpha, fit_intercept):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_features = X.shape[1]
        self.n_outputs = y.shape[1]
        weight = sample_weight / np.sum(sample_weight)
        if fit_intercept:
            mean = np.asarray(X.T @ weight.astype(X.dtype, copy=False), dtype=float).ravel()
            y_mean = weight @ y
        else:
            mean, y_mean = np.zeros(self.n_features), np.zeros(self.n_outputs)
        self.gram, self.cross = _centred_moments(X, y, weight, mean, y_mean)
        centred_y = y - y_mean
        self.y_variance = float(np.sum(weight @ (centred_y * centred_y)))
        hessian = self.gram + alpha * np.eye(self.n_features)
        self.parametrisation = Reparametrisation(
            _inverse_cholesky_transpose(hessian),
            mean,
            y_mean if fit_intercept else np.zeros(self.n_outputs),
            self.n_outputs,
            fit_intercept,
        )
        self._mean, self._y_mean = mean, y_mean

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
        return coef, gram_coef, error, mean_loss

    def value(self, theta, loss=None):
        coef, _, _, mean_loss = self._parts(theta)
        return mean_loss + self._penalty(coef)

    def value_and_gradient(self, theta, loss=None):
        coef, gram_coef, error, mean_loss = self._parts(theta)
        coef_gradient = gram_coef - self.cross - np.outer(self._mean, error)
        if self.alpha:
            coef_gradient += self.alpha * coef
        gradient = self.parametrisation.gradient(coef_gradient, -error)
        return mean_loss + self._penalty(coef), gradient


def _centred_moments(X, y, weight, mean, y_mean):
    """Weighted ``(X - mu)^T S (X - mu)`` and ``(X - mu)^T S (y - y_mean)`` (S sums to 1)."""
    n_features = X.shape[1]
    if scipy.sparse.issparse(X):
        return _sparse_centred_moments(X, y, weight, mean, y_mean)
    gram = np.zeros((n_features, n_features), order="F")
    cross = None if y is None else np.zeros((n_features, y.shape[1]))
    for block in row_blocks(X):
        # Rows sqrt(s_i) (x_i - mu): the Gram matrix is scaled^T scaled, of
        # which the symmetric rank-k update computes one triangle only.
        root = np.sqrt(weight[block.rows])[:, np.newaxis]
        scaled = (np.asarray(block.X, dtype=float) - mean) * root
        gram = scipy.linalg.blas.dsyrk(1.0, scaled.T, beta=1.0, c=gram, overwrite_c=True)
        if y is not None:
            cross += scaled.T @ ((y[block.rows] - y_mean) * root)
    return np.triu(gram) + np.triu(gram, 1).T, cross


def _sparse_centred_moments(X, y, weight, mean, y_mean):
    """:func:`_centred_moments` for sparse X: uncentred products, then centred.

    CSR X is taken a block of rows at a time (the products add up), CSC X a
    block of columns at a time (each gives those columns of the products).
    Only a block's stored values are copied, when they are weighted.
    """
    n_features = X.shape[1]
    gram = np.zeros((n_features, n_features))
    cross = None if y is None else np.zeros((n_features, y.shape[1]))
    if X.format == "csr":

        def block_moments(block):
            n_rows = block.X.shape[0]
            row_of_value = np.repeat(np.arange(n_rows), np.diff(block.X.indptr))
            block_weight = weight[block.rows]
            weighted = outer_slice(block.X, 0, n_rows, block.X.data * block_weight[row_of_value])
            block_cross = None if y is None else transposed(weighted) @ y[block.rows]
            return block.XT @ weighted, block_cross

        # Each block's product is a sparse n_features^2 matrix: blocks at
        # least that large keep adding them up cheaper than computing them.
        blocks = row_blocks(X, min_sparse_values=n_features**2)
        for block_gram, block_cross in map_blocks(block_moments, blocks, threaded=True):
            gram += block_gram.toarray()
            if y is not None:
                cross += block_cross
    else:
        XT = transposed(X)
        bounds = outer_bounds(X)
        for first, last in zip(bounds[:-1], bounds[1:], strict=True):
            columns = outer_slice(X, first, last)
            weighted = outer_slice(X, first, last, columns.data * weight[columns.indices])
            gram[:, first:last] = (XT @ weighted).toarray()
            if y is not None:
                cross[first:last] = transposed(weighted) @ y
    gram -= np.outer(mean, mean)
    return gram, None if y is None else cross - np.outer(mean, y_mean)


def _inverse_cholesky_transpose(hessian):
    """``L^{-T}`` with ``L L^T`` the Hessian (nudged to be positive definite)."""
    n = hessian.shape[0]
    jitter = 1e-12 * max(float(np.trace(hessian)) / max(n, 1), 1e-300)
    for _ in range(10):
        try:
            factor = scipy.linalg.cholesky(hessian + jitter * np.eye(n), lower=True)
            break
        except np.linalg.LinAlgError:
            jitter *= 100.0
    else:
        return np.ones(n)
    return scipy.linalg.solve_triangular(factor, np.eye(n), lower=True).T


def _use_dense_preconditioner(X):
    n_samples, n_features = X.shape
    return n_features <= _MAX_GRAM_FEATURES and n_features <= n_samples


def _covariance_parametrisation(X, sample_weight, alpha, fit_intercept, n_outputs):
    """``W = L^{-T} V`` with ``L L^T`` the (centred) covariance of X plus alpha.

    That is the Hessian of the objective for a loss of unit curvature; for
    other losses it is right up to the per-sample curvature, and in
    particular it undoes correlated and badly scaled features, which a
    diagonal scaling cannot.
    """
    weight = sample_weight / np.sum(sample_weight)
    n_features = X.shape[1]
    if fit_intercept:
        mean = np.asarray(X.T @ weight.astype(X.dtype, copy=False), dtype=float).ravel()
    else:
        mean = np.zeros(n_features)
    gram, _ = _centred_moments(X, None, weight, mean, None)
    return Reparametrisation(
        _inverse_cholesky_transpose(gram + alpha * np.eye(n_features)),
        mean,
        np.zeros(n_outputs),
        n_outputs,
        fit_intercept,
    )


def make_objective(X, y, loss, sample_weight, alpha, fit_intercept):
    """The cheapest exact objective for this loss and data."""
    n_samples, n_features = X.shape
    if (
        getattr(loss, "is_half_squared_error", False)
        and n_features <= _MAX_GRAM_FEATURES
        and n_features <= n_samples
    ):
        return QuadraticObjective(X, y, sample_weight, alpha, fit_intercept)
    return LinearObjective(X, y, loss, sample_weight, alpha, fit_intercept)
