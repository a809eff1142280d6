"""The loss interface every skloss loss implements."""

import inspect

import numpy as np

from ._output_units import Identity

__all__ = ["Loss"]


class Loss:
    r"""Base class of losses: subclass it to plug a new loss into any estimator.

    A loss sees only the target ``y`` and the raw output ``raw`` (the logits,
    :math:`z = XW + b`), both of shape (n_samples, n_outputs). It never sees
    ``X``, the penalty or the optimizer. The estimators minimise

    .. math::

        \frac{\sum_i s_i\, l(y_i, z_i)}{\sum_i s_i} + \frac{\alpha}{2} \|W\|_F^2

    where :math:`l` is the per-sample loss of this object.

    To write a loss, implement :meth:`loss` and :meth:`gradient`, set
    :attr:`output_unit`, and preferably override :meth:`init_raw` with the best
    constant raw output. :func:`skloss.losses.check_gradient` checks the
    gradient against finite differences. For speed, :meth:`loss_gradient` may
    be overridden to share work between the value and the gradient.

    A loss that is not differentiable everywhere sets ``is_smooth = False``
    and implements :meth:`smoothed`; the fitting core then minimises a
    sequence of smoothed losses. If, in addition, the loss is linear in the
    raw output on each side of a kink at ``raw == y`` (like the absolute and
    pinball losses), it sets ``kink_at_target = True`` and the core finishes
    with an exact step onto the kinks.

    Attributes
    ----------
    output_unit : OutputUnit
        Maps raw outputs to predictions (identity, sigmoid or softmax); its
        ``target_kind`` tells which estimators accept the loss.
    is_smooth : bool
        Whether the loss is continuously differentiable in ``raw``.
    kink_at_target : bool
        Whether the loss is piecewise linear in ``raw`` with its only kink at
        ``raw == y``.

    Examples
    --------
    A log-cosh loss, a smooth robust alternative to squared error:

    >>> import numpy as np
    >>> from skloss.losses import Loss, check_gradient
    >>> class LogCosh(Loss):
    ...     def loss(self, y, raw):
    ...         r = raw - y
    ...         return np.sum(np.logaddexp(r, -r) - np.log(2.0), axis=1)
    ...     def gradient(self, y, raw):
    ...         return np.tanh(raw - y)
    >>> rng = np.random.default_rng(0)
    >>> y, raw = rng.normal(size=(20, 1)), rng.normal(size=(20, 1))
    >>> check_gradient(LogCosh(), y, raw) < 1e-6
    True
    """

    output_unit = Identity()
    is_smooth = True
    kink_at_target = False

    def loss(self, y, raw):
        """Per-sample loss, summed over outputs.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Target, encoded as the loss expects (floats; 0/1 indicators or a
            one-hot matrix for classification losses).
        raw : ndarray of shape (n_samples, n_outputs)
            Raw outputs (logits).

        Returns
        -------
        loss : ndarray of shape (n_samples,)
        """
        raise NotImplementedError(f"{type(self).__name__} must implement loss(y, raw).")

    def gradient(self, y, raw):
        """Gradient of the per-sample loss with respect to ``raw``.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
        raw : ndarray of shape (n_samples, n_outputs)

        Returns
        -------
        gradient : ndarray of shape (n_samples, n_outputs)
        """
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(y, raw).")

    def loss_gradient(self, y, raw, sample_weight):
        """Weighted mean loss and its gradient with respect to ``raw``.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
        raw : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,)
            Non-negative weights with a positive sum.

        Returns
        -------
        value : float
            ``sum_i s_i l(y_i, raw_i) / sum_i s_i``.
        gradient : ndarray of shape (n_samples, n_outputs)
            Gradient of ``value`` with respect to ``raw``.
        """
        weight = sample_weight / np.sum(sample_weight)
        value = float(weight @ self.loss(y, raw))
        # A product, not an in-place scaling: a user's gradient() may return a
        # view of its inputs.
        return value, self.gradient(y, raw) * weight[:, np.newaxis]

    def init_raw(self, y, sample_weight):
        """Constant raw output to start from, ideally the loss's minimiser.

        The default is zero; the built-in losses return the minimiser in
        closed form (a weighted mean, median, quantile or log-odds).

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,)

        Returns
        -------
        raw : ndarray of shape (n_outputs,)
        """
        return np.zeros(y.shape[1])

    def smoothed(self, width):
        """A smooth approximation of a non-smooth loss.

        Only losses with ``is_smooth = False`` implement it.

        Parameters
        ----------
        width : float
            Width of the region next to each kink that is rounded off; the
            approximation converges to the loss as ``width`` goes to zero.

        Returns
        -------
        loss : Loss
            A smooth loss whose per-sample value differs from this one by at
            most ``width`` (times the loss's slope scale).
        """
        raise NotImplementedError(
            f"{type(self).__name__} is not smooth: it must implement smoothed(width)."
        )

    def kink_scale(self, y, sample_weight):
        """Typical size of residuals, to scale the smoothing width.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,)

        Returns
        -------
        scale : float
        """
        raw = self.init_raw(y, sample_weight)
        weight = sample_weight / np.sum(sample_weight)
        return float(weight @ np.mean(np.abs(y - raw), axis=1))

    # Parameter handling, so that clone, get_params and grid search see a
    # loss's parameters (``loss__delta``) the way they see an estimator's.
    @classmethod
    def _param_names(cls):
        signature = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind == p.POSITIONAL_OR_KEYWORD
        )

    def get_params(self, deep=True):
        """Parameters of this loss, as given to ``__init__``.

        Parameters
        ----------
        deep : bool, default=True
            Ignored; present for scikit-learn compatibility.

        Returns
        -------
        params : dict
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set parameters of this loss.

        Parameters
        ----------
        **params : dict
            Parameter names and values.

        Returns
        -------
        self : Loss
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for loss {type(self).__name__}; "
                    f"valid parameters are {valid}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_params() == other.get_params()

    def __hash__(self):
        return hash((type(self), tuple(self.get_params().items())))
