"""Where the training rows live: the one interface through which the core reads data.

Every pass the core makes over the data is "run this block kernel on each
row block and sum the results" (or, for per-sample results such as raw
outputs, "stack them"). A *block kernel* is a plain module-level function
``kernel(block, *params)`` of one :class:`RowBlock` and the parameters of
the pass (coefficients, a loss, ...): nothing else, so a worker that holds
the block can run it. A data source decides where blocks live and how
kernels run on them; nothing above this module knows.

To add a data source (for example chunks held by Dask workers), subclass
:class:`DataSource` and implement its methods; the objectives, the
moments, the fitting loop and the exact finish need no change.
"""

import numpy as np
import scipy.sparse

from ._blocks import available_threads, row_blocks, run_parts, split_evenly


class RowBlock:
    """Rows ``rows`` of the training data: X, its transpose, y, the weights and offsets.

    ``X`` and ``XT`` share the memory of the full X and ``weight`` that of
    the full weights; ``y`` is a view of the full y for one output, a copy
    with contiguous columns for several; ``offset`` is a view of the full
    offsets. ``weight`` are the normalised weights of these rows (the
    weights of all rows sum to one) and ``share`` their sum. ``offset`` is
    added to the raw output of these rows (``z = X W + b + offset``), or
    None for no offset.
    """

    __slots__ = ("rows", "X", "XT", "y", "weight", "share", "offset")

    def __init__(self, rows, X, XT, y, weight, share, offset=None):
        self.rows, self.X, self.XT, self.y = rows, X, XT, y
        self.weight, self.share, self.offset = weight, share, offset


class DataSource:
    """The rows of a fit: X, y, normalised sample weights and offsets, as row blocks.

    Attributes
    ----------
    n_samples, n_features, n_outputs : int
    is_sparse : bool
    weight_sum : float
        Sum of ``sample_weight``: one, or a sub-problem's share.
    dtype : numpy dtype
        X's dtype; products with X are taken in it, so X is never upcast.
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
        Normalised: they sum to one over the full problem (a sub-problem's
        rows sum to their share of it).
    offset : ndarray of shape (n_samples, n_outputs) or None
        Known per-row terms of the raw output, ``z = X W + b + offset``
        (a log-exposure, say); None for none. They travel with y and the
        weights: every block carries its rows' offsets.
    """

    n_samples: int
    n_features: int
    n_outputs: int
    is_sparse: bool
    weight_sum: float

    def sum_over_blocks(self, kernel, *params, min_block_values=0):
        """The sum over blocks ``b`` of ``kernel(b, *params)``, a tuple of arrays or floats.

        ``min_block_values`` asks for blocks of at least that many entries of
        X, for kernels whose result per block is large (a Gram matrix).
        Blocks without weight add nothing to a weighted sum and are skipped.
        """
        raise NotImplementedError

    def stack_over_blocks(self, kernel, *params):
        """``kernel(b, *params)`` of every block (weightless ones too), stacked along rows."""
        raise NotImplementedError

    def take(self, rows):
        """An in-memory data source of the rows ``rows`` (an index array), weights kept."""
        raise NotImplementedError

    def dense_rows(self, rows):
        """Rows ``rows`` of X as a dense float64 array of shape (len(rows), n_features)."""
        raise NotImplementedError

    def without_offset(self):
        """The same rows with the offset moved into the target, ``y - offset``.

        For a loss of ``raw - y`` alone (squared error) it is the same
        problem, whose moments then need no offset.
        """
        raise NotImplementedError


class InMemoryRows(DataSource):
    """Rows held in this process, in cache-sized (dense) or value-sized (CSR) blocks.

    A pass over many values runs on several threads, each summing its own
    contiguous run of blocks (see :mod:`._blocks`).

    Parameters
    ----------
    X : {ndarray, CSR or CSC matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights, as the user gave them.
    weight_total : float, default=None
        What they are normalised by; their sum if None.
    offset : ndarray of shape (n_samples, n_outputs), default=None
    """

    def __init__(self, X, y, sample_weight, weight_total=None, offset=None):
        self.X, self.y, self.offset = X, y, offset
        self.n_samples, self.n_features = X.shape
        self.n_outputs = y.shape[1]
        self.dtype = X.dtype
        self.is_sparse = scipy.sparse.issparse(X)
        # The one place weights are normalised. A sub-problem's rows keep
        # the full problem's total.
        self._weight = sample_weight
        self._total = float(np.sum(sample_weight)) if weight_total is None else weight_total
        self.sample_weight = _normalised(sample_weight, self._total)
        self.weight_sum = float(np.sum(sample_weight)) / self._total
        self._blocks, self._weighted, self._runs = {}, {}, {}

    def blocks(self, min_block_values=0):
        """The row blocks, built once per distinct cut of the rows."""
        if min_block_values not in self._blocks:
            slices = row_blocks(self.X, min_block_values)
            same_cut = [
                blocks
                for blocks in self._blocks.values()
                if [b.rows for b in blocks] == [b.rows for b in slices]
            ]
            self._blocks[min_block_values] = same_cut[0] if same_cut else self._block_list(slices)
            # Blocks without weight add nothing to a weighted sum.
            self._weighted[min_block_values] = [
                b for b in self._blocks[min_block_values] if b.share > 0.0
            ]
        return self._blocks[min_block_values]

    def _block_list(self, slices):
        return [
            RowBlock(
                b.rows,
                b.X,
                b.XT,
                # Columns contiguous, as the raw outputs (see _blocks.times).
                np.asfortranarray(self.y[b.rows]),
                self.sample_weight[b.rows],
                float(np.sum(self._weight[b.rows])) / self._total,
                None if self.offset is None else self.offset[b.rows],
            )
            for b in slices
        ]

    def _runs_of(self, min_block_values, weighted):
        """The blocks (only the weighted ones if ``weighted``) split into one run per thread."""
        self.blocks(min_block_values)
        key = (min_block_values, weighted, available_threads())
        if key not in self._runs:
            blocks = (self._weighted if weighted else self._blocks)[min_block_values]
            self._runs[key] = split_evenly(blocks, key[2])
        return self._runs[key]

    def sum_over_blocks(self, kernel, *params, min_block_values=0):
        runs = self._runs_of(min_block_values, weighted=True)
        sums = run_parts(lambda run: _add_up(kernel(b, *params) for b in run), runs)
        return tuple(t if t.ndim else float(t) for t in _add_up(sums))

    def stack_over_blocks(self, kernel, *params):
        runs = self._runs_of(0, weighted=False)
        parts = run_parts(lambda run: [kernel(b, *params) for b in run], runs)
        parts = [part for run in parts for part in run]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def take(self, rows):
        offset = None if self.offset is None else self.offset[rows]
        return InMemoryRows(self.X[rows], self.y[rows], self._weight[rows], self._total, offset)

    def without_offset(self):
        if self.offset is None:
            return self
        return InMemoryRows(self.X, self.y - self.offset, self._weight, self._total)

    def dense_rows(self, rows):
        part = self.X[rows]
        part = part.toarray() if scipy.sparse.issparse(part) else np.asarray(part)
        return part.astype(float)


def _normalised(sample_weight, total):
    """``sample_weight / total``; equal weights as one number seen as an array (read-only).

    Fits without weights have equal ones, and a per-sample array of them
    is an eighth of the size of a sparse X with five stored values a row.
    """
    if sample_weight.size and sample_weight.min() == sample_weight.max():
        return np.broadcast_to(sample_weight[0] / total, sample_weight.shape)
    return sample_weight / total


def _add_up(results):
    """Sum, in order and in float64, of kernel results (tuples of arrays or floats)."""
    total = None
    for result in results:
        if total is None:
            # Own the running sums: a kernel may return views.
            total = [np.array(part, dtype=float) for part in result]
        else:
            for running, part in zip(total, result, strict=True):
                running += part
    return total
