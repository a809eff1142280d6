"""``X @ coef`` for predictions: in X's precision where that can hold the result."""

import numpy as np
import scipy.sparse

# Rows per float64 block when a float32 X must be multiplied in float64:
# a copy of this many rows at a time, never of all of X.
_FLOAT64_BLOCK_ROWS = 2**14


def linear_output(X, coef):
    """``X @ coef`` as float64, multiplied in X's precision whenever float32 suffices.

    A float32 X multiplies in float32 (no copy of X). Coefficients fitted to
    a target in units near float32's largest value (about 3.4e38) may not
    be representable in float32, or their products may not be: then the
    product is taken again in float64, a block of rows at a time.

    Parameters
    ----------
    X : {ndarray, CSR or CSC matrix} of shape (n_samples, n_features)
        float64 or float32.
    coef : ndarray of shape (n_features, n_outputs)

    Returns
    -------
    ndarray of shape (n_samples, n_outputs), float64
    """
    if X.dtype == np.float64:
        return np.asarray(X @ coef, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        raw = np.asarray(X @ coef.astype(X.dtype), dtype=float)
    if np.all(np.isfinite(raw)):
        return raw
    if scipy.sparse.issparse(X):
        # Only the stored values are copied.
        return np.asarray(X.astype(np.float64) @ coef, dtype=float)
    blocks = range(0, X.shape[0], _FLOAT64_BLOCK_ROWS)
    return np.vstack([X[a : a + _FLOAT64_BLOCK_ROWS].astype(float) @ coef for a in blocks])
