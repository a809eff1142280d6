"""Minimising a non-smooth loss: continuation, screening and the exact finish.

One entry point, :func:`minimise_non_smooth`. It reads the data only
through the objective's problem (:class:`~skloss._core._problem.FitProblem`):

- :mod:`._continuation`: a sequence of smoothed losses of shrinking width,
  each warm-started from the last;
- :mod:`._screening`: for losses piecewise linear with their kink at
  ``raw == y``, late stages run on the samples near their kinks only;
- :mod:`._exact`: for the same losses, an exact step onto the kinks after
  each stage, which stops the fit once it is certified optimal;
- :mod:`._duality_gap`: with a penalty, a certified bound on how far a fit
  the exact finish could not certify is from the optimum.
"""

from ._continuation import minimise_non_smooth

__all__ = ["minimise_non_smooth"]
