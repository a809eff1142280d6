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


def _mean_kernel(block):
    """``sum_i w_i x_i`` of a block, accumulated in float64 whatever X's dtype.

    A float32 mean is off by about 1e-7 of itself, which a centred Gram
    matrix ``E[x x^T] - mu mu^T`` turns into errors of 1e-7 mu^2: far larger
    than the variance of a column with a large mean.
    """
    return (np.asarray(block.XT @ block.weight, dtype=float).ravel(),)


def column_means(data):
    """Weighted column means of X (the weights sum to one)."""
    (mean,) = data.sum_over_blocks(_mean_kernel)
    return mean / data.weight_sum


def _dense_spread_kernel(block, mean):
    centred = block.X - mean
    return (block.weight @ (centred * centred),)


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
    """Weighted column means and standard deviations of X, without copying X.

    Sparse X gives ``sum_i w_i (x_ij - mu_j)^2`` as ``E[x^2] - mu^2``: it
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
    mean = column_means(data)
    if data.is_sparse:
        variance = mean_squares(data) - mean**2
    else:
        (spread,) = data.sum_over_blocks(_dense_spread_kernel, mean)
        variance = spread / data.weight_sum
    return mean, np.sqrt(np.maximum(variance, 0.0))


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
