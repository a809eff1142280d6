r"""The fitting problem: what is minimised, built once per fit.

.. math::

    F(W, b) = \sum_i w_i\, l(y_i, x_i W + b) + \frac{\alpha}{2} \|W\|_F^2
        + \langle G, W \rangle + \langle g, b \rangle,
    \qquad w_i = \frac{s_i}{\sum_j s_j}

with ``s`` the sample weights. The linear term ``(G, g)`` is zero for an
estimator's problem; a screened stage (:mod:`skloss._core._nonsmooth`)
keeps the samples far from their kinks only as such a term, on a
sub-problem whose weights sum to less than one.

New constraints or terms (offsets, bounds) become new fields here; every
objective and the non-smooth machinery read the problem, never the
estimator's arrays.
"""

from dataclasses import dataclass

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
    """

    data: DataSource
    alpha: float
    fit_intercept: bool
    linear_term: tuple = None

    n_features = property(lambda self: self.data.n_features)
    n_outputs = property(lambda self: self.data.n_outputs)

    @property
    def n_params(self):
        """Unknowns per output column: the coefficients and the intercept."""
        return self.n_features + int(self.fit_intercept)

    def sub_problem(self, rows, linear_term):
        """The problem on ``rows`` only, the other rows replaced by ``linear_term``."""
        return FitProblem(self.data.take(rows), self.alpha, self.fit_intercept, linear_term)


def make_problem(X, y, sample_weight, alpha, fit_intercept):
    """The problem of fitting ``y`` on ``X``.

    Parameters
    ----------
    X : {ndarray, CSR or CSC matrix, DaskX} of shape (n_samples, n_features)
        In memory, or a Dask array prepared by :class:`._dask_rows.DaskX`.
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
        Non-negative, with a positive sum.
    alpha : float
    fit_intercept : bool

    Returns
    -------
    FitProblem
    """
    if hasattr(X, "as_data_source"):
        data = X.as_data_source(y, sample_weight)
        return FitProblem(data, float(alpha), bool(fit_intercept))
    if scipy.sparse.issparse(X):
        if X.format not in ("csr", "csc"):
            X = X.tocsr()
        if not X.has_canonical_format:
            # Duplicate entries would be squared separately in the moments
            # (copy: never touch the caller's matrix).
            X = X.copy()
            X.sum_duplicates()
    return FitProblem(InMemoryRows(X, y, sample_weight), float(alpha), bool(fit_intercept))
