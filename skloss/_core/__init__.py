"""The fitting core: the only code that touches X for training and calls the optimizer.

Layers, from the estimators down (nothing imports upward):

- :mod:`._fit`: :func:`fit_linear_model`, the entry point estimators call;
- :mod:`._nonsmooth`: continuation, screening and exact finish for
  non-smooth losses, behind :func:`~._nonsmooth.minimise_non_smooth`;
- :mod:`._objective`: the objective contract and its implementations, on
  the coordinates of :mod:`._parametrisation`;
- :mod:`._problem`: the :class:`~._problem.FitProblem` of one fit;
- :mod:`._moments`: weighted moments and Gram matrices, as block passes;
- :mod:`._data` and :mod:`._blocks`: the data source, the one interface
  through which the rows are read.

See docs/architecture.rst for the data flow of one fit.
"""

import numpy as np

from ._fit import FitResult, fit_linear_model
from ._moments import column_moments as _data_column_moments
from ._problem import make_problem


def column_moments(X, sample_weight):
    """Weighted column means and standard deviations of in-memory X (no copy of X).

    Parameters
    ----------
    X : {ndarray, CSR or CSC matrix} of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    mean, std : ndarrays of shape (n_features,)
    """
    no_target = np.zeros((X.shape[0], 1))
    return _data_column_moments(make_problem(X, no_target, sample_weight, 0.0, True).data)


__all__ = ["FitResult", "column_moments", "fit_linear_model"]
