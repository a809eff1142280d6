"""Output units: the map from raw outputs (logits) to predictions.

An output unit is the inverse link of a generalised linear model. It names
the kind of target the loss models, so that an estimator can check that a
loss it is given fits its task.
"""

import numpy as np
from scipy.special import expit, softmax

__all__ = ["OutputUnit", "Identity", "Sigmoid", "Softmax"]


class OutputUnit:
    """Base class of output units.

    Attributes
    ----------
    name : str
        Short name, used in error messages.
    target_kind : {"continuous", "binary", "categorical"}
        The kind of target a loss on this unit models. Regressors accept
        losses on a ``"continuous"`` unit, `SigmoidClassifier` on a
        ``"binary"`` one and `SoftmaxClassifier` on a ``"categorical"`` one.
    """

    name = "output unit"
    target_kind = "continuous"

    def __call__(self, raw):
        """Map raw outputs ``raw`` of shape (n_samples, n_outputs) to predictions."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))


class Identity(OutputUnit):
    """Linear output unit: the prediction is the raw output (a Gaussian mean).

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import Identity
    >>> Identity()(np.array([[-1.0, 2.0]]))
    array([[-1.,  2.]])
    """

    name = "identity"
    target_kind = "continuous"

    def __call__(self, raw):
        return raw


class Sigmoid(OutputUnit):
    """Sigmoid output unit: each raw output is the logit of a Bernoulli.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import Sigmoid
    >>> Sigmoid()(np.array([[0.0, 1000.0]]))
    array([[0.5, 1. ]])
    """

    name = "sigmoid"
    target_kind = "binary"

    def __call__(self, raw):
        # expit never overflows, unlike 1 / (1 + exp(-z)).
        return expit(raw)


class Softmax(OutputUnit):
    """Softmax output unit: a row of raw outputs are the logits of a multinoulli.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import Softmax
    >>> Softmax()(np.array([[0.0, 0.0], [0.0, 1e6]]))
    array([[0.5, 0.5],
           [0. , 1. ]])
    """

    name = "softmax"
    target_kind = "categorical"

    def __call__(self, raw):
        return softmax(np.asarray(raw), axis=1)
