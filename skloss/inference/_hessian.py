"""Per-sample Hessians of a loss in the raw output, analytic or by finite differences."""

import numpy as np

# Central-difference step, relative to max(1, |raw|): about the cube root of
# machine epsilon, where truncation and rounding errors balance (~1e-10).
_STEP = 6e-6


def per_sample_hessian(loss, y, raw):
    """``loss.hessian(y, raw)``, or central differences of ``loss.gradient``.

    Parameters
    ----------
    loss : Loss
    y, raw : ndarray of shape (n_samples, n_outputs)

    Returns
    -------
    ndarray of shape (n_samples, n_outputs, n_outputs)
        The per-sample Hessians, symmetrised when computed numerically.
        The fallback costs ``2 * n_outputs`` gradient evaluations.
    """
    try:
        hessian = loss.hessian(y, raw)
    except NotImplementedError:
        return _finite_difference_hessian(loss, y, raw)
    hessian = np.asarray(hessian, dtype=np.float64)
    expected = (raw.shape[0], raw.shape[1], raw.shape[1])
    if hessian.shape != expected:
        raise ValueError(
            f"{loss!r}.hessian(y, raw) must return an array of shape (n_samples, "
            f"n_outputs, n_outputs) = {expected}, got {hessian.shape}."
        )
    return hessian


def _finite_difference_hessian(loss, y, raw):
    n_samples, n_outputs = raw.shape
    hessian = np.empty((n_samples, n_outputs, n_outputs))
    # Samples are independent: shifting one output column of every sample
    # at once gives column j of every sample's Hessian.
    for j in range(n_outputs):
        step = _STEP * np.maximum(1.0, np.abs(raw[:, j]))
        up, down = raw.copy(), raw.copy()
        up[:, j] += step
        down[:, j] -= step
        difference = np.asarray(loss.gradient(y, up)) - np.asarray(loss.gradient(y, down))
        hessian[:, :, j] = difference / (2.0 * step[:, np.newaxis])
    return 0.5 * (hessian + hessian.transpose(0, 2, 1))
