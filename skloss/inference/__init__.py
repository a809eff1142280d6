"""Statistical inference for fitted skloss estimators.

:func:`summary` gives standard errors, confidence intervals and p-values
of the intercepts and coefficients of any fitted skloss estimator, for any
smooth loss (from the loss's Hessian, or finite differences of its
gradient) and for the absolute and pinball losses (Powell's kernel
sandwich), on dense or sparse data.
"""

from ._result import InferenceResult
from ._summary import summary

__all__ = ["summary", "InferenceResult"]
