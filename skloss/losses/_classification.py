"""Classification losses on sigmoid and softmax output units.

Every log-likelihood here is computed from the logits (softplus,
logsumexp): log(sigmoid(z)) and log(softmax(z)) lose all precision, and
overflow to -inf, for confident predictions.
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax

from .._statistics import weighted_mean
from ._base import Loss, diagonal_hessian
from ._output_units import Sigmoid, Softmax

__all__ = [
    "BernoulliLogLoss",
    "SigmoidSquaredError",
    "MultinoulliLogLoss",
    "SoftmaxSquaredError",
]

# Class frequencies are clipped away from 0 and 1 before taking logs, so that
# a label that never (or always) occurs starts from a large finite logit.
_FREQUENCY_FLOOR = 1e-10


def _logit(p):
    p = np.clip(p, _FREQUENCY_FLOOR, 1.0 - _FREQUENCY_FLOOR)
    return np.log(p) - np.log1p(-p)


class BernoulliLogLoss(Loss):
    r"""Log-loss of independent Bernoulli outputs on sigmoid logits.

    :math:`l(y, z) = \sum_j \operatorname{softplus}(z_j) - y_j z_j`, the
    negative log-likelihood of :math:`y_j \sim \text{Bernoulli}(\sigma(z_j))`,
    for 0/1 targets ``y`` (one column per label).

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import BernoulliLogLoss
    >>> BernoulliLogLoss().loss(np.array([[1.0], [1.0]]), np.array([[0.0], [-1e6]]))
    array([6.93147181e-01, 1.00000000e+06])
    """

    output_unit = Sigmoid()

    def loss(self, y, raw):
        return np.sum(_bernoulli_log_loss(y, raw, _exp_minus_abs(raw)), axis=1)

    def gradient(self, y, raw):
        return expit(raw) - y

    def hessian(self, y, raw):
        # p (1 - p) = sigma(z) sigma(-z), without cancellation.
        return diagonal_hessian(expit(raw) * expit(-raw))

    def _weighted_loss_gradient(self, y, raw, weight):
        # One exponential serves both the loss and the sigmoid.
        small = _exp_minus_abs(raw)
        # Array methods, not np.sum or np.where: each numpy call is paid
        # once per row block and evaluation, and those two cost several
        # times more than the arithmetic on a block.
        value = float((weight @ _bernoulli_log_loss(y, raw, small)).sum())
        # sigmoid(raw) = 1 / (1 + small) for raw >= 0, small / (1 + small)
        # below; as small <= 1, the numerator is max(small, [raw >= 0]).
        gradient = np.maximum(small, raw >= 0)
        small += 1.0
        gradient /= small
        gradient -= y
        gradient *= weight[:, np.newaxis]
        return value, gradient

    def init_raw(self, y, sample_weight):
        return _logit(weighted_mean(y, sample_weight))


def _exp_minus_abs(raw):
    """``exp(-|raw|)``, never overflowing, in one new array."""
    small = np.abs(raw)
    np.negative(small, out=small)
    return np.exp(small, out=small)


def _bernoulli_log_loss(y, raw, small):
    """softplus(raw) - y raw, with ``small = exp(-|raw|)``.

    Written as (max(raw, 0) - y raw) + log1p(small): for a 0/1 label the
    first term cancels exactly when the prediction is right, so even a
    loss of 1e-30 keeps its relative precision.
    """
    per_sample = np.maximum(raw, 0.0)
    per_sample -= y * raw
    per_sample += np.log1p(small)
    return per_sample


class SigmoidSquaredError(Loss):
    r"""Half squared error between sigmoid probabilities and 0/1 targets.

    :math:`l(y, z) = \frac{1}{2}\sum_j (\sigma(z_j) - y_j)^2`. Its gradient
    :math:`(\sigma - y)\,\sigma(1 - \sigma)` vanishes when the sigmoid
    saturates, even when the prediction is confidently wrong, so models
    trained with it learn slowly from their worst mistakes. It is provided
    for comparison with :class:`BernoulliLogLoss`, which does not saturate.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import SigmoidSquaredError
    >>> SigmoidSquaredError().gradient(np.array([[1.0]]), np.array([[-30.0]]))
    array([[-9.35762297e-14]])
    """

    output_unit = Sigmoid()

    def loss(self, y, raw):
        return 0.5 * np.sum((expit(raw) - y) ** 2, axis=1)

    def gradient(self, y, raw):
        p = expit(raw)
        # sigma(z) (1 - sigma(z)) = sigma(z) sigma(-z), without cancellation.
        return (p - y) * p * expit(-raw)

    def hessian(self, y, raw):
        # d/dz of (p - y) s with s = p (1 - p) and ds/dz = s (1 - 2p).
        p = expit(raw)
        slope = p * expit(-raw)
        return diagonal_hessian(slope * (slope + (p - y) * (1.0 - 2.0 * p)))

    def init_raw(self, y, sample_weight):
        return _logit(weighted_mean(y, sample_weight))


class MultinoulliLogLoss(Loss):
    r"""Log-loss of a multinoulli (categorical) output on softmax logits.

    :math:`l(y, z) = \operatorname{logsumexp}(z) - \sum_k y_k z_k`, the
    negative log-likelihood of the class given by the one-hot row ``y``
    (rows of class probabilities are accepted too).

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import MultinoulliLogLoss
    >>> y = np.array([[1.0, 0.0, 0.0]])
    >>> MultinoulliLogLoss().loss(y, np.array([[0.0, 0.0, 1e6]]))
    array([1000000.])
    """

    output_unit = Softmax()

    def loss(self, y, raw):
        return logsumexp(raw, axis=1) - np.einsum("ij,ij->i", y, raw)

    def gradient(self, y, raw):
        return softmax(raw, axis=1) - y

    def hessian(self, y, raw):
        return _softmax_jacobian(softmax(raw, axis=1))

    def _weighted_loss_gradient(self, y, raw, weight):
        # logsumexp and softmax share the shifted exponentials.
        top = raw.max(axis=1, keepdims=True)
        gradient = np.subtract(raw, top)
        np.exp(gradient, out=gradient)
        normaliser = gradient.sum(axis=1, keepdims=True)
        per_sample = np.log(normaliser[:, 0])
        per_sample += top[:, 0]
        per_sample -= np.einsum("ij,ij->i", y, raw)
        gradient /= normaliser
        gradient -= y
        gradient *= weight[:, np.newaxis]
        return float(weight @ per_sample), gradient

    def init_raw(self, y, sample_weight):
        frequency = np.clip(weighted_mean(y, sample_weight), _FREQUENCY_FLOOR, None)
        log_frequency = np.log(frequency)
        # Softmax ignores a common shift: centre, as the penalty-free gradient
        # then keeps the intercepts summing to zero.
        return log_frequency - log_frequency.mean()


class SoftmaxSquaredError(Loss):
    r"""Half squared error between softmax probabilities and one-hot targets.

    :math:`l(y, z) = \frac{1}{2}\|\operatorname{softmax}(z) - y\|^2`. Like
    :class:`SigmoidSquaredError` it saturates when the softmax is confident;
    it is provided for comparison with :class:`MultinoulliLogLoss`.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss.losses import SoftmaxSquaredError
    >>> SoftmaxSquaredError().loss(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]))
    array([0.25])
    """

    output_unit = Softmax()

    def loss(self, y, raw):
        return 0.5 * np.sum((softmax(raw, axis=1) - y) ** 2, axis=1)

    def gradient(self, y, raw):
        p = softmax(raw, axis=1)
        residual = p - y
        # Jacobian of softmax is diag(p) - p p^T, applied to the residual.
        return p * (residual - np.einsum("ij,ij->i", p, residual)[:, np.newaxis])

    def hessian(self, y, raw):
        # J J + sum_k r_k (second derivatives of p_k), with J the softmax
        # Jacobian and r = p - y; the second term works out to
        # diag(g) - g p^T - p g^T with g the gradient.
        p = softmax(raw, axis=1)
        jacobian = _softmax_jacobian(p)
        gradient = np.einsum("ijk,ik->ij", jacobian, p - y)
        hessian = jacobian @ jacobian
        outer = gradient[:, :, np.newaxis] * p[:, np.newaxis, :]
        hessian -= outer + outer.transpose(0, 2, 1)
        diagonal = np.arange(p.shape[1])
        hessian[:, diagonal, diagonal] += gradient
        return hessian

    def init_raw(self, y, sample_weight):
        return MultinoulliLogLoss.init_raw(self, y, sample_weight)


def _softmax_jacobian(p):
    """Per-sample ``diag(p) - p p^T``: the softmax Jacobian, symmetric."""
    jacobian = -p[:, :, np.newaxis] * p[:, np.newaxis, :]
    diagonal = np.arange(p.shape[1])
    jacobian[:, diagonal, diagonal] += p
    return jacobian
