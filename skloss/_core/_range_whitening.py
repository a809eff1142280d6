"""Whitening coordinates for a semi-definite Hessian: its numerical range only.

Squared error's Hessian is the Gram matrix of X plus alpha. When X has
dependent columns (duplicated, or collinear to rounding) a Cholesky factor
with jitter stretches the null directions by ``1 / sqrt(jitter)``: there the
objective is flat up to rounding, and L-BFGS ran along them to coefficients
of 1e150. Here ``W = T V`` with ``T`` zero on the null directions: the fit
then stays in the range of the Hessian, and from a start there (zero) it
reaches the minimum-norm minimiser, measured in units of each column's
spread (the norm of ``D W``, ``D`` the root of the Hessian's diagonal), so
the choice does not depend on the columns' units.
"""

import numpy as np
import scipy.linalg

from ._parametrisation import Reparametrisation, inverse_cholesky_transpose

# Eigenvalues of the unit-diagonal Hessian below this fraction of the
# largest count as zero: the Gram matrix squares X's conditioning, so these
# are columns collinear to about 1e-6 of their spread, below what the
# moments' rounding resolves in the objective.
RANK_TOLERANCE = 1e-12


class RangeReparametrisation(Reparametrisation):
    """:class:`Reparametrisation` with a singular ``T``: ``pack`` projects onto its range."""

    def __init__(self, transform, pseudo_inverse, shift, offset, n_outputs, fit_intercept):
        super().__init__(transform, shift, offset, n_outputs, fit_intercept)
        self.pseudo_inverse = pseudo_inverse

    def pack(self, coef, intercept):
        coef = np.asarray(coef, dtype=float).reshape(self.n_features, self.n_outputs)
        # The start's part off the range cannot move and carries no
        # information: it is dropped, so the fit is the minimum-norm one.
        V = self.pseudo_inverse @ coef
        coef = self.transform @ V
        c = np.ravel(intercept) - self.offset + self.shift @ coef
        if not self.fit_intercept:
            c = np.zeros(self.n_outputs)
        return np.concatenate([V.ravel(), c])


def whitening_reparametrisation(hessian, shift, offset, n_outputs, fit_intercept):
    """Coordinates with ``W = T V`` whitening ``hessian`` on its numerical range.

    Full rank: ``T`` is the inverse Cholesky factor
    (:func:`~._parametrisation.inverse_cholesky_transpose`). Otherwise ``T =
    D^-1 U S^-1/2 U^T`` over the eigenvectors ``U`` of the unit-diagonal
    Hessian with eigenvalues ``S`` above :data:`RANK_TOLERANCE` (zero on the
    others).
    """
    diagonal = np.diag(hessian).copy()
    flat = ~(diagonal > 0)
    diagonal[flat] = 1.0
    root = np.sqrt(diagonal)
    correlation = hessian / np.outer(root, root)
    correlation[flat, flat] = 1.0
    # A pivoted Cholesky factorisation (a third of the cost of the
    # eigenvectors) tells whether any direction is near null.
    *_, rank, _ = scipy.linalg.lapack.dpstrf(correlation, tol=RANK_TOLERANCE)
    if rank == len(correlation):
        return Reparametrisation(
            inverse_cholesky_transpose(hessian), shift, offset, n_outputs, fit_intercept
        )
    eigenvalues, vectors = scipy.linalg.eigh(correlation)
    kept = eigenvalues > RANK_TOLERANCE * eigenvalues[-1]
    if np.all(kept):
        return Reparametrisation(
            inverse_cholesky_transpose(hessian), shift, offset, n_outputs, fit_intercept
        )
    vectors, eigenvalues = vectors[:, kept], eigenvalues[kept]
    transform = (vectors / np.sqrt(eigenvalues)) @ vectors.T / root[:, np.newaxis]
    pseudo_inverse = (vectors * np.sqrt(eigenvalues)) @ vectors.T * root
    return RangeReparametrisation(
        transform, pseudo_inverse, shift, offset, n_outputs, fit_intercept
    )
