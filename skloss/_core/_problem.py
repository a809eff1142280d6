r"""The fitting problem: what is minimised, built once per fit.

.. math::

    F(W, b) = \sum_i w_i\, l(y_i, x_i W + b + o_i) + \frac{\alpha}{2} \|W\|_F^2
        + \langle G, W \rangle + \langle g, b \rangle,
    \qquad w_i = \frac{s_i}{\sum_j s_j}

with ``s`` the sample weights and ``o`` the offsets (zero if none): they
are per-row data and travel with the rows in the data source. The linear
term ``(G, g)`` is zero for an estimator's problem; a screened stage
(:mod:`skloss._core._nonsmooth`) keeps the samples far from their kinks
only as such a term, on a sub-problem whose weights sum to less than one.

Bounds on the coefficients (``lower <= W <= upper``, for non-negative
coefficients) are a field of the problem: L-BFGS-B keeps to them, the
coordinates stay a diagonal scaling of ``W`` so that they remain bounds,
and the exact finish of kinked losses certifies with their multipliers.
New constraints or terms become new fields here; every objective and the
non-smooth machinery read the problem, never the estimator's arrays.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from ._data import DataSource, InMemoryRows


@dataclass(frozen=True)
class FitProblem:
    """One fit's data and penalty, immutable.

    Attributes
    ----------
    data : DataSource
        X, y and the normalised sample weights, in row blocks.
    alpha : float
        L2 penalty strength on the coefficients (never on the intercept).
    fit_intercept : bool
    linear_term : tuple of ndarray or None
        ``(G, g)`` of shapes (n_features, n_outputs) and (n_outputs,), or None.
    coef_bounds : tuple of ndarray or None
        ``(lower, upper)``, each of shape (n_features, n_outputs), with
        ``-inf`` and ``inf`` where a coefficient is free; None if all are.
        The intercept is never bounded.
    """

    data: DataSource
    alpha: float
    fit_intercept: bool
    linear_term: tuple = None
    coef_bounds: tuple = None

    n_features = property(lambda self: self.data.n_features)
    n_outputs = property(lambda self: self.data.n_outputs)

    @property
    def n_params(self):
        """Unknowns per output column: the coefficients and the intercept."""
        return self.n_features + int(self.fit_intercept)

    def sub_problem(self, rows, linear_term):
        """The problem on ``rows`` only, the other rows replaced by ``linear_term``."""
        return FitProblem(
            self.data.take(rows), self.alpha, self.fit_intercept, linear_term, self.coef_bounds
        )


def make_problem(X, y, sample_weight, alpha, fit_intercept, offset=None, coef_bounds=None):
    """The problem of fitting ``y`` on ``X`` (in memory, or a Dask X).

    Parameters
    ----------
    X : {ndarray, CSR or CSC matrix, DaskX} of shape (n_samples, n_features)
        In memory, or a Dask array prepared by :class:`._dask_rows.DaskX`.
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
        Non-negative, with a positive sum.
    alpha : float
    fit_intercept : bool
    offset : ndarray of shape (n_samples, n_outputs), default=None
        Added to the raw output of each row; None for none.
    coef_bounds : tuple, default=None
        ``(lower, upper)`` bounds of the coefficients, each None (unbounded)
        or broadcastable to (n_features, n_outputs); None for none.

    Returns
    -------
    FitProblem
    """
    if hasattr(X, "as_data_source"):
        if offset is not None:
            raise NotImplementedError("A Dask data source carries no offsets yet.")
        data = X.as_data_source(y, sample_weight)
    else:
        if scipy.sparse.issparse(X):
            if X.format not in ("csr", "csc"):
                X = X.tocsr()
            if not X.has_canonical_format:
                # Duplicate entries would be squared separately in the moments
                # (copy: never touch the caller's matrix).
                X = X.copy()
                X.sum_duplicates()
        data = InMemoryRows(X, y, sample_weight, offset=offset)
    if coef_bounds is not None:
        shape = (data.n_features, data.n_outputs)
        coef_bounds = tuple(
            np.broadcast_to(np.asarray(default if bound is None else bound, dtype=float), shape)
            for bound, default in zip(coef_bounds, (-np.inf, np.inf), strict=True)
        )
    return FitProblem(data, float(alpha), bool(fit_intercept), None, coef_bounds)
