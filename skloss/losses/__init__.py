"""Loss objects: the pluggable part of every skloss estimator.

Every estimator minimises the weighted mean of a loss of the raw output
:math:`z = XW + b` plus an optional L2 penalty. A loss is an object
implementing :class:`Loss`; subclass it to write your own, and check its
gradient with :func:`check_gradient`.
"""

from ._base import Loss
from ._classification import (
    BernoulliLogLoss,
    MultinoulliLogLoss,
    SigmoidSquaredError,
    SoftmaxSquaredError,
)
from ._gradient_check import check_gradient
from ._output_units import Identity, OutputUnit, Sigmoid, Softmax
from ._regression import AbsoluteError, Huber, Pinball, SquaredError

__all__ = [
    "Loss",
    "SquaredError",
    "AbsoluteError",
    "Huber",
    "Pinball",
    "BernoulliLogLoss",
    "SigmoidSquaredError",
    "MultinoulliLogLoss",
    "SoftmaxSquaredError",
    "OutputUnit",
    "Identity",
    "Sigmoid",
    "Softmax",
    "check_gradient",
]
