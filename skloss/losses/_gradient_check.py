"""Finite-difference check of a loss's gradient."""

import numpy as np

__all__ = ["check_gradient"]

# Categories of the random one-hot targets drawn for a categorical loss.
_N_RANDOM_CLASSES = 3


def _random_target(loss, n_samples, rng):
    """A target of the kind the loss's output unit expects, in its fitting layout."""
    kind = loss.output_unit.target_kind
    if kind == "binary":
        return rng.integers(0, 2, size=(n_samples, 1)).astype(float)
    if kind == "categorical":
        return np.eye(_N_RANDOM_CLASSES)[rng.integers(0, _N_RANDOM_CLASSES, size=n_samples)]
    y = rng.normal(size=n_samples)
    if kind == "distribution" and hasattr(loss, "encode_target"):
        return np.asarray(loss.encode_target(y), dtype=float)
    y = y[:, np.newaxis]
    try:
        loss.check_target(y)
    except ValueError:
        # A loss for counts or positive amounts: positive values fit every
        # such support.
        y = rng.gamma(2.0, size=(n_samples, 1))
    return y


def _random_raw(loss, y, step, rng):
    """Raw outputs of y's shape; for a loss with its kink at raw == y, away from it."""
    raw = rng.normal(scale=2.0, size=y.shape)
    if getattr(loss, "kink_at_target", False):
        # Keep every finite-difference stencil on one side of its kink.
        margin = 100 * step * np.maximum(1.0, np.abs(y))
        too_close = np.abs(raw - y) < margin
        raw[too_close] = y[too_close] + 2 * margin[too_close]
    return raw


def _as_2d(name, values):
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:  # one output
        return values[:, np.newaxis]
    if values.ndim != 2:
        raise ValueError(
            f"{name} must be 1-d (one output) or 2-d (n_samples, n_outputs), "
            f"got {values.ndim}-d of shape {values.shape}."
        )
    return values


def check_gradient(
    loss,
    y=None,
    raw=None,
    sample_weight=None,
    *,
    n_samples=50,
    random_state=0,
    step=1e-6,
    rtol=1e-5,
):
    """Check a loss's gradient against central finite differences.

    Compares the gradient returned by ``loss.loss_gradient`` (and by
    ``loss.gradient``) with central differences of the weighted mean loss,
    and checks that the value returned by ``loss.loss_gradient`` equals the
    weighted mean of ``loss.loss``. Use it when writing a new loss:
    ``check_gradient(MyLoss())`` checks it at random points.

    Parameters
    ----------
    loss : Loss
        The loss to check.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Targets, encoded as the loss expects. If None, random targets of
        the kind the loss's ``output_unit`` expects: standard normal values
        (continuous; Gamma(2) draws if the loss's ``check_target`` rejects
        negative values), 0/1 (binary), one-hot rows of 3 classes (categorical),
        or ``loss.encode_target`` of normal values (distributional).
    raw : array-like of the shape of ``y``, default=None
        Raw outputs at which to check. If None, normal values with standard
        deviation 2, kept away from ``raw == y`` for a loss with
        ``kink_at_target``; keep them away from the kinks of any other
        non-smooth loss yourself.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; all ones if None.
    n_samples : int, default=50
        Number of random samples, when ``y`` is None.
    random_state : int, default=0
        Seed of the random ``y`` and ``raw``.
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
        If the error exceeds ``rtol``, or the value or shapes the loss
        returns are inconsistent.
    ValueError
        If ``y``, ``raw`` or ``sample_weight`` have unusable shapes.

    Examples
    --------
    At random points suited to the loss:

    >>> from skloss.losses import BernoulliLogLoss, check_gradient
    >>> check_gradient(BernoulliLogLoss()) < 1e-5
    True

    At points of your choice (1-d arrays are one output):

    >>> import numpy as np
    >>> from skloss.losses import Huber
    >>> check_gradient(Huber(delta=1.0), np.zeros(3), np.array([-2.0, 0.5, 3.0])) < 1e-5
    True
    """
    rng = np.random.default_rng(random_state)
    if y is None:
        if raw is not None:
            raise ValueError("check_gradient got raw but no y: pass both, or neither.")
        y = _random_target(loss, n_samples, rng)
    y = _as_2d("y", y)
    raw = _random_raw(loss, y, step, rng) if raw is None else _as_2d("raw", raw)
    if raw.shape != y.shape:
        raise ValueError(f"y and raw must have the same shape, got {y.shape} and {raw.shape}.")
    n_samples = raw.shape[0]
    weight = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, float)
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one per sample; got {weight.shape}."
        )
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
