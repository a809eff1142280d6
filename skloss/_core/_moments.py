"""Weighted column moments and Gram matrices of X, as sums over row blocks.

Each function here is one pass over the data source with a block kernel;
the kernels are plain functions of a block and the pass's parameters.
Every sum is accumulated in float64, whatever X's dtype.
Sparse X is never densified: CSR blocks use their stored values, and a CSC
block (CSC X is one block, its rows are scattered) is taken a chunk of
columns at a time.
"""

import numpy as np
import scipy.linalg
import scipy.sparse

from ._blocks import outer_bounds, outer_slice, transposed

# Rows averaged for the shift of one-pass moments of dense X: sums of
# (x - shift)^2 then cancel only by about (mean - shift)^2 / variance, of
# order 1 / _SHIFT_ROWS.
_SHIFT_ROWS = 256


def _mean_kernel(block):
    """``sum_i w_i x_i`` of a block, accumulated in float64 whatever X's dtype.

    A float32 mean is off by about 1e-7 of itself, which a centred Gram
    matrix ``E[x x^T] - mu mu^T`` turns into errors of 1e-7 mu^2: far larger
    than the variance of a column with a large mean.
    """
    return (np.asarray(block.XT @ block.weight, dtype=float).ravel(),)


def _rough_mean(data):
    """Plain column means of a few hundred rows spread over X: a shift for one-pass moments."""
    rows = np.unique(np.linspace(0, data.n_samples - 1, _SHIFT_ROWS).astype(int))
    return np.mean(data.dense_rows(rows), axis=0)


def column_means(data):
    """Weighted column means of X (the weights sum to one)."""
    (mean,) = data.sum_over_blocks(_mean_kernel)
    return mean / data.weight_sum


def _dense_spread_kernel(block, shift):
    """``sum_i w_i (x_i - shift)`` and ``sum_i w_i (x_i - shift)^2`` of a dense block."""
    # float64, without a float64 copy of a float32 X first.
    centred = np.subtract(block.X, shift, dtype=float)
    first = block.weight @ centred
    np.square(centred, out=centred)
    return first, block.weight @ centred


def _sparse_spread_kernel(block):
    """``sum_i w_i x_i`` and ``sum_i w_i x_i^2`` of a sparse block."""
    return _mean_kernel(block) + _sparse_second_moment_kernel(block)


def _sparse_second_moment_kernel(block):
    """``sum_i w_i x_ij^2`` of a sparse block, from its squared stored values."""
    X, weight = block.X, block.weight
    if X.format == "csr":
        squares = outer_slice(X, 0, X.shape[0], np.square(X.data, dtype=float))
        return (transposed(squares) @ weight,)
    second = np.zeros(X.shape[1])
    bounds = outer_bounds(X)
    for first, last in zip(bounds[:-1], bounds[1:], strict=True):
        squares = np.square(X.data[X.indptr[first] : X.indptr[last]], dtype=float)
        second[first:last] = transposed(outer_slice(X, first, last, squares)) @ weight
    return (second,)


def _dense_second_moment_kernel(block):
    X = np.asarray(block.X, dtype=float)
    return (block.weight @ (X * X),)


def mean_squares(data):
    """Weighted mean of the square of each column of X."""
    kernel = _sparse_second_moment_kernel if data.is_sparse else _dense_second_moment_kernel
    (second,) = data.sum_over_blocks(kernel)
    return second / data.weight_sum


def column_moments(data):
    """Weighted column means and standard deviations of X, in one pass, without copying X.

    Dense X gives them from sums of ``x - shift``, with the shift the mean of
    a few rows: they cancel only as much as the shift misses the mean.
    Sparse X (not shifted, to keep it sparse) gives ``E[x^2] - mu^2``: it
    cancels for columns whose spread is tiny next to their mean; that only
    blurs a preconditioner, and such columns are treated as constant by the
    caller.

    Parameters
    ----------
    data : DataSource

    Returns
    -------
    mean, std : ndarrays of shape (n_features,)
    """
    if data.is_sparse:
        shift = np.zeros(data.n_features)
        first, second = data.sum_over_blocks(_sparse_spread_kernel)
    else:
        shift = _rough_mean(data)
        first, second = data.sum_over_blocks(_dense_spread_kernel, shift)
    first, second = first / data.weight_sum, second / data.weight_sum
    return shift + first, np.sqrt(np.maximum(second - first**2, 0.0))


def _dense_gram_kernel(block, mean, y_mean):
    """Upper triangle of ``(X_b - mu)^T S_b (X_b - mu)`` and the cross product with y."""
    # Rows sqrt(s_i) (x_i - mu): the Gram matrix is scaled^T scaled, of
    # which the symmetric rank-k update computes one triangle only.
    root = np.sqrt(block.weight)[:, np.newaxis]
    scaled = (np.asarray(block.X, dtype=float) - mean) * root
    gram = scipy.linalg.blas.dsyrk(1.0, scaled.T)
    if y_mean is None:
        return (gram,)
    return gram, scaled.T @ ((block.y - y_mean) * root)


def _sparse_gram_kernel(block, with_y):
    """Uncentred ``X_b^T S_b X_b`` (and ``X_b^T S_b y_b``) of a sparse block.

    Only the block's stored values are copied, when they are weighted.
    """
    X, weight = block.X, block.weight
    if X.format == "csr":
        n_rows = X.shape[0]
        row_of_value = np.repeat(np.arange(n_rows), np.diff(X.indptr))
        weighted = outer_slice(X, 0, n_rows, X.data * weight[row_of_value])
        gram = (block.XT @ weighted).toarray()
        return (gram, transposed(weighted) @ block.y) if with_y else (gram,)
    # CSC: a chunk of columns at a time, each giving those columns of the products.
    n_features = X.shape[1]
    gram = np.zeros((n_features, n_features))
    cross = np.zeros((n_features, block.y.shape[1]))
    bounds = outer_bounds(X)
    for first, last in zip(bounds[:-1], bounds[1:], strict=True):
        columns = outer_slice(X, first, last)
        weighted = outer_slice(X, first, last, columns.data * weight[columns.indices])
        gram[:, first:last] = (block.XT @ weighted).toarray()
        if with_y:
            cross[first:last] = transposed(weighted) @ block.y
    return (gram, cross) if with_y else (gram,)


def centred_moments(data, mean, y_mean=None):
    """Weighted ``(X - mu)^T S (X - mu)`` and, with ``y_mean``, ``(X - mu)^T S (y - y_mean)``.

    ``S`` holds the weights scaled to sum to one.

    Returns
    -------
    gram : ndarray of shape (n_features, n_features)
    cross : ndarray of shape (n_features, n_outputs) or None
    """
    n_features = data.n_features
    with_y = y_mean is not None
    # Each block's product is a dense n_features^2 matrix: blocks at least
    # that large keep adding them up cheaper than computing them.
    size = n_features**2
    if data.is_sparse:
        parts = data.sum_over_blocks(_sparse_gram_kernel, with_y, min_block_values=size)
        gram = parts[0] / data.weight_sum - np.outer(mean, mean)
        cross = parts[1] / data.weight_sum - np.outer(mean, y_mean) if with_y else None
        return gram, cross
    parts = data.sum_over_blocks(_dense_gram_kernel, mean, y_mean, min_block_values=size)
    upper = np.triu(parts[0])
    gram = (upper + np.triu(upper, 1).T) / data.weight_sum
    return gram, parts[1] / data.weight_sum if with_y else None


def _dense_covariance_kernel(block, shift):
    """Sums of ``w_i c_i`` and (upper triangle) ``w_i c_i c_i^T``, ``c_i = x_i - shift``."""
    # float64, without a float64 copy of a float32 X first.
    centred = np.subtract(block.X, shift, dtype=float)
    first = block.weight @ centred
    centred *= np.sqrt(block.weight)[:, np.newaxis]
    return first, scipy.linalg.blas.dsyrk(1.0, centred.T)


def _sparse_covariance_kernel(block):
    """Sums of ``w_i x_i`` and ``w_i x_i x_i^T`` of a sparse block."""
    return _mean_kernel(block) + _sparse_gram_kernel(block, False)


def second_moments(data, centre):
    """Weighted column means and covariance (or uncentred second moment) of X, in one pass.

    Dense X is shifted by the mean of a few rows (see :func:`column_moments`).

    Parameters
    ----------
    data : DataSource
    centre : bool
        Whether to return the covariance ``E[(x - mu)(x - mu)^T]`` rather
        than the second moment ``E[x x^T]``.

    Returns
    -------
    mean : ndarray of shape (n_features,)
    moment : ndarray of shape (n_features, n_features)
    """
    shift = np.zeros(data.n_features)
    if data.is_sparse:
        first, second = data.sum_over_blocks(_sparse_covariance_kernel)
    else:
        shift = _rough_mean(data) if centre else shift
        first, upper = data.sum_over_blocks(_dense_covariance_kernel, shift)
        upper = np.triu(upper)
        second = upper + np.triu(upper, 1).T
    first, second = first / data.weight_sum, second / data.weight_sum
    if centre:
        second -= np.outer(first, first)
    return shift + first, second
