"""Row blocks of X that share its memory, and running a function over them on threads.

The objective is a sum over rows, so every pass over X is a sum over row
blocks. Dense X is cut into cache-sized blocks: an evaluation's two
products, ``X_b @ W`` and ``X_b.T @ G``, then read each block while it is
still in cache, one pass over memory instead of two. CSR X is cut into
blocks of a few hundred thousand stored values, built from slices of X's
own arrays (scipy's slicing would copy them).

A pass over a large X runs on several threads, each owning a contiguous
run of blocks (:func:`split_evenly`, :func:`run_parts`): BLAS, numpy's
ufuncs and scipy's sparse products release the GIL, and one core does not
saturate memory bandwidth. A fixed split keeps sums in a fixed order, so
a fit is reproducible.
"""

import functools
import os
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from threadpoolctl import ThreadpoolController

# Target size of one block of rows of dense X (bytes): a core's L2 cache here,
# so X_b.T @ G reads the block from cache (0.5 to 4 MB timed the same on
# 200,000 x 100; fewer blocks hold the GIL less often).
_DENSE_BLOCK_BYTES = 2**21
# Fewest rows in a dense block: each block costs a few dozen numpy calls
# (about 30 us), which fewer rows would not amortise (timed 64 to 1024 rows
# on 20,000 x 2,000).
_MIN_DENSE_BLOCK_ROWS = 256
# Passes over fewer values of X than this run on one thread: handing work
# to another thread costs tens of microseconds.
_MIN_THREADED_VALUES = 2**20
# Stored values per sparse block: enough that scipy's per-call overhead is
# small, and for row blocks at least this many per feature, because each
# block also writes a dense n_features x n_outputs partial gradient (chosen
# by timing 16 to 512 blocks on the sparse benchmark cases; at 10,000
# features, 100 per feature (20 blocks) evaluated 10% faster than 32 (62)).
_MIN_SPARSE_BLOCK_VALUES = 2**18
_SPARSE_VALUES_PER_FEATURE = 100
# Most rows in a sparse block (unless a pass asks for larger blocks): each
# evaluation holds a few float64 arrays per row of the blocks in flight, so
# this bounds its extra memory by about 1 MB per output and thread, under
# half of X's size even at 5 stored values per row; 2**14 to 2**17 rows
# timed the same on 200,000 x 500 at 1% density.
_MAX_SPARSE_BLOCK_ROWS = 2**14
# What one row of a sparse block costs in a pass, in stored values: its
# loss and weights (about 15 ns) against about 2.5 ns per stored value for
# the two products (timed on the sparse benchmark cases).
_SPARSE_ROW_VALUES = 6


@dataclass(frozen=True)
class RowSlice:
    """Rows ``rows`` of X as a matrix ``X`` and its transpose ``XT``, both views."""

    rows: slice
    X: object
    XT: object


def row_blocks(X, min_block_values=0):
    """Blocks of rows that partition X, each sharing X's memory.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    min_block_values : int, default=0
        Fewest entries (dense) or stored values (CSR) in a block, for passes
        whose per-block result is large (a Gram matrix).

    Returns
    -------
    list of RowSlice
        Dense X: cache-sized blocks. CSR X: blocks cut at
        :func:`outer_bounds`. CSC X: one block, X itself (its rows are
        scattered).
    """
    n_samples, n_features = X.shape
    if not scipy.sparse.issparse(X):
        width = max(n_features, 1)
        # Rows of float64 size, whatever X's precision: the working arrays
        # of a block's pass (raw outputs, centred rows) are float64, and
        # twice the rows of a float32 X timed no faster.
        step = max(_MIN_DENSE_BLOCK_ROWS, _DENSE_BLOCK_BYTES // (8 * width))
        step = max(step, -(-min_block_values // width))
        starts = range(0, n_samples, step)
        return [RowSlice(slice(a, a + step), X[a : a + step], X[a : a + step].T) for a in starts]
    if X.format != "csr":
        return [RowSlice(slice(0, n_samples), X, transposed(X))]
    # Each block also writes a dense n_features x n_outputs partial result.
    min_values = max(_SPARSE_VALUES_PER_FEATURE * n_features, min_block_values)
    max_rows = None if min_block_values else _MAX_SPARSE_BLOCK_ROWS
    bounds = outer_bounds(X, min_values, max_rows)
    blocks = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        block = outer_slice(X, a, b)
        blocks.append(RowSlice(slice(a, b), block, transposed(block)))
    return blocks


def times(block, coef):
    """``X_b W`` of a block, multiplied in X's precision, as an array with contiguous columns.

    Losses over several outputs reduce across them (softmax): with each
    output's column contiguous, that is an elementwise operation over rows,
    several times faster than reducing short rows. Dense blocks multiply as
    ``(W^T X_b^T)^T``, which BLAS also computes faster for a few outputs.
    One output is multiplied the same way, not by a matrix-vector product:
    that was a third faster in float32, but once (in a property test, not
    reproducible alone) it raised an "invalid value" warning on finite data.
    """
    coef = coef.astype(block.X.dtype, copy=False)
    if scipy.sparse.issparse(block.X):
        return np.asfortranarray(block.X @ coef)
    return (coef.T @ block.XT).T


def transposed_times(block, gradient):
    """``X_b^T G`` of a block, for ``G`` with one row per row of the block, in X's precision."""
    gradient = gradient.astype(block.X.dtype, copy=False)
    if scipy.sparse.issparse(block.X):
        return block.XT @ gradient
    return (gradient.T @ block.X).T


def outer_bounds(X, min_values=0, max_rows=None):
    """Where to cut a CSR's rows or a CSC's columns into blocks of stored values.

    Blocks hold at least ``max(2**18, min_values)`` stored values, split at
    equal numbers of stored values, not of rows or columns; with
    ``max_rows``, into enough blocks that on average they have at most that
    many rows (or columns).

    Returns
    -------
    list of int
        Increasing bounds from 0 to the number of rows (CSR) or columns (CSC).
    """
    n_blocks = max(1, X.nnz // max(_MIN_SPARSE_BLOCK_VALUES, min_values))
    if max_rows is not None:
        n_blocks = max(n_blocks, -(-(X.indptr.size - 1) // max_rows))
    cuts = np.searchsorted(X.indptr, np.linspace(0, X.nnz, n_blocks + 1)[1:-1])
    bounds = np.unique(np.concatenate([[0], cuts, [X.indptr.size - 1]]))
    return [int(bound) for bound in bounds]


def outer_slice(X, first, last, data=None):
    """Rows (CSR) or columns (CSC) ``first:last`` of X, sharing X's arrays.

    Parameters
    ----------
    X : CSR or CSC matrix or array
    first, last : int
    data : ndarray, optional

    Returns
    -------
    CSR or CSC array (X's format)

    Notes
    -----
    Only the index pointer is new. ``data``, if given, replaces the stored
    values of the slice (same length), for example by their squares.
    """
    start, stop = int(X.indptr[first]), int(X.indptr[last])
    n_inner = X.shape[1] if X.format == "csr" else X.shape[0]
    shape = (last - first, n_inner) if X.format == "csr" else (n_inner, last - first)
    # Build empty and then attach the arrays: scipy's constructor "prunes"
    # (copies) arrays that are views of much larger ones.
    container = {"csr": scipy.sparse.csr_array, "csc": scipy.sparse.csc_array}[X.format]
    result = container(shape, dtype=X.dtype if data is None else data.dtype)
    result.data = X.data[start:stop] if data is None else data
    result.indices = X.indices[start:stop]
    result.indptr = X.indptr[first : last + 1] - X.indptr[first]
    return result


def transposed(X):
    """The transpose of a CSR or CSC matrix, sharing its arrays."""
    container = {"csr": scipy.sparse.csc_array, "csc": scipy.sparse.csr_array}[X.format]
    result = container(X.shape[::-1], dtype=X.dtype)
    result.data, result.indices, result.indptr = X.data, X.indices, X.indptr
    return result


@functools.cache
def threadpool_controller():
    """The process's threadpoolctl controller: the BLAS and OpenMP libraries loaded."""
    return ThreadpoolController()


def available_threads():
    """Threads a pass over X may use.

    The CPUs this process may run on, capped as scikit-learn's own parallel
    (OpenMP) loops are: by ``OMP_NUM_THREADS`` when it is set, and by the
    OpenMP limit in force, so ``threadpoolctl.threadpool_limits(1)`` makes
    passes single-threaded. (The fit itself limits BLAS to one thread, so
    BLAS limits say nothing here.)
    """
    try:
        n_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n_cpus = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if limit.strip().isdigit() and int(limit) > 0:
        n_cpus = min(n_cpus, int(limit))
    for library in threadpool_controller().select(user_api="openmp").lib_controllers:
        n_cpus = min(n_cpus, library.num_threads or n_cpus)
    return max(1, n_cpus)


def block_size(block):
    """The work of a pass over a block, in values of X.

    Dense: its entries. Sparse: its stored values, plus the per-row work of
    a pass (the loss), which outweighs them at a few values per row.
    """
    X = block.X
    if scipy.sparse.issparse(X):
        return X.nnz + _SPARSE_ROW_VALUES * X.shape[0]
    return X.size


def split_evenly(blocks, n_parts):
    """Contiguous runs of ``blocks``, at most ``n_parts``, holding about equal parts of X.

    A pass over fewer than ``_MIN_THREADED_VALUES`` values is one run.
    """
    sizes = np.array([block_size(block) for block in blocks], dtype=float)
    total = float(np.sum(sizes))
    if total < _MIN_THREADED_VALUES or n_parts < 2:
        return [blocks] if blocks else []
    # Each block goes to the part its middle value falls in.
    middles = np.cumsum(sizes) - sizes / 2
    owner = np.minimum(middles * n_parts // total, n_parts - 1)
    bounds = np.unique(np.searchsorted(owner, np.arange(n_parts + 1)))
    return [blocks[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


@functools.cache
def _thread_pool(process_id):
    """The threads passes over X run on, one pool per process (a fork gets its own)."""
    return ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="skloss-rows")


def run_parts(function, parts):
    """``[function(part) for part in parts]``, the first on this thread, the others on the pool."""
    if len(parts) == 1:
        return [function(parts[0])]
    pool = _thread_pool(os.getpid())
    futures = [pool.submit(function, part) for part in parts[1:]]
    try:
        first = function(parts[0])
    finally:
        # Never leave threads reading X behind an exception.
        wait(futures)
    return [first, *(future.result() for future in futures)]
