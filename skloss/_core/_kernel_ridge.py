r"""Wide ridge regression (n < d) solved exactly through the n x n kernel matrix.

For the half squared error the problem (:mod:`._problem`, weights ``w_i``
normalised to sum to one, offsets ``o_i``)

    F(W, b) = 1/2 sum_i w_i ||y_i - o_i - x_i W - b||^2 + alpha / 2 ||W||^2

is minimised over the intercept by ``b = ybar - mu W``, with the weighted
means ``mu = sum_i w_i x_i`` and ``ybar = sum_i w_i (y_i - o_i)`` (both
zero, and ``b = 0``, without an intercept). With ``R = diag(sqrt(w))``,
``A = R (X - 1 mu)`` and ``r = R (Y - O - 1 ybar)`` what remains is
``1/2 ||r - A W||^2 + alpha / 2 ||W||^2``, whose normal equations
``(A^T A + alpha I) W = A^T r`` have the solution

    W = A^T beta,   (K + alpha I) beta = r,   K = A A^T   (n x n),

since ``A^T (A A^T + alpha I) = (A^T A + alpha I) A^T``. At ``alpha = 0``
the pseudo-inverse, ``beta = K^+ r``, gives ``W = A^+ r``: the
minimum-norm least-squares solution, what ``numpy.linalg.lstsq`` returns on
the weighted, centred data (``R (X - 1 mu)``, ``r``). Zero weights give
zero rows of ``A``: those samples drop out.

Why a direct solve and not L-BFGS (or ``K`` as its preconditioner): the
d x d Hessian ``A^T A + alpha I`` of a wide problem has ``d - n``
eigenvalues ``alpha`` next to the data's, so for small ``alpha`` L-BFGS
crawls, and stopped at the default tolerance it was up to 3.6e-3 above the
optimum on random 500 x 5,000 data. Once ``K`` is factored the solution
costs two passes over X, about one L-BFGS evaluation, so iterating on top
of the factorisation would add passes and a tolerance and nothing else.
Forming ``K`` costs ``n^2 d / 2`` multiply-adds at BLAS-3 speed, about as
much as ``n / 150`` L-BFGS evaluations (timed: 3 at 500 x 5,000, 13 at
2,000 x 20,000), and factoring it ``n^3 / 3``.

``K`` is factored by Cholesky when ``alpha`` is above the rounding level
of its eigenvalues, ``max(n, d) eps`` times the largest, and otherwise
(``alpha`` zero or tiny next to ``K``, which an intercept makes singular)
by an eigendecomposition that drops the eigenvalues at that level:
directions the data do not resolve in float64. As ``K`` holds the squares
of X's singular values, those are the directions whose singular values are
below about ``sqrt(max(n, d) eps)`` (1e-7 at d = 20,000) of the largest;
``lstsq`` resolves singular values down to ``max(n, d) eps`` of the largest,
so on X of numerical rank below n (float32 rounding of a low-rank X, say)
the alpha = 0 fit leaves out the directions between the two, which
``lstsq`` fits with coefficients of order one over their singular value.
The ``K`` of sparse X, formed without centring X, cancels to about ``eps``
times X's uncentred second moment: eigenvalues below that level are
dropped too. Never NaN: a
``K`` of zeros (features without spread) gives ``W = 0``. ``K`` is formed
from X in units of a power of two near its largest value (exact), so it
neither underflows nor overflows whatever X's units.
"""

import numpy as np
import scipy.linalg
import scipy.sparse
from scipy.linalg import lapack

from ._blocks import available_threads, run_parts
from ._data import InMemoryRows
from ._moments import column_means, column_moments

# Samples beyond which the n x n kernel matrix is not formed (its float64
# copy is 128 MiB, an eigendecomposition takes about 15 s on one core):
# larger wide problems stay with L-BFGS.
MAX_KERNEL_SAMPLES = 4096
# Float64 values of one column slab of centred dense X (4 MiB), and the
# fewest columns a slab has, so the rank-k update runs at BLAS-3 speed.
_SLAB_VALUES, _MIN_SLAB_COLUMNS = 2**19, 64
# How far above K's rounding level every column's variance (or the penalty)
# must be for K to resolve it; other problems go to L-BFGS, whose
# preconditioner scales each column.
RESOLUTION_MARGIN = 100.0
_CONSTANT_SPREAD = 1e-6
# Multiply-adds below which forming K is not split over threads.
_MIN_THREADED_WORK = 2**26


def solves_directly(problem, is_half_squared_error):
    """Whether the problem is a wide, in-memory, unconstrained ridge problem this module solves.

    Parameters
    ----------
    problem : FitProblem
    is_half_squared_error : bool
        Whether the fit's loss is exactly ``1/2 ||z - y||^2``.
    """
    data = problem.data
    return bool(
        is_half_squared_error
        and problem.linear_term is None
        and problem.coef_bounds is None
        and data.weight_sum == 1.0
        and isinstance(data, InMemoryRows)
        and data.n_samples < data.n_features
        and data.n_samples <= MAX_KERNEL_SAMPLES
    )


def _slab_products(X, mean, inverse, columns):
    """``sum over slabs S of c^-2 (X_S - mu_S)(X_S - mu_S)^T`` (upper triangle) over ``columns``."""
    n_samples = X.shape[0]
    step = max(_MIN_SLAB_COLUMNS, _SLAB_VALUES // n_samples)
    product = np.zeros((n_samples, n_samples), order="F")
    for first in range(columns.start, columns.stop, step):
        last = min(first + step, columns.stop)
        # float64, without a float64 copy of a float32 X first.
        slab = np.subtract(X[:, first:last], mean[first:last], dtype=float)
        slab *= inverse
        product = scipy.linalg.blas.dsyrk(1.0, slab.T, beta=1.0, c=product, trans=1, overwrite_c=1)
    return product


def _dense_centred_kernel(X, mean, inverse):
    """``c^-2 (X - 1 mu)(X - 1 mu)^T`` of dense X in float64, a slab of columns at a time."""
    n_samples, n_features = X.shape
    n_parts = available_threads() if n_samples**2 * n_features > _MIN_THREADED_WORK else 1
    bounds = np.linspace(0, n_features, n_parts + 1).astype(int)
    parts = [range(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    upper = run_parts(lambda columns: _slab_products(X, mean, inverse, columns), parts)
    kernel = np.triu(upper[0])
    for part in upper[1:]:
        kernel += np.triu(part)
    kernel += np.triu(kernel, 1).T
    return kernel


def _sparse_centred_kernel(X, mean, inverse):
    """``c^-2 (X - 1 mu)(X - 1 mu)^T`` of sparse X: ``X X^T`` less the means' terms, in float64.

    Centring would make X dense. Like the sparse Gram matrix
    (:func:`._moments.centred_moments`) it then cancels by about
    ``mu^2 / variance`` for columns of large mean.
    """
    # One float64 copy of the stored values (float32 X too), scaled in place.
    X = X.astype(float, copy=True)
    X.data *= inverse
    mean = mean * inverse
    kernel = (X @ X.T).toarray()
    projected = np.asarray(X @ mean).ravel()
    kernel -= projected[:, np.newaxis]
    kernel -= projected[np.newaxis, :]
    kernel += float(mean @ mean)
    return kernel


def _largest_value(X):
    """``max |x_ij|`` of dense or sparse X, without a copy of X."""
    values = X.data if scipy.sparse.issparse(X) else X
    if values.size == 0:
        return 0.0
    return float(max(abs(values.max()), abs(values.min())))


def _weighted_kernel(data, mean, inverse):
    """``K = c^-2 R (X - 1 mu)(X - 1 mu)^T R`` with ``R = diag(sqrt(w))``.

    ``c = 1 / inverse`` is a power of two, so the scaling is exact. Rows
    against rows is no sum over row blocks: this reads the in-memory X
    whole, dense in slabs of columns, sparse by one sparse product.
    """
    if data.is_sparse:
        kernel = _sparse_centred_kernel(data.X, mean, inverse)
    else:
        kernel = _dense_centred_kernel(data.X, mean, inverse)
    root = np.sqrt(data.sample_weight)
    kernel *= root[:, np.newaxis]
    kernel *= root[np.newaxis, :]
    return kernel


def _dual_solution(kernel, target, alpha, cutoff, floor):
    """``beta = (K + alpha I)^{-1} r``, the eigenvalues of K at its rounding level dropped.

    That level is ``cutoff`` times K's largest eigenvalue, or ``floor`` (the
    rounding of its centring) if larger. Cholesky when ``alpha`` is above
    it (with the 1-norm, at least the largest eigenvalue, in its place), so
    every eigenvalue counts; an eigendecomposition otherwise.
    """
    if alpha > max(cutoff * float(np.max(np.sum(np.abs(kernel), axis=0))), floor):
        shifted = kernel.copy()
        shifted.flat[:: len(kernel) + 1] += alpha
        factor, failed = lapack.dpotrf(shifted, overwrite_a=1)
        if not failed:
            return lapack.dpotrs(factor, target)[0]
    values, vectors = scipy.linalg.eigh(kernel, check_finite=False)
    kept = values > max(cutoff * values[-1], floor)
    vectors = vectors[:, kept]
    return vectors @ ((vectors.T @ target) / (values[kept] + alpha)[:, np.newaxis])


def _transposed_product_kernel(block, dual):
    """``X_b^T D_b`` of a block, in float64 whatever X's dtype."""
    return (np.asarray(block.XT @ dual[block.rows], dtype=float),)


def _columns_resolvable(data, fit_intercept, scaled_alpha, inverse, cutoff):
    """Whether K resolves every column: none has a variance near K's rounding level unless
    the penalty is above that level too.

    K's eigenvalues are accurate to about ``cutoff`` times its trace; a
    column whose variance (about its mean, or about zero without an
    intercept; constant columns aside) is within :data:`RESOLUTION_MARGIN`
    of that would be lost, and with it the fit along it when ``alpha`` is
    smaller still (one column in units of 1e13 left the others unfitted).
    One pass over X, next to forming K's ``n`` passes' worth of work.
    """
    mean, spread = column_moments(data)
    if fit_intercept:
        # Sparse moments cancel to about sqrt(eps) |mean|: constant below this.
        spread = np.where(spread > _CONSTANT_SPREAD * np.abs(mean), spread, 0.0)
    else:
        spread = np.hypot(spread, mean)
    variance = (spread * inverse) ** 2
    level = RESOLUTION_MARGIN * cutoff * float(np.sum(variance))
    smallest = float(np.min(variance[variance > 0], initial=np.inf))
    return bool(smallest > level or scaled_alpha > level)


def kernel_ridge_solution(problem):
    """The exact minimiser ``(coef, intercept)`` of a problem :func:`solves_directly` accepts.

    Parameters
    ----------
    problem : FitProblem

    Returns
    -------
    (coef, intercept) or None
        ``coef`` of shape (n_features, n_outputs), ``intercept``
        (n_outputs,); None if K cannot resolve a column (see
        :func:`_columns_resolvable`) or the coefficients are too large for
        float64, for the caller to fall back on L-BFGS.
    """
    data = problem.data.without_offset()
    weight = data.sample_weight
    if problem.fit_intercept:
        mean, y_mean = column_means(data), weight @ data.y
    else:
        mean, y_mean = np.zeros(data.n_features), np.zeros(data.n_outputs)
    # X in units of a power of two c near its largest value: K = c^-2 A A^T
    # can neither overflow nor underflow whatever X's units, and
    # (A A^T + alpha I) beta = r is (K + alpha c^-2 I) c^2 beta = r.
    largest = _largest_value(data.X)
    inverse = float(np.ldexp(1.0, -int(np.frexp(largest)[1]))) if largest > 0 else 1.0
    cutoff = max(data.n_samples, data.n_features) * np.finfo(float).eps
    scaled_alpha = problem.alpha * inverse * inverse
    if not _columns_resolvable(data, problem.fit_intercept, scaled_alpha, inverse, cutoff):
        return None
    kernel = _weighted_kernel(data, mean, inverse)
    root = np.sqrt(weight)[:, np.newaxis]
    target = root * (data.y - y_mean)
    # Centring leaves errors of about eps |x| in each entry of dense X - mu,
    # so of eps^2 |x|^2 in K; sparse K = X X^T less the means' terms cancels
    # to about eps |x|^2. A K of features without spread is all rounding.
    second_moment = float(np.trace(kernel) + (mean * inverse) @ (mean * inverse))
    floor = cutoff * second_moment * (1.0 if data.is_sparse else cutoff)
    # R c^2 beta, times c^-1 so that X^T of it is in the units of one.
    weighted_dual = root * _dual_solution(kernel, target, scaled_alpha, cutoff, floor) * inverse
    # W = (X - 1 mu)^T R beta = c^-1 (X^T (R c^2 beta c^-1) - mu (1^T R c^2 beta c^-1)).
    (coef,) = data.sum_over_blocks(_transposed_product_kernel, weighted_dual)
    coef -= np.outer(mean, weighted_dual.sum(axis=0))
    coef *= inverse
    if not np.all(np.isfinite(coef)):
        return None
    return coef, y_mean - mean @ coef
