"""Finite-difference check of a loss's gradient."""

import numpy as np

__all__ = ["check_gradient"]


def check_gradient(loss, y, raw, sample_weight=None, *, step=1e-6, rtol=1e-5):
    """Check a loss's gradient against central finite differences.

    Compares the gradient returned by ``loss.loss_gradient`` (and by
    ``loss.gradient``) with central differences of the weighted mean loss,
    and checks that the value returned by ``loss.loss_gradient`` equals the
    weighted mean of ``loss.loss``. Use it when writing a new loss.

    Parameters
    ----------
    loss : Loss
        The loss to check.
    y : array-like of shape (n_samples, n_outputs)
        Targets, encoded as the loss expects.
    raw : array-like of shape (n_samples, n_outputs)
        Raw outputs at which to check; keep them away from kinks of a
        non-smooth loss.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; all ones if None.
    step : float, default=1e-6
        Finite-difference step, relative to ``max(1, |raw|)``.
    rtol : float, default=1e-5
        Largest allowed error, relative to the largest entry of the weighted
        gradient (or to the largest normalised weight, if that is larger).

    Returns
    -------
    error : float
        The largest relative error found.

    Raises
    ------
    AssertionError
        If the error exceeds ``rtol``, or the value or shapes are
        inconsistent.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import BernoulliLogLoss, check_gradient
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, size=(50, 1)).astype(float)
    >>> raw = rng.normal(scale=3.0, size=(50, 1))
    >>> check_gradient(BernoulliLogLoss(), y, raw) < 1e-5
    True
    """
    y = np.asarray(y, dtype=float)
    raw = np.asarray(raw, dtype=float)
    if y.ndim != 2 or raw.shape != y.shape:
        raise AssertionError(
            f"y and raw must be 2-d arrays of the same shape, got {y.shape} and {raw.shape}."
        )
    n_samples = raw.shape[0]
    weight = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, float)
    weight = weight / weight.sum()

    per_sample = np.asarray(loss.loss(y, raw))
    if per_sample.shape != (n_samples,):
        raise AssertionError(
            f"loss() must return shape ({n_samples},) (summed over outputs), "
            f"got {per_sample.shape}."
        )
    value, gradient = loss.loss_gradient(y, raw.copy(), weight)
    if gradient.shape != raw.shape:
        raise AssertionError(
            f"loss_gradient() must return a gradient of shape {raw.shape}, got {gradient.shape}."
        )
    expected_value = float(weight @ per_sample)
    if not np.isclose(value, expected_value, rtol=1e-10, atol=1e-12):
        raise AssertionError(
            f"loss_gradient() value {value!r} differs from the weighted mean of "
            f"loss(), {expected_value!r}."
        )

    # Samples are independent, so perturbing one output column of every
    # sample at once gives all per-sample partial derivatives of that column.
    numeric = np.empty_like(raw)
    for j in range(raw.shape[1]):
        h = step * np.maximum(1.0, np.abs(raw[:, j]))
        up, down = raw.copy(), raw.copy()
        up[:, j] += h
        down[:, j] -= h
        numeric[:, j] = weight * (loss.loss(y, up) - loss.loss(y, down)) / (2 * h)

    # Errors are relative to the largest weighted gradient entry, and never
    # to less than the largest weight (the size of a unit per-sample slope).
    scale = max(np.max(np.abs(numeric)), np.max(weight))
    error = 0.0
    for name, analytic in (
        ("loss_gradient()", gradient),
        ("gradient()", weight[:, np.newaxis] * loss.gradient(y, raw)),
    ):
        this_error = float(np.max(np.abs(analytic - numeric)) / scale)
        if this_error > rtol:
            worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), raw.shape)
            raise AssertionError(
                f"{name} of {loss!r} disagrees with finite differences: relative "
                f"error {this_error:.3g} > rtol={rtol:g}, worst at sample {worst[0]}, "
                f"output {worst[1]} (raw={raw[worst]!r})."
            )
        error = max(error, this_error)
    return error
