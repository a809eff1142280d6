"""``loss="huber"``: a Huber threshold relative to the spread of the residuals.

A fixed ``delta`` is in the units of y: ``delta=1`` on a target around 150
makes the Huber loss nearly the absolute error, on a target around 0.01
nearly the squared error. The string ``"huber"`` therefore means
``delta = 1.345 * sigma``, with ``sigma`` a robust (MAD-based) standard
deviation of the residuals, estimated at fit time: the classic tuning that
keeps 95% of least squares' efficiency on Gaussian noise while bounding the
influence of outliers. A :class:`~skloss.losses.Huber` object keeps the
absolute ``delta`` it was given.

How sigma is found, each step scale-equivariant so that the coefficients
scale exactly with y:

1. y is divided by its own robust scale ``s`` (MAD about the median), so the
   fit runs in units where L-BFGS's absolute tolerance means the same thing
   whatever the units of y;
2. a pilot Huber fit with ``delta = 1.345`` in those units (the spread of y
   bounds the spread of the residuals, so the pilot leans towards least
   squares but already bounds gross outliers);
3. sigma from the pilot's residuals, and a final fit warm-started from the
   pilot with ``delta = 1.345 * sigma``.

Scaling y by ``s`` scales the whole objective by ``s**2`` (the loss with a
threshold scaled alike, and the penalty on coefficients scaled alike), so
the fit in units of ``s`` is the exact minimiser of the objective in the
units of y with ``delta`` multiplied back by ``s``.
"""

import dataclasses

import numpy as np
import scipy.stats

from ._statistics import weighted_quantile
from .losses import Huber

# Huber's tuning constant: 95% asymptotic efficiency at the normal distribution.
HUBER_TUNING = 1.345
# The MAD of a normal distribution is 0.6745 sigma.
_MAD_TO_SIGMA = 1.0 / scipy.stats.norm.ppf(0.75)
# Its mean absolute deviation is sqrt(2 / pi) sigma (the fallback when
# more than half the values tie, so that the MAD is zero).
_MEAN_ABSOLUTE_TO_SIGMA = np.sqrt(np.pi / 2.0)


def robust_scale(values, sample_weight):
    """A robust standard deviation of ``values`` (n_samples, n_outputs), pooled over outputs.

    1.4826 times the weighted median absolute deviation of each column from
    its weighted median; when that is zero, the scaled mean absolute
    deviation; zero only if every column is constant.
    """
    deviations = np.abs(values - weighted_quantile(values, sample_weight, 0.5))
    n_outputs = values.shape[1]
    pooled = deviations.reshape(-1, 1)
    pooled_weight = np.repeat(sample_weight, n_outputs)
    mad = float(weighted_quantile(pooled, pooled_weight, 0.5)[0])
    if mad > 0:
        return _MAD_TO_SIGMA * mad
    mean_absolute = float(pooled_weight @ pooled[:, 0]) / float(np.sum(pooled_weight))
    return _MEAN_ABSOLUTE_TO_SIGMA * mean_absolute


def fit_relative_huber(
    minimise, X, target, loss, sample_weight, coef_init, intercept_init, offset=None
):
    """Fit ``loss="huber"`` with ``delta = 1.345 * sigma`` of the residuals (module docstring).

    ``minimise`` runs the core once (the estimator's default ``_minimise``);
    ``loss`` is the estimator's fresh Huber instance, which is given the
    resolved absolute ``delta``. Offsets, if any, are in the units of y:
    the scale is that of ``target - offset``, so the fit is that of
    ``target - offset`` without offsets.

    Returns
    -------
    FitResult
        In the units of y; ``n_iter`` counts both fits.
    """
    offset = np.zeros_like(target) if offset is None else offset
    scale = robust_scale(target - offset, sample_weight)
    if not scale > 0:  # a constant target: any threshold gives the same fit
        scale = 1.0
    if coef_init is not None:
        coef_init, intercept_init = coef_init / scale, intercept_init / scale
    unit_target, unit_offset = target / scale, offset / scale
    pilot = minimise(
        X,
        unit_target,
        Huber(delta=HUBER_TUNING),
        sample_weight,
        coef_init,
        intercept_init,
        unit_offset,
    )
    raw = np.asarray(X @ pilot.coef.astype(X.dtype, copy=False), dtype=float) + pilot.intercept
    sigma = robust_scale(unit_target - unit_offset - raw, sample_weight)
    result, unit_delta = pilot, HUBER_TUNING
    if sigma > 0:  # else the pilot fits more than half the samples exactly
        unit_delta = HUBER_TUNING * sigma
        final = minimise(
            X,
            unit_target,
            Huber(delta=unit_delta),
            sample_weight,
            pilot.coef,
            pilot.intercept,
            unit_offset,
        )
        result = dataclasses.replace(final, n_iter=pilot.n_iter + final.n_iter)
    loss.set_params(delta=float(unit_delta * scale))
    return dataclasses.replace(
        result,
        coef=result.coef * scale,
        intercept=result.intercept * scale,
        objective=result.objective * scale**2,
    )
