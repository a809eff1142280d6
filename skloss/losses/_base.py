"""The loss interface every skloss loss implements."""

import copy
import functools
import inspect

import numpy as np

from .._statistics import normalised_weights
from ._output_units import Identity

__all__ = ["Loss"]


def _remembering_success(validate):
    """``validate`` that marks the loss as checked when it passes."""

    @functools.wraps(validate)
    def checked(self):
        try:
            result = validate(self)
        except BaseException:
            # A subclass's check may fail after its parent's passed.
            object.__setattr__(self, "_validated", False)
            raise
        object.__setattr__(self, "_validated", True)
        return result

    return checked


def diagonal_hessian(second_derivatives):
    """Per-sample Hessians of a loss that is a sum of one term per output.

    Parameters
    ----------
    second_derivatives : ndarray of shape (n_samples, n_outputs)

    Returns
    -------
    ndarray of shape (n_samples, n_outputs, n_outputs)
        Diagonal matrices with ``second_derivatives`` on their diagonals.
    """
    n_samples, n_outputs = second_derivatives.shape
    hessian = np.zeros((n_samples, n_outputs, n_outputs))
    diagonal = np.arange(n_outputs)
    hessian[:, diagonal, diagonal] = second_derivatives
    return hessian


class Loss:
    r"""Base class of losses: subclass it to plug a new loss into any estimator.

    A loss sees only the target ``y`` and the raw output ``raw`` (the logits,
    :math:`z = XW + b`), both of shape (n_samples, n_outputs). It never sees
    ``X``, the penalty or the optimizer. The estimators minimise

    .. math::

        \frac{\sum_i s_i\, l(y_i, z_i)}{\sum_i s_i} + \frac{\alpha}{2} \|W\|_F^2

    where :math:`l` is the per-sample loss of this object.

    To write a loss, implement :meth:`loss` and :meth:`gradient`, set
    ``output_unit``, and preferably override :meth:`init_raw` with the best
    constant raw output. :func:`skloss.losses.check_gradient` checks the
    gradient against finite differences. For speed, :meth:`loss_gradient` may
    be overridden to share work between the value and the gradient.

    A loss whose distribution has a restricted support (counts, positive
    amounts) implements :meth:`check_target`: estimators call it once per
    fit and fail with its message before fitting anything.

    A loss that is not differentiable everywhere sets ``is_smooth = False``
    and implements :meth:`smoothed`; the fitting core then minimises a
    sequence of smoothed losses. If, in addition, the loss is linear in the
    raw output on each side of a kink at ``raw == y`` (like the absolute and
    pinball losses), it sets ``kink_at_target = True``, declares those two
    slopes in :meth:`kink_slopes`, and the core finishes with an exact step
    onto the kinks.

    A loss with parameters checks them in :meth:`validate`, which the
    estimators call once per fit (and the evaluation methods once after any
    parameter changes, when called directly).

    Shortcuts are inherited only together with what they shortcut: a
    subclass that redefines :meth:`loss` or :meth:`gradient` gets the
    generic :meth:`loss_gradient` unless it defines its own, and the core's
    Gram-matrix path for squared error is taken only for a class that
    itself declares ``is_half_squared_error = True``.

    Attributes
    ----------
    output_unit : OutputUnit
        Maps raw outputs to predictions (identity, exp, sigmoid or softmax); its
        ``target_kind`` tells which estimators accept the loss.
    is_smooth : bool
        Whether the loss is continuously differentiable in ``raw``.
    kink_at_target : bool
        Whether the loss is piecewise linear in ``raw`` with its only kink at
        ``raw == y``. Such a loss's ``smoothed(width)`` must equal it wherever
        ``|y - raw| > width`` (the core then treats samples far from their
        kinks as a linear term) and lie below it elsewhere (which bounds how
        far an uncertified fit is from the optimum).
    has_dispersion : bool
        Whether the loss is the negative log-likelihood, at unit dispersion,
        of a family whose dispersion is a free parameter (Gaussian, Gamma,
        Tweedie). :func:`skloss.inference.summary` then estimates the
        dispersion for ``cov_type="model"``, by Pearson's statistic over
        ``n - p``; a loss without one (Bernoulli, Poisson) keeps it at 1.

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
    has_dispersion = False
    #: True only for exactly ``1/2 ||raw - y||^2``: the core then fits from
    #: the Gram matrix of X (one pass) instead of passing over X every step.
    #: Read from the class's own namespace only: subclasses do not inherit it.
    is_half_squared_error = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if ("loss" in own or "gradient" in own) and "loss_gradient" not in own:
            # A parent's fused loss_gradient would compute the parent's loss.
            cls.loss_gradient = Loss.loss_gradient
        overrides = {"loss", "gradient", "loss_gradient"} & own.keys()
        if overrides and "_weighted_loss_gradient" not in own:
            # Likewise the fitting core's fused path: back to the public methods.
            cls._weighted_loss_gradient = Loss._weighted_loss_gradient
        if ("loss" in own or "gradient" in own) and "for_target_scale" not in own:
            # A parent's rule for rescaling y need not hold for a new loss.
            cls.for_target_scale = Loss.for_target_scale
        if "validate" in own:
            cls.validate = _remembering_success(own["validate"])

    def __setattr__(self, name, value):
        # A changed parameter is checked again before the next evaluation.
        if not name.startswith("_"):
            object.__setattr__(self, "_validated", False)
        object.__setattr__(self, name, value)

    def validate(self):
        """Check the loss's parameters; raise ValueError or TypeError if one is invalid.

        Estimators call it once per fit, before any evaluation. The default
        checks nothing; a loss with parameters overrides it.

        Returns
        -------
        self : Loss
            This loss, checked.

        Examples
        --------
        >>> from skloss.losses import Huber
        >>> Huber(delta=2.0).validate()
        Huber(delta=2.0)
        >>> Huber(delta=-1.0).validate()
        Traceback (most recent call last):
        ...
        ValueError: Huber delta must be a positive number, got -1.0.
        """
        return self

    def _with_params(self, **params):
        """A copy with ``params`` changed, which the caller knows to be valid.

        For losses derived from a validated one (the same loss in other
        units): the copy is not checked again.
        """
        derived = copy.copy(self)
        for name, value in params.items():
            object.__setattr__(derived, name, value)
        return derived

    def _ensure_valid(self):
        """:meth:`validate`, unless it passed since the parameters last changed."""
        if not self.__dict__.get("_validated", False):
            self.validate()

    def for_target_scale(self, scale):
        """This loss in units of ``y / scale``, if its raw output is in the units of ``y``.

        The fitting core fits ``y / scale`` instead of ``y`` (``scale`` a
        power of two near the spread of ``y``, so the division is exact) and
        maps the solution back, which makes fits the same whatever the units
        of ``y``. A loss allows it by returning the loss ``l_s`` and the
        factor ``c`` with ``l(y, z) = c * l_s(y / scale, z / scale)`` for
        all ``y`` and ``z``. The default, None, fits ``y`` as given (losses
        whose raw output is not in the units of ``y``, such as logits).

        Parameters
        ----------
        scale : float
            Positive.

        Returns
        -------
        (Loss, float) or None

        Examples
        --------
        Half squared error scales with the square of the units, the Huber
        loss too once its ``delta`` is expressed in the new units:

        >>> from skloss.losses import Huber, SquaredError
        >>> SquaredError().for_target_scale(4.0)
        (SquaredError(), 16.0)
        >>> Huber(delta=2.0).for_target_scale(4.0)
        (Huber(delta=0.5), 16.0)
        """
        return None

    def kink_slopes(self):
        """Slopes of a kinked loss on each side of its kink at ``raw == y``.

        Only losses with ``kink_at_target = True`` implement it: the exact
        finish of the fitting core reads them.

        Returns
        -------
        below, above : float or ndarray of shape (n_outputs,)
            The derivative of a sample's loss with respect to ``raw`` when
            ``raw < y`` and when ``raw > y``.

        Examples
        --------
        >>> from skloss.losses import AbsoluteError, Pinball
        >>> AbsoluteError().kink_slopes(), Pinball(quantile=0.25).kink_slopes()
        ((-1.0, 1.0), (-0.25, 0.75))
        """
        raise NotImplementedError(
            f"{type(self).__name__} sets kink_at_target but does not implement kink_slopes()."
        )

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
            The loss of each sample.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import SquaredError
        >>> SquaredError().loss(np.array([[0.0, 0.0]]), np.array([[1.0, 2.0]]))
        array([2.5])
        """
        raise NotImplementedError(f"{type(self).__name__} must implement loss(y, raw).")

    def gradient(self, y, raw):
        """Gradient of the per-sample loss with respect to ``raw``.

        Parameters
        ----------
        y, raw : ndarrays of shape (n_samples, n_outputs)
            Target and raw outputs, as for :meth:`loss`.

        Returns
        -------
        gradient : ndarray of shape (n_samples, n_outputs)
            Derivative of each sample's loss with respect to each raw output.

        Examples
        --------
        The log-loss gradient with respect to the logit is ``sigmoid(raw) - y``:

        >>> import numpy as np
        >>> from skloss.losses import BernoulliLogLoss
        >>> BernoulliLogLoss().gradient(np.array([[1.0], [0.0]]), np.array([[0.0], [0.0]]))
        array([[-0.5],
               [ 0.5]])
        """
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(y, raw).")

    def hessian(self, y, raw):
        """Hessian of the per-sample loss with respect to ``raw``.

        Optional: :func:`skloss.inference.summary` uses it for standard
        errors. A loss that does not implement it (this default raises
        ``NotImplementedError``) gets central finite differences of
        :meth:`gradient` instead, at the cost of ``2 * n_outputs`` extra
        gradient evaluations per block of rows.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            The target, as :meth:`gradient` takes it.
        raw : ndarray of shape (n_samples, n_outputs)
            The raw outputs at which to differentiate twice.

        Returns
        -------
        hessian : ndarray of shape (n_samples, n_outputs, n_outputs)
            ``hessian[i, j, k]`` is the second derivative of the loss of
            sample ``i`` with respect to ``raw[i, j]`` and ``raw[i, k]``.

        Examples
        --------
        The log-loss's Hessian in the logit is :math:`p (1 - p)`:

        >>> import numpy as np
        >>> from skloss.losses import BernoulliLogLoss
        >>> BernoulliLogLoss().hessian(np.array([[1.0]]), np.array([[0.0]]))
        array([[[0.25]]])
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement hessian(y, raw).")

    def loss_gradient(self, y, raw, sample_weight):
        """Weighted mean loss and its gradient with respect to ``raw``.

        This is what the fitting core calls; override it to share work
        between the value and the gradient.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Target, encoded as the loss expects.
        raw : ndarray of shape (n_samples, n_outputs)
            Raw outputs (logits).
        sample_weight : ndarray of shape (n_samples,)
            Non-negative weights with a positive sum.

        Returns
        -------
        value : float
            ``sum_i s_i l(y_i, raw_i) / sum_i s_i``.
        gradient : ndarray of shape (n_samples, n_outputs)
            Gradient of ``value`` with respect to ``raw``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import SquaredError
        >>> value, gradient = SquaredError().loss_gradient(
        ...     np.zeros((2, 1)), np.array([[1.0], [3.0]]), np.array([1.0, 3.0])
        ... )
        >>> value
        3.5
        >>> gradient
        array([[0.25],
               [2.25]])
        """
        weight = normalised_weights(sample_weight)
        if type(self)._weighted_loss_gradient is not Loss._weighted_loss_gradient:
            # A built-in loss computes both in one fused pass.
            self._ensure_valid()
            return self._weighted_loss_gradient(y, raw, weight)
        value = float(weight @ self.loss(y, raw))
        # A product, not an in-place scaling: a user's gradient() may return a
        # view of its inputs.
        return value, self.gradient(y, raw) * weight[:, np.newaxis]

    def _weighted_loss_gradient(self, y, raw, weight):
        """``sum_i weight_i l(y_i, raw_i)`` and its gradient in ``raw``: the fitting core's path.

        ``weight`` are the samples' shares of the whole fit's weight (over a
        block of rows they sum to less than one), so the results of the
        blocks add up to the fit's. The core calls it once per block and
        evaluation, after validating the loss once per fit. Built-in losses
        override it with one fused computation and never write to ``y``,
        ``raw`` or ``weight``; this default goes through
        :meth:`loss_gradient`, so a user's loss needs nothing more.
        """
        share = float(np.sum(weight))
        mean, gradient = self.loss_gradient(y, raw, weight)
        return share * mean, gradient * share

    def init_raw(self, y, sample_weight):
        """Constant raw output to start from, ideally the loss's minimiser.

        The default is zero; the built-in losses return the minimiser in
        closed form (a weighted mean, median, quantile or log-odds).

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Target, encoded as the loss expects.
        sample_weight : ndarray of shape (n_samples,)
            Non-negative weights with a positive sum.

        Returns
        -------
        raw : ndarray of shape (n_outputs,)
            The constant raw output the intercept starts from.

        Examples
        --------
        The best constant is the statistic the loss estimates:

        >>> import numpy as np
        >>> from skloss.losses import AbsoluteError, SquaredError
        >>> y, weight = np.array([[1.0], [2.0], [9.0]]), np.ones(3)
        >>> SquaredError().init_raw(y, weight), AbsoluteError().init_raw(y, weight)
        (array([4.]), array([2.]))
        """
        return np.zeros(y.shape[1])

    def check_target(self, y):
        """Raise a ValueError if ``y`` lies outside the loss's target support.

        Estimators call it once per fit, on the encoded target, before
        fitting: a failed check leaves the estimator as it was. The default
        accepts every target; a loss for counts or positive amounts
        overrides it.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Target, encoded as the loss expects.

        Raises
        ------
        ValueError
            If some target is outside the support, saying which are allowed.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss.losses import GammaNLL, SquaredError
        >>> y = np.array([[0.0], [2.0]])
        >>> SquaredError().check_target(y)
        >>> GammaNLL().check_target(y)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
            ...
        ValueError: GammaNLL() needs a positive target y, but y has a minimum of 0.0. ...
        """

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

        Examples
        --------
        The absolute error with its kink rounded off over a zone of width
        0.1: the slope passes from -1 to 1 continuously inside the zone.

        >>> import numpy as np
        >>> from skloss.losses import AbsoluteError
        >>> smooth = AbsoluteError().smoothed(0.1)
        >>> raw = np.array([[-1.0], [0.0], [0.05], [0.1], [1.0]])
        >>> smooth.gradient(np.zeros((5, 1)), raw).ravel()
        array([-1., -1.,  0.,  1.,  1.])
        """
        raise NotImplementedError(
            f"{type(self).__name__} is not smooth: it must implement smoothed(width)."
        )

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
            Parameter names mapped to their values.

        Examples
        --------
        >>> from skloss.losses import Huber
        >>> Huber(delta=2.0).get_params()
        {'delta': 2.0}
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
            This loss, changed in place.

        Examples
        --------
        Estimators reach a loss object's parameters as ``loss__<name>``:

        >>> from skloss import LinearRegressor
        >>> from skloss.losses import Huber
        >>> model = LinearRegressor(loss=Huber()).set_params(loss__delta=3.0)
        >>> model.loss
        Huber(delta=3.0)
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
