"""Sums over the rows of X for the sandwich covariance, one block of rows at a time.

Every quantity the covariance needs is a sum over samples of a small matrix
times :math:`\\tilde x_i \\tilde x_i^T` (or :math:`\\tilde x_i`), with
:math:`\\tilde x_i = (1, x_i)` when the model has an intercept. The sums are
taken over blocks of rows that are views of X (dense) or row slices of it
(CSR), so X is never copied whole nor densified, and the intercept column is
never appended to X. The fitting core will later offer one data-source
interface for this; :func:`row_blocks` is the one place to switch to it.
"""

import numpy as np
import scipy.sparse

# Rows per dense block: about 4 MB of float64, large enough for BLAS to run
# at full speed on the Gram products, small enough to stay out of the way.
_DENSE_BLOCK_BYTES = 2**22
# Stored values per CSR block.
_SPARSE_BLOCK_VALUES = 2**20


def row_blocks(X):
    """``(rows, block)`` pairs that partition the rows of X, ``block`` as float64.

    Dense blocks are views of X (a float32 X is cast a block at a time); CSR
    blocks are row slices; a CSC X is one block, as its rows are scattered.
    """
    n_samples, n_features = X.shape
    if scipy.sparse.issparse(X):
        if X.format != "csr":
            yield slice(0, n_samples), X.astype(np.float64, copy=False)
            return
        per_row = max(X.nnz / max(n_samples, 1), 1.0)
        step = max(1, int(_SPARSE_BLOCK_VALUES / per_row))
    else:
        step = max(256, _DENSE_BLOCK_BYTES // (8 * max(n_features, 1)))
    for start in range(0, n_samples, step):
        rows = slice(start, min(start + step, n_samples))
        yield rows, X[rows].astype(np.float64, copy=False)


def linear_output(block, coef, intercept):
    """``block @ coef + intercept``, shape (n_rows, n_outputs)."""
    return np.asarray(block @ coef, dtype=np.float64) + intercept


def weighted_gram(block, weight, fit_intercept):
    r"""``sum_i weight_i x~_i x~_i^T`` over the block's rows, a dense matrix.

    Parameters
    ----------
    block : {ndarray, sparse matrix} of shape (n_rows, n_features)
    weight : ndarray of shape (n_rows,)
    fit_intercept : bool
        Whether :math:`\tilde x_i` starts with a 1.

    Returns
    -------
    ndarray of shape (n_params, n_params)
        ``n_params = n_features + fit_intercept``.
    """
    if scipy.sparse.issparse(block):
        scaled = scipy.sparse.diags(weight) @ block
        gram = (block.T @ scaled).toarray()
    else:
        gram = block.T @ (weight[:, np.newaxis] * block)
    if not fit_intercept:
        return gram
    column = np.asarray(block.T @ weight).ravel()
    return np.block([[np.sum(weight), column], [column[:, np.newaxis], gram]])


def kronecker_gram(block, weights, fit_intercept):
    r"""``sum_i weights_i (x) x~_i x~_i^T``: a matrix per output pair, in blocks.

    Parameters
    ----------
    block : {ndarray, sparse matrix} of shape (n_rows, n_features)
    weights : ndarray of shape (n_rows, n_outputs, n_outputs)
        Symmetric per-sample matrices (a Hessian in the raw output, or an
        outer product of gradients), sample weights included.
    fit_intercept : bool

    Returns
    -------
    ndarray of shape (n_outputs * n_params, n_outputs * n_params)
        Block ``(j, k)`` (rows ``j * n_params`` onwards) is
        ``sum_i weights[i, j, k] x~_i x~_i^T``.
    """
    n_outputs = weights.shape[1]
    n_params = block.shape[1] + fit_intercept
    total = np.zeros((n_outputs * n_params, n_outputs * n_params))
    for j in range(n_outputs):
        for k in range(j, n_outputs):
            weight = weights[:, j, k]
            # Diagonal Hessians (independent outputs) skip their zero blocks.
            if not np.any(weight):
                continue
            gram = weighted_gram(block, weight, fit_intercept)
            total[j * n_params : (j + 1) * n_params, k * n_params : (k + 1) * n_params] = gram
            total[k * n_params : (k + 1) * n_params, j * n_params : (j + 1) * n_params] = gram
    return total


def score_sums(block, scores, fit_intercept, groups=None, n_groups=1):
    r"""``sum_i scores_i (x) x~_i`` over each group's rows of the block.

    Parameters
    ----------
    block : {ndarray, sparse matrix} of shape (n_rows, n_features)
    scores : ndarray of shape (n_rows, n_outputs)
        Per-sample gradients in the raw output, times the sample weights.
    fit_intercept : bool
    groups : ndarray of int of shape (n_rows,), default=None
        Group codes in ``range(n_groups)``; all rows in one group if None.
    n_groups : int, default=1

    Returns
    -------
    ndarray of shape (n_groups, n_outputs * n_params)
        Row ``g``: the sum of the scores of group ``g``, in parameter order
        (output after output, intercept first).
    """
    n_rows, n_outputs = scores.shape
    if groups is None:
        groups = np.zeros(n_rows, dtype=np.intp)
    parts = []
    for k in range(n_outputs):
        # A sparse (n_groups, n_rows) matrix holding each row's score in its
        # group's row: one product sums the scores group by group.
        membership = scipy.sparse.csr_array(
            (scores[:, k], (groups, np.arange(n_rows))), shape=(n_groups, n_rows)
        )
        summed = membership @ block
        summed = summed.toarray() if scipy.sparse.issparse(summed) else np.asarray(summed)
        if fit_intercept:
            intercept = np.bincount(groups, weights=scores[:, k], minlength=n_groups)
            parts.append(intercept[:, np.newaxis])
        parts.append(summed)
    return np.hstack(parts)
