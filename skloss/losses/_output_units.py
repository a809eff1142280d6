"""Output units: the map from raw outputs (logits) to predictions.

An output unit is the inverse link of a generalised linear model. It names
the kind of target the loss models, so that an estimator can check that a
loss it is given fits its task.
"""

import numpy as np
from scipy.special import expit, softmax

__all__ = ["OutputUnit", "Identity", "Exp", "Sigmoid", "Softmax", "GaussianMean", "MixtureMean"]

# The largest raw output whose exponential is a finite double: exp(709.78)
# is about 1.8e308. Log-link losses and the Exp unit clip exponents here so
# that an extreme raw output gives a huge finite number, never inf * 0 = NaN.
LOG_MAX_FLOAT = float(np.log(np.finfo(np.float64).max))


def clipped_exp(exponent):
    """``exp(exponent)`` with the exponent clipped at ``LOG_MAX_FLOAT``: never inf."""
    # In double precision: a float32 input would overflow above 88.7.
    return np.exp(np.minimum(np.asarray(exponent, dtype=float), LOG_MAX_FLOAT))


class OutputUnit:
    """Base class of output units.

    Attributes
    ----------
    name : str
        Short name, used in error messages.
    target_kind : {"continuous", "binary", "categorical", "distribution"}
        The kind of target a loss on this unit models. Regressors accept
        losses on a ``"continuous"`` unit (identity or exp), `SigmoidClassifier` on a
        ``"binary"`` one and `SoftmaxClassifier` on a ``"categorical"`` one.
        A ``"distribution"`` unit belongs to a loss whose raw output holds the
        parameters of a whole conditional distribution (a mean and a
        log-variance, or a mixture); only `HeteroscedasticRegressor` and
        `MixtureDensityRegressor` take those losses.

    Examples
    --------
    Every loss names its output unit, which tells the estimators which
    losses they accept:

    >>> from skloss.losses import BernoulliLogLoss, SquaredError
    >>> BernoulliLogLoss.output_unit, BernoulliLogLoss.output_unit.target_kind
    (Sigmoid(), 'binary')
    >>> SquaredError.output_unit.target_kind
    'continuous'
    """

    name = "output unit"
    target_kind = "continuous"

    def __call__(self, raw):
        """Map raw outputs to predictions.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw outputs (logits).

        Returns
        -------
        prediction : ndarray of shape (n_samples, n_predictions)
            What the estimators' ``predict`` or ``predict_proba`` returns,
            before any reshaping.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import Identity, Sigmoid, Softmax
        >>> raw = np.array([[0.0, np.log(3.0)]])
        >>> Identity()(raw).round(3), Sigmoid()(raw), Softmax()(raw)
        (array([[0.   , 1.099]]), array([[0.5 , 0.75]]), array([[0.25, 0.75]]))
        """
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


class Exp(OutputUnit):
    """Log-link output unit: the prediction is ``exp(raw)``, a positive mean.

    The raw output is the logarithm of the mean of a count or a positive
    amount (Poisson, Gamma, Tweedie, negative binomial), so features act
    multiplicatively on the mean. Raw outputs above about 709.78, whose
    exponential exceeds the largest double, give the largest double rather
    than inf.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import Exp
    >>> Exp()(np.array([[0.0, np.log(3.0)], [-1000.0, 1000.0]]))
    array([[1.00000000e+000, 3.00000000e+000],
           [0.00000000e+000, 1.79769313e+308]])
    """

    name = "exp"
    target_kind = "continuous"

    def __call__(self, raw):
        return clipped_exp(np.asarray(raw))


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


class GaussianMean(OutputUnit):
    """Mean of a Gaussian from its mean and log-variance heads.

    The raw output has ``2 * n_targets`` columns: the means, then the
    log-variances (the layout of :class:`~skloss.losses.GaussianNLL`). The
    prediction is the mean, the first ``n_targets`` columns.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import GaussianMean
    >>> GaussianMean()(np.array([[1.5, -3.0], [2.0, 1000.0]]))
    array([[1.5],
           [2. ]])
    """

    name = "gaussian mean"
    target_kind = "distribution"

    def __call__(self, raw):
        raw = np.asarray(raw)
        return raw[:, : raw.shape[1] // 2]


class MixtureMean(OutputUnit):
    r"""Mean of a Gaussian mixture from its mixing logits and component means.

    The raw output has ``3 * n_components`` columns: mixing logits
    :math:`a`, component means :math:`\mu`, component log-variances (the
    layout of :class:`~skloss.losses.GaussianMixtureNLL`). The prediction
    is the mixture's mean :math:`\sum_k \operatorname{softmax}(a)_k \mu_k`,
    one column.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import MixtureMean
    >>> raw = np.array([[0.0, 0.0, -1.0, 3.0, 0.0, 0.0], [-1e3, 1e3, -1.0, 3.0, 0.0, 0.0]])
    >>> MixtureMean()(raw)
    array([[1.],
           [3.]])
    """

    name = "mixture mean"
    target_kind = "distribution"

    def __call__(self, raw):
        raw = np.asarray(raw)
        n_components = raw.shape[1] // 3
        weights = softmax(raw[:, :n_components], axis=1)
        means = raw[:, n_components : 2 * n_components]
        return np.sum(weights * means, axis=1, keepdims=True)
