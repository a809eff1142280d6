"""Row chunks held in one process: what a Dask worker (or the client) evaluates.

A Dask array of X is cut into row chunks. Each chunk here is an
:class:`~._data.InMemoryRows` of its own rows, so the block kernels run on
it exactly as on in-memory X; its blocks are numbered by the rows of the
*whole* data, so a kernel that reads a per-sample array of all samples
(``g[block.rows]``) finds its rows. This module imports no Dask: a worker
unpickles it like any other module.
"""

import numpy as np

from ._data import InMemoryRows


class _Chunk(InMemoryRows):
    """Rows ``first_row:first_row + len(X)`` of the data, in memory."""

    def __init__(self, X, y, sample_weight, weight_total, first_row):
        self.first_row = first_row
        super().__init__(X, y, sample_weight, weight_total)

    def _block_list(self, slices):
        blocks = super()._block_list(slices)
        for block in blocks:
            stop = min(block.rows.stop, self.n_samples)
            block.rows = slice(block.rows.start + self.first_row, stop + self.first_row)
        return blocks


class ChunkGroup:
    """The row chunks one process holds; a Dask actor on a cluster.

    Parameters
    ----------
    X_chunks : list of ndarray
        Rows of X, one array per chunk.
    y_chunks, weight_chunks : list of ndarray
        The same rows of the (encoded) target and of the raw sample weights.
    first_rows : list of int
        Index of each chunk's first row in the whole data.
    weight_total : float
        Sum of the weights of the whole data, which normalises them.
    """

    def __init__(self, X_chunks, y_chunks, weight_chunks, first_rows, weight_total):
        self.chunks = [
            _Chunk(X, y, w, weight_total, first_row)
            for X, y, w, first_row in zip(
                X_chunks, y_chunks, weight_chunks, first_rows, strict=True
            )
        ]
        self.weighted = [chunk for chunk in self.chunks if chunk.weight_sum > 0]

    def sum_over_blocks(self, kernel, params, min_block_values=0):
        """Sum of ``kernel(block, *params)`` over this group's blocks, or None if weightless."""
        total = None
        for chunk in self.weighted:
            total = add_parts(
                total, chunk.sum_over_blocks(kernel, *params, min_block_values=min_block_values)
            )
        return total

    def stack_over_blocks(self, kernel, params):
        """``[(first_row, stacked results)]``, one pair per chunk."""
        return [(c.first_row, c.stack_over_blocks(kernel, *params)) for c in self.chunks]

    def rows(self, rows):
        """``[(first_row, rows of X)]`` of the chunks holding some of ``rows`` (sorted, global)."""
        parts = []
        for chunk in self.chunks:
            local = rows[(rows >= chunk.first_row) & (rows < chunk.first_row + chunk.n_samples)]
            if len(local):
                parts.append((chunk.first_row, chunk.X[local - chunk.first_row]))
        return parts

    def non_finite(self):
        """Whether X in this group holds a NaN, and whether it holds an infinity."""
        return (
            any(bool(np.isnan(chunk.X).any()) for chunk in self.chunks),
            any(bool(np.isinf(chunk.X).any()) for chunk in self.chunks),
        )


def add_parts(total, part):
    """Running sum of results of block sums (tuples of arrays); None adds nothing."""
    if part is None:
        return total
    if total is None:
        return tuple(part)
    return tuple(t + p for t, p in zip(total, part, strict=True))
