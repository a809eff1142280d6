"""Regressors: a linear output unit and a regression loss."""

import functools

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from ._base import LOSS_CONSTRAINT, LinearModelBase
from ._dask_input import blockwise_on_dask
from ._docstrings import with_fragments
from ._huber_scale import fit_relative_huber
from .losses import (
    AbsoluteError,
    GammaNLL,
    Huber,
    Loss,
    Pinball,
    PoissonNLL,
    SquaredError,
    TweedieNLL,
)

_REGRESSION_LOSSES = {
    "squared_error": SquaredError,
    "absolute_error": AbsoluteError,
    "huber": Huber,
    "quantile": Pinball,
    "poisson": PoissonNLL,
    "gamma": GammaNLL,
    "tweedie": TweedieNLL,
}


class _LinearRegressorBase(RegressorMixin, LinearModelBase):
    _named_losses = _REGRESSION_LOSSES
    _target_kind = "continuous"

    _parameter_constraints = {**LinearModelBase._parameter_constraints, "positive": ["boolean"]}

    def _coef_bounds(self):
        return (0.0, None) if self.positive else None

    def _encode_target(self, y, sample_weight):
        self._y_is_1d = y.ndim == 1
        return np.asarray(y, dtype=float).reshape(y.shape[0], -1)

    def _store_params(self, coef, intercept):
        if self._y_is_1d:
            self.coef_, self.intercept_ = coef[:, 0], float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef.T, intercept

    def _fitted_params(self):
        coef = np.asarray(self.coef_, dtype=float)
        coef = coef[:, np.newaxis] if coef.ndim == 1 else coef.T
        return coef, np.atleast_1d(np.asarray(self.intercept_, dtype=float))

    @blockwise_on_dask
    def predict(self, X, offset=None):
        """Predict the statistic the loss estimates (mean, median, quantile, ...).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The rows' offsets, added to the raw output as in ``fit``; none
            if None.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The loss's statistic of ``y`` given each row of ``X``.

        Examples
        --------
        The same data, two losses, two statistics: the squared error predicts
        the conditional mean, the absolute error the conditional median.

        >>> import numpy as np
        >>> from skloss import LinearRegressor
        >>> X = np.array([[0.0], [0.0], [0.0], [1.0], [1.0], [1.0]])
        >>> y = np.array([0.0, 1.0, 5.0, 10.0, 11.0, 15.0])
        >>> LinearRegressor(loss="squared_error").fit(X, y).predict([[0.0], [1.0]]).round(6)
        array([ 2., 12.])
        >>> LinearRegressor(loss="absolute_error").fit(X, y).predict([[0.0], [1.0]]).round(6)
        array([ 1., 11.])
        """
        raw = self._raw_output(X, offset)
        prediction = self.loss_.output_unit(raw)
        return prediction[:, 0] if self._y_is_1d else prediction

    def score(self, X, y, sample_weight=None, offset=None):
        """Coefficient of determination :math:`R^2` of the predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The rows' offsets, passed to :meth:`predict`. In a
            ``GridSearchCV`` with metadata routing, request it with
            ``set_score_request(offset=True)`` so that held-out folds are
            scored with their offsets.

        Returns
        -------
        score : float
            :math:`R^2` of ``predict(X, offset=offset)`` against ``y``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import LinearRegressor
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> exposure = np.array([1.0, 2.0, 1.0, 2.0])
        >>> counts = np.array([1.0, 4.0, 4.0, 16.0])
        >>> model = LinearRegressor(loss="poisson", tol=1e-10)
        >>> model = model.fit(X, counts, offset=np.log(exposure))
        >>> round(model.score(X, counts, offset=np.log(exposure)), 6)
        1.0
        """
        return r2_score(y, self.predict(X, offset=offset), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self._loss_rejects_negative_targets()
        return tags

    def _loss_rejects_negative_targets(self):
        """Whether the loss needs y >= 0 or y > 0 (counts, positive amounts).

        Reads the loss without resolving it: tags are asked for often (every
        ``validate_data``), and resolution validates the loss once per fit.
        """
        loss = self._loss_param()
        if isinstance(loss, str):
            loss = self._named_losses.get(loss)
            loss = loss() if loss is not None else None
        if not isinstance(loss, Loss):
            return False  # an invalid loss: fit will say so
        try:
            loss.check_target(np.array([[-1.0]]))
        except ValueError:
            return True
        return False


@with_fragments
class LinearRegressor(_LinearRegressorBase):
    r"""Linear regression with a pluggable loss.

    The prediction is the loss's output unit applied to the raw output
    :math:`z = x W + b`: :math:`z` itself for the identity unit, :math:`e^z`
    for the log-link losses (Poisson, Gamma, Tweedie, negative binomial).
    Which statistic of :math:`y \mid x` it estimates is decided by the loss:
    the mean for squared error and the log-link losses, the median for
    absolute error, a quantile for the pinball loss, a robust location for
    Huber.
    {% regression_objective %}

    Parameters
    ----------
    loss : str or Loss, default="squared_error"
        ``"squared_error"`` (:class:`~skloss.losses.SquaredError`),
        ``"absolute_error"`` (:class:`~skloss.losses.AbsoluteError`),
        ``"huber"`` (:class:`~skloss.losses.Huber` with a ``delta`` relative to
        the noise: 1.345 times a robust, MAD-based standard deviation of the
        residuals estimated at fit time, so the fit is the same whatever
        the units of y; the resolved ``delta`` is on ``loss_``; a
        ``Huber(delta=...)`` object keeps its absolute ``delta``),
        ``"quantile"`` (:class:`~skloss.losses.Pinball` with
        ``quantile=0.5``), ``"poisson"`` (:class:`~skloss.losses.PoissonNLL`,
        counts, y >= 0), ``"gamma"`` (:class:`~skloss.losses.GammaNLL`,
        positive amounts, y > 0), ``"tweedie"``
        (:class:`~skloss.losses.TweedieNLL` with ``power=1.5``, amounts
        with exact zeros, y >= 0), or any :class:`~skloss.losses.Loss` whose
        output unit is continuous. A loss object's parameters can be
        searched as ``loss__<name>``. A target outside the loss's support
        raises a ValueError at fit.
    alpha : float, default=0.0
        Strength of the L2 penalty :math:`\frac{\alpha}{2}\|W\|^2` on the mean
        loss. ``alpha`` here equals ``Ridge(alpha=alpha * n_samples)`` for
        squared error, and ``PoissonRegressor(alpha=alpha)``,
        ``GammaRegressor(alpha=alpha)`` and
        ``TweedieRegressor(power=p, link="log", alpha=alpha)`` for the
        log-link losses (whose half deviance is the loss up to a constant).
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercept :math:`b`.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations (over all smoothing stages for a
        non-smooth loss).
    {% tol_parameter %}
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    {% positive_parameter %}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_outputs, n_features)
        Coefficients :math:`W^T`.
    intercept_ : float or ndarray of shape (n_outputs,)
        Intercept :math:`b`.
    loss_ : Loss
        The loss that was fitted, resolved from ``loss`` (for ``"huber"``,
        a :class:`~skloss.losses.Huber` with the absolute ``delta`` used).
    n_iter_ : int
        Number of L-BFGS iterations run (for ``"huber"``, over the pilot fit
        that estimates the residuals' scale and the final fit); 1 for a wide
        squared-error fit, which is solved directly (see Notes).
    objective_ : float
        Value of the objective at the fitted coefficients.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    LinearGaussianRegressor : Squared error, the conditional mean.
    MedianRegressor : Absolute error, the conditional median.
    sklearn.linear_model.Ridge : Squared error with ``alpha * n_samples``.
    sklearn.linear_model.PoissonRegressor : ``loss="poisson"`` with the same
        ``alpha``; likewise ``GammaRegressor`` and ``TweedieRegressor``.

    Notes
    -----
    Non-smooth losses (absolute error, pinball) are fitted by smoothing
    continuation and an exact finishing step; see
    :class:`~skloss.losses.AbsoluteError`.

    {% wide_squared_error %}

    ``loss="huber"`` is fitted in units of a robust scale of y (so the
    tolerance is relative to it), first with ``delta`` at 1.345 of that
    scale, then, warm-started, with ``delta`` at 1.345 times the MAD-based
    standard deviation of that pilot fit's residuals. Every step is
    scale-equivariant: multiplying y by ``c`` multiplies ``coef_``,
    ``intercept_`` and ``loss_.delta`` by ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss import LinearRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 30.0])
    >>> LinearRegressor(loss="absolute_error").fit(X, y).predict([[1.5]]).round(6)
    array([1.5])

    With ``loss="huber"`` the threshold follows the units of y:

    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 1))
    >>> y = 150.0 + 30.0 * X[:, 0] + rng.normal(scale=10.0, size=200)
    >>> model = LinearRegressor(loss="huber").fit(X, y)
    >>> round(model.loss_.delta, 1)  # about 1.345 times the noise's standard deviation, 10
    13.6
    >>> in_thousands = LinearRegressor(loss="huber").fit(X, y / 1000)
    >>> bool(np.allclose(in_thousands.coef_ * 1000, model.coef_))
    True

    For counts, the Poisson loss predicts a positive mean :math:`e^z`; with
    one binary feature it is each group's mean count:

    >>> X = np.array([[0.0], [0.0], [1.0], [1.0]])
    >>> counts = np.array([1, 3, 4, 8])
    >>> model = LinearRegressor(loss="poisson", tol=1e-10).fit(X, counts)
    >>> model.predict([[0.0], [1.0]]).round(6), np.exp(model.coef_).round(6)
    (array([2., 6.]), array([3.]))
    """

    _parameter_constraints = {**_LinearRegressorBase._parameter_constraints, **LOSS_CONSTRAINT}

    def __init__(
        self,
        loss="squared_error",
        *,
        alpha=0.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-5,
        warm_start=False,
        positive=False,
    ):
        self._store_init_arguments(locals())

    def _minimise(
        self, X, target, loss, sample_weight, coef_init, intercept_init, offset=None, *, tol=None
    ):
        minimise = functools.partial(super()._minimise, tol=tol)
        if isinstance(self.loss, str) and self.loss == "huber":
            return fit_relative_huber(
                minimise, X, target, loss, sample_weight, coef_init, intercept_init, offset
            )
        return minimise(X, target, loss, sample_weight, coef_init, intercept_init, offset)


@with_fragments
class LinearGaussianRegressor(_LinearRegressorBase):
    r"""Linear regression of the conditional mean (Gaussian likelihood).

    Maximum likelihood for :math:`y \mid x \sim \mathcal{N}(x W + b, 1)`:
    the loss is half the squared error, and the prediction is the
    conditional mean. With ``alpha`` it is ridge regression.
    {% regression_objective %}

    with :math:`l(y, z) = \frac{1}{2}\|y - z\|^2`.

    Parameters
    ----------
    alpha : float, default=0.0
        Strength of the L2 penalty; ``alpha`` here equals
        ``sklearn.linear_model.Ridge(alpha=alpha * n_samples)``.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercept.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations.
    {% tol_parameter %}
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    {% positive_parameter %}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_outputs, n_features)
    intercept_ : float or ndarray of shape (n_outputs,)
    loss_ : SquaredError
    n_iter_ : int
        Number of L-BFGS iterations run; 1 for a wide fit, which is solved
        directly (see Notes).
    objective_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    MedianRegressor : The conditional median instead of the mean.
    LinearRegressor : Any regression loss.

    Notes
    -----
    {% wide_squared_error %}

    Examples
    --------
    >>> import numpy as np
    >>> from skloss import LinearGaussianRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([1.0, 3.0, 5.0, 7.0])
    >>> model = LinearGaussianRegressor(tol=1e-10).fit(X, y)
    >>> model.coef_.round(6), round(model.intercept_, 6)
    (array([2.]), 1.0)
    """

    def __init__(
        self,
        *,
        alpha=0.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-5,
        warm_start=False,
        positive=False,
    ):
        self._store_init_arguments(locals())

    def _loss_param(self):
        return "squared_error"


@with_fragments
class MedianRegressor(_LinearRegressorBase):
    r"""Linear regression of the conditional median (least absolute deviation).

    Maximum likelihood for a Laplace distribution of :math:`y \mid x`
    centred at :math:`x W + b`: the loss is the absolute error and the
    prediction is the conditional median, robust to outliers and skewed
    noise.
    {% regression_objective %}

    with :math:`l(y, z) = \|y - z\|_1`.

    Parameters
    ----------
    alpha : float, default=0.0
        Strength of the L2 penalty.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercept.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations over all smoothing stages.
    {% tol_parameter %}
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    {% positive_parameter %}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_outputs, n_features)
    intercept_ : float or ndarray of shape (n_outputs,)
    loss_ : AbsoluteError
    n_iter_ : int
    objective_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    LinearGaussianRegressor : The conditional mean instead of the median.
    sklearn.linear_model.QuantileRegressor : The same model (``alpha=0``,
        ``quantile=0.5``) by linear programming.

    Notes
    -----
    The absolute error has a kink where the residual is zero. The model is
    fitted with L-BFGS through smoothing continuation and an exact finishing
    step, described in :class:`~skloss.losses.AbsoluteError`; the result is
    the linear-programming optimum, certified by its KKT conditions, or else
    comes with a ConvergenceWarning.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss import MedianRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 3.0, 100.0])
    >>> model = MedianRegressor().fit(X, y)
    >>> model.coef_.round(6), round(model.intercept_, 6)
    (array([1.]), 0.0)
    """

    def __init__(
        self,
        *,
        alpha=0.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-5,
        warm_start=False,
        positive=False,
    ):
        self._store_init_arguments(locals())

    def _loss_param(self):
        return "absolute_error"
