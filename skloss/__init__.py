"""skloss: scikit-learn compatible linear models on pluggable losses.

Every estimator minimises the weighted mean of a loss of the raw output
``z = X W + b`` plus ``alpha / 2 * ||W||^2``, with one shared L-BFGS-B core.
The losses live in :mod:`skloss.losses`; standard errors and confidence
intervals of fitted coefficients in :mod:`skloss.inference`.
``HeteroscedasticRegressor`` and ``MixtureDensityRegressor`` learn the whole
conditional distribution of y (a mean and a variance, or a Gaussian mixture)
the same way.
"""

from . import inference, losses
from ._classification import SigmoidClassifier, SoftmaxClassifier
from ._heteroscedastic import HeteroscedasticRegressor
from ._mixture_density import MixtureDensityRegressor
from ._regression import LinearGaussianRegressor, LinearRegressor, MedianRegressor

__version__ = "0.1.0"

__all__ = [
    "LinearRegressor",
    "LinearGaussianRegressor",
    "MedianRegressor",
    "SigmoidClassifier",
    "SoftmaxClassifier",
    "HeteroscedasticRegressor",
    "MixtureDensityRegressor",
    "losses",
    "inference",
    "__version__",
]
