"""Whitening coordinates for a semi-definite Hessian: its numerical range only.

Squared error's Hessian is the Gram matrix of X plus alpha. When X has
dependent columns (duplicated, or collinear to rounding) a Cholesky factor
with jitter stretches the null directions by ``1 / sqrt(jitter)``: there the
objective is flat up to rounding, and L-BFGS ran along them to coefficients
of 1e150. Here ``W = T V`` with ``T`` zero on the null directions (found on
the unit-diagonal Hessian, so whatever the columns' units), and the
coefficients have their null part removed: the fit is the minimum-norm
minimiser, what ``numpy.linalg.lstsq`` returns on the centred, weighted
data, as the wide direct solve (:mod:`._kernel_ridge`) gives.
"""

import numpy as np
import scipy.linalg

from ._parametrisation import Reparametrisation, inverse_cholesky_transpose

# Eigenvalues of the unit-diagonal Hessian below this fraction of the
# largest count as zero: the Gram matrix squares X's conditioning, so these
# are columns collinear to about 1e-6 of their spread, below what the
# moments' rounding resolves in the objective.
RANK_TOLERANCE = 1e-12
# Null eigenvalues count as at least this in the share the left-out
# directions might explain: exactly dependent columns leave squared
# projections of about 1e-32 (a share below 1e-12), float32 roundings of
# collinear columns about 1e-17 next to eigenvalues of +-1e-16 (a share near 1).
_EIGENVALUE_FLOOR = 1e-20


class RangeReparametrisation(Reparametrisation):
    """:class:`Reparametrisation` with a singular ``T``, and coefficients off its null space.

    ``W = (I - P) T V``, ``P`` the orthogonal projector onto the Hessian's
    null space (``D^-1`` times the unit-diagonal one): moving ``W`` along a
    null direction (with the intercept taking up its mean) leaves the
    objective unchanged, so ``P`` changes no value or gradient, only which
    minimiser is returned, the one of least norm. ``pack`` ignores the start's null part.
    """

    def __init__(
        self, transform, pseudo_inverse, null_space, shift, offset, n_outputs, fit_intercept
    ):
        super().__init__(transform, shift, offset, n_outputs, fit_intercept)
        self.pseudo_inverse = pseudo_inverse
        # Unit-diagonal null eigenvectors, their eigenvalues, the column scales.
        self.null_vectors, self.null_eigenvalues, self.root = null_space
        null_basis = scipy.linalg.orth(self.null_vectors / self.root[:, np.newaxis])
        self.null_projector = null_basis @ null_basis.T

    def unresolved_share(self, cross, y_variance):
        """How much of the target's variance the left-out directions might explain.

        Along a unit-diagonal null direction ``u`` with eigenvalue ``s``, least
        squares could lower the mean loss by ``(u . D^-1 c)^2 / (2 s)``, ``c``
        the covariance of X with y: next to nothing when the columns are
        dependent exactly (then both are rounding), much when they are
        independent only below the Gram matrix's resolution (where ``s`` is
        rounding, even negative: hence a floor).
        """
        floor = _EIGENVALUE_FLOOR
        projections = self.null_vectors.T @ (cross / self.root[:, np.newaxis])
        eigenvalues = np.maximum(self.null_eigenvalues, floor)[:, np.newaxis]
        return float(np.sum(projections**2 / eigenvalues)) / max(y_variance, 1e-300)

    def _apply(self, V):
        coef = self.transform @ V
        return coef - self.null_projector @ coef

    def pack(self, coef, intercept):
        coef = np.asarray(coef, dtype=float).reshape(self.n_features, self.n_outputs)
        V = self.pseudo_inverse @ coef
        coef = self._apply(V)
        c = np.ravel(intercept) - self.offset + self.shift @ coef
        if not self.fit_intercept:
            c = np.zeros(self.n_outputs)
        return np.concatenate([V.ravel(), c])


def diagonal_roots(hessian):
    """Square roots of the Hessian's diagonal, the columns' scales.

    A column with nothing on the diagonal (constant, unpenalised) keeps scale one.
    """
    diagonal = np.diag(hessian)
    return np.sqrt(np.where(diagonal > 0, diagonal, 1.0))


def whitening_reparametrisation(hessian, shift, offset, n_outputs, fit_intercept):
    """Coordinates with ``W = T V`` whitening ``hessian`` on its numerical range.

    Full rank: ``T`` is the inverse Cholesky factor
    (:func:`~._parametrisation.inverse_cholesky_transpose`). Otherwise ``T =
    D^-1 U S^-1/2 U^T`` over the eigenvectors ``U`` of the unit-diagonal
    Hessian with eigenvalues ``S`` above :data:`RANK_TOLERANCE` (zero on the
    others, ``D`` the root of the Hessian's diagonal), with the null
    directions' projector (:class:`RangeReparametrisation`).
    """
    # Unit diagonal, so that the rank test does not depend on the columns' units.
    root = diagonal_roots(hessian)
    correlation = hessian / root / root[:, np.newaxis]
    np.fill_diagonal(correlation, np.where(np.diag(hessian) > 0, correlation.diagonal(), 1.0))
    range_basis = _numerical_range(correlation)
    if range_basis is None:
        return Reparametrisation(
            inverse_cholesky_transpose(hessian), shift, offset, n_outputs, fit_intercept
        )
    vectors, eigenvalues, null_vectors, null_eigenvalues = range_basis
    transform = (vectors / np.sqrt(eigenvalues)) @ vectors.T / root[:, np.newaxis]
    pseudo_inverse = (vectors * np.sqrt(eigenvalues)) @ vectors.T * root
    return RangeReparametrisation(
        transform,
        pseudo_inverse,
        (null_vectors, null_eigenvalues, root),
        shift,
        offset,
        n_outputs,
        fit_intercept,
    )


def _numerical_range(correlation):
    """Eigenvectors and eigenvalues above :data:`RANK_TOLERANCE`, then the others.

    None if every eigenvalue is above it.

    A pivoted Cholesky factorisation, a third of the cost of the
    eigenvectors, first tells whether any direction is near null.
    """
    *_, rank, _ = scipy.linalg.lapack.dpstrf(correlation, tol=RANK_TOLERANCE)
    if rank == len(correlation):
        return None
    eigenvalues, vectors = scipy.linalg.eigh(correlation)
    kept = eigenvalues > RANK_TOLERANCE * eigenvalues[-1]
    if np.all(kept):
        return None
    return vectors[:, kept], eigenvalues[kept], vectors[:, ~kept], eigenvalues[~kept]
