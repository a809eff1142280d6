"""Loss objects: the pluggable part of every skloss estimator.

Every estimator minimises the weighted mean of a loss of the raw output
:math:`z = XW + b` plus an optional L2 penalty. A loss is an object
implementing :class:`Loss`; subclass it to write your own, and check its
gradient with :func:`check_gradient`.

:class:`GaussianNLL` and :class:`GaussianMixtureNLL` are distributional
losses: their raw output holds the parameters of a whole conditional
distribution (a mean and a log-variance, or a Gaussian mixture), for
``HeteroscedasticRegressor`` and ``MixtureDensityRegressor``.

:class:`PoissonNLL`, :class:`GammaNLL`, :class:`TweedieNLL` and
:class:`NegativeBinomialNLL` model counts and positive amounts on the
:class:`Exp` output unit: the raw output is the log of the mean.
"""

from ._base import Loss
from ._classification import (
    BernoulliLogLoss,
    MultinoulliLogLoss,
    SigmoidSquaredError,
    SoftmaxSquaredError,
)
from ._distributional import GaussianMixtureNLL, GaussianNLL
from ._gradient_check import check_gradient
from ._log_link import GammaNLL, NegativeBinomialNLL, PoissonNLL, TweedieNLL
from ._output_units import Exp, GaussianMean, Identity, MixtureMean, OutputUnit, Sigmoid, Softmax
from ._regression import AbsoluteError, Huber, Pinball, SquaredError

__all__ = [
    "Loss",
    "SquaredError",
    "AbsoluteError",
    "Huber",
    "Pinball",
    "PoissonNLL",
    "GammaNLL",
    "TweedieNLL",
    "NegativeBinomialNLL",
    "BernoulliLogLoss",
    "SigmoidSquaredError",
    "MultinoulliLogLoss",
    "SoftmaxSquaredError",
    "GaussianNLL",
    "GaussianMixtureNLL",
    "OutputUnit",
    "Identity",
    "Exp",
    "Sigmoid",
    "Softmax",
    "GaussianMean",
    "MixtureMean",
    "check_gradient",
]
