"""Adapters giving peers without scikit-learn's interface ``coef_`` and ``intercept_``."""

import numpy as np


def statsmodels_available():
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        return False
    return True


class StatsmodelsQuantReg:
    """statsmodels' QuantReg (iteratively reweighted least squares) as an estimator."""

    def __init__(self, quantile=0.5):
        self.quantile = quantile

    def fit(self, X, y):
        from statsmodels.regression.quantile_regression import QuantReg

        design = np.column_stack([np.ones(len(y)), X])
        result = QuantReg(y, design).fit(q=self.quantile)
        self.intercept_ = float(result.params[0])
        self.coef_ = np.asarray(result.params[1:])
        self.n_iter_ = int(getattr(result, "iterations", -1))
        return self
