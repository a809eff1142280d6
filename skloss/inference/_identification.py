"""Inverting the bread on the parameters the data identify.

Softmax logits are invariant to adding the same number to every class:
the parameters of a feature (or the intercept) whose shift across classes
no penalty pins down are not identified, and the bread is singular along
those shifts. The fitted parameters of such a feature sum to zero over the
classes (the fit starts there and its gradients keep it there), so the
covariance is that of these centred parameters: the bread is inverted on
the subspace orthogonal to the shifts.
"""

import numpy as np
import scipy.linalg

# Smallest pivot of the equilibrated bread (unit diagonal) below which the
# parameters count as not identified: a relative condition number of ~1e12.
_SMALLEST_PIVOT = 1e-12


def centred_basis(n_outputs, n_params, shifted):
    """Orthonormal basis of parameters with no shift across outputs.

    Parameters
    ----------
    n_outputs, n_params : int
    shifted : list of int
        Parameter indices (within an output) whose common shift over the
        outputs is not identified.

    Returns
    -------
    ndarray of shape (n_outputs * n_params, n_identified) or None
        None when nothing is shifted.
    """
    if not shifted:
        return None
    # Columns of the identity for parameters that are identified, and for
    # each shifted one an orthonormal basis of {v : sum(v) = 0} over outputs.
    contrasts = scipy.linalg.null_space(np.ones((1, n_outputs)))
    columns = []
    for j in range(n_params):
        positions = np.arange(n_outputs) * n_params + j
        if j in shifted:
            block = np.zeros((n_outputs * n_params, n_outputs - 1))
            block[positions] = contrasts
            columns.append(block)
        else:
            block = np.zeros((n_outputs * n_params, n_outputs))
            block[positions, np.arange(n_outputs)] = 1.0
            columns.append(block)
    return np.hstack(columns)


def identified_inverse(bread, basis, names):
    """Inverse of the symmetric bread, on the span of ``basis`` if given.

    Raises a ValueError naming the parameters that are not identified.
    """
    reduced = bread if basis is None else basis.T @ bread @ basis
    scale = np.sqrt(np.clip(np.diag(reduced), 0.0, None))
    if np.all(scale > 0):
        equilibrated = reduced / scale[:, np.newaxis] / scale[np.newaxis, :]
        try:
            factor = scipy.linalg.cho_factor(equilibrated, lower=True)
        except scipy.linalg.LinAlgError:
            factor = None
        if factor is not None and np.min(np.diag(factor[0])) ** 2 > _SMALLEST_PIVOT:
            inverse = scipy.linalg.cho_solve(factor, np.eye(reduced.shape[0]))
            inverse = inverse / scale[:, np.newaxis] / scale[np.newaxis, :]
            return inverse if basis is None else basis @ inverse @ basis.T
    suspects = [names[j] for j in np.flatnonzero(np.diag(bread) <= 0)] if basis is None else []
    raise ValueError(
        "The parameters are not identified: the Hessian of the objective at the "
        "fit is singular"
        + (f" (no information on {', '.join(suspects)})" if suspects else "")
        + ". Usual causes: collinear or constant features, a feature that is "
        "zero on every sample, classes separated perfectly by the features with "
        "alpha=0, or more parameters than samples. Remove redundant features or "
        "fit with alpha > 0."
    )
