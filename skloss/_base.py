"""Plumbing shared by every skloss estimator: validation, fitting, prediction."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, is_regressor
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._core import fit_linear_model
from ._dask_input import is_dask_array, validate_dask_fit_input
from ._input_checks import check_squares_representable, numeric_target, rescaled_sample_weight
from ._linear_output import linear_output
from ._loss_resolution import resolve_loss


class PositiveCount(Interval):
    """The integers 1, 2, ...: an Interval that does not take ``True`` for 1."""

    def __init__(self):
        super().__init__(Integral, 1, None, closed="left")

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


# The loss is checked when it is resolved (skloss._loss_resolution), where the
# message can say which losses fit the estimator's target.
LOSS_CONSTRAINT = {"loss": "no_validation"}


class LinearModelBase(BaseEstimator):
    """Base class: a linear raw output ``z = X coef_.T + intercept_`` and a loss.

    Subclasses set ``_named_losses`` and ``_target_kind``, and implement
    ``_encode_target`` (y -> the 2-d target the loss expects, setting any
    label attributes) and ``_store_params`` (fitted (W, b) -> ``coef_`` and
    ``intercept_``) together with ``_fitted_params`` (its inverse). They may
    override ``_weight_samples`` (class weights), ``_configure_loss`` (set
    data-dependent loss parameters) and ``_minimise`` (how the core is run:
    once by default, or from several starts). Each public estimator writes
    its own ``__init__`` (see ``_store_init_arguments``) and extends
    ``_parameter_constraints`` with the parameters it adds.
    """

    _named_losses: dict = {}
    _target_kind = "continuous"
    # Whether a single column of offsets may be added to every output.
    _offset_broadcasts = True

    # Checked by scikit-learn's ``_validate_params`` when ``fit`` starts; the
    # error names the public class, the parameter and what it allows. An
    # Interval with an open end excludes inf, and no Interval contains nan.
    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [PositiveCount()],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "warm_start": ["boolean"],
    }

    def _store_init_arguments(self, arguments):
        """Store ``__init__``'s arguments, unchanged, as attributes of the same names.

        Each public estimator writes its own ``__init__`` (its signature is
        its list of parameters, and Python's errors about an unknown argument
        then name the public class) and calls this with ``locals()``.
        """
        for name in self._get_param_names():
            setattr(self, name, arguments[name])

    def _loss_param(self):
        """The loss as the user specified it (estimators with a fixed loss override)."""
        return self.loss

    def fit(self, X, y, sample_weight=None, offset=None):
        r"""Fit the model by minimising the penalised mean loss.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; CSR and CSC matrices are used without densifying.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; all ones if None. An integer weight has the
            same effect as repeating the sample.
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Known terms of the raw output, which becomes
            :math:`z = x W + b + o`: for counts over an exposure :math:`t`
            with the Poisson loss, :math:`o = \log t` makes
            :math:`e^{xW + b}` a rate per unit of exposure. A single column
            is added to every output. Predictions need the offsets of the
            new rows (``predict(X, offset=...)``). With metadata routing
            enabled, request it with ``set_fit_request(offset=True)``.

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        Sample weights act like repeated samples:

        >>> import numpy as np
        >>> from skloss import LinearGaussianRegressor
        >>> X = np.array([[0.0], [1.0], [2.0]])
        >>> y = np.array([0.0, 1.0, 5.0])
        >>> weighted = LinearGaussianRegressor(tol=1e-10).fit(X, y, sample_weight=[1, 1, 2])
        >>> repeated = LinearGaussianRegressor(tol=1e-10).fit(X[[0, 1, 2, 2]], y[[0, 1, 2, 2]])
        >>> bool(np.allclose(weighted.coef_, repeated.coef_))
        True
        """
        # scikit-learn's check of ``_parameter_constraints``, called here rather
        # than through its ``_fit_context`` decorator, which would make
        # sklearn's frame, not the user's, the origin of skloss's warnings.
        self._validate_params()
        # A failed fit restores the estimator's previous state, so it never
        # leaves a half-fitted model behind.
        state = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight, offset)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    def _fit(self, X, y, sample_weight, offset):
        loss = resolve_loss(
            self._loss_param(), self._named_losses, self._target_kind, type(self).__name__
        )
        if is_dask_array(X):
            if offset is not None:
                raise NotImplementedError(
                    f"{type(self).__name__}.fit does not take offsets with a Dask X yet; "
                    "fit in memory, or fold a known offset into the target where the "
                    "loss allows it (y - offset for squared error)."
                )
            X, y, sample_weight = validate_dask_fit_input(self, X, y, sample_weight)
        else:
            X, y = self._validate_data_and_target(X, y)
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        sample_weight = rescaled_sample_weight(sample_weight)
        target = self._encode_target(y, sample_weight)
        loss.check_target(target)
        offset = self._check_offset(offset, *target.shape)
        # Class weights can take the weights' sum out of range again.
        sample_weight = rescaled_sample_weight(self._weight_samples(target, sample_weight))

        coef_init = intercept_init = None
        if self.warm_start and hasattr(self, "coef_"):
            coef_init, intercept_init = self._fitted_params()
            expected = (X.shape[1], target.shape[1])
            if coef_init.shape != expected:
                raise ValueError(
                    f"warm_start=True needs the same number of features and outputs as "
                    f"the previous fit: coefficients of shape {expected} were needed, "
                    f"the previous fit has {coef_init.shape}. Set warm_start=False."
                )
            if not self.fit_intercept:
                intercept_init = np.zeros_like(intercept_init)

        loss = self._configure_loss(loss, target, sample_weight)
        result = self._minimise(X, target, loss, sample_weight, coef_init, intercept_init, offset)
        self.loss_ = loss
        self.n_iter_ = result.n_iter
        self.objective_ = result.objective
        self._store_params(result.coef, result.intercept)
        return self

    def _weight_samples(self, target, sample_weight):
        """The weights the loss sees, given the encoded target; unchanged by default.

        Classifiers override it to multiply in class weights.
        """
        return sample_weight

    def _configure_loss(self, loss, target, sample_weight):
        """The loss to fit, given the encoded target; the resolved loss by default.

        A subclass overrides it to set a loss parameter that depends on the
        data (for example a variance regularisation relative to the variance of y).
        """
        return loss

    def _minimise(
        self, X, target, loss, sample_weight, coef_init, intercept_init, offset=None, *, tol=None
    ):
        """Minimise the objective: one run of the core from the given start.

        ``coef_init`` and ``intercept_init`` are the warm start, or None for
        the core's default start; ``offset`` the checked offsets or None;
        ``tol`` replaces ``self.tol`` if given. A
        subclass may override it, for example to run the core from several
        starting points and keep the best.

        Returns
        -------
        FitResult
        """
        return fit_linear_model(
            X,
            target,
            loss,
            sample_weight=sample_weight,
            alpha=float(self.alpha),
            fit_intercept=bool(self.fit_intercept),
            max_iter=int(self.max_iter),
            tol=float(self.tol if tol is None else tol),
            coef_init=coef_init,
            intercept_init=intercept_init,
            offset=offset,
            coef_bounds=self._coef_bounds(),
        )

    def _coef_bounds(self):
        """``(lower, upper)`` bounds of the coefficients for the core; None (unbounded) here."""
        return None

    def _check_offset(self, offset, n_samples, n_outputs):
        """``offset`` as an array of shape (n_samples, n_outputs), or None.

        A 1-d offset, or a single column, is added to every output (where
        ``_offset_broadcasts``).
        """
        if offset is None:
            return None
        offset = check_array(offset, ensure_2d=False, dtype=np.float64, input_name="offset")
        given = offset.shape
        shapes = [(n_samples, n_outputs)]
        if self._offset_broadcasts or n_outputs == 1:
            shapes = list(dict.fromkeys([(n_samples,), (n_samples, 1), *shapes]))
        if given not in shapes:
            raise ValueError(
                f"offset must have shape {' or '.join(map(str, shapes))} for {n_samples} "
                f"samples and {n_outputs} output(s) of the raw output; got shape {given}."
                + self._offset_hint()
            )
        offset = offset.reshape(n_samples, -1)
        return np.ascontiguousarray(np.broadcast_to(offset, (n_samples, n_outputs)))

    def _offset_hint(self):
        """More on the offset's shape, for the error message (nothing by default)."""
        return ""

    def _validate_data_and_target(self, X, y):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            multi_output=True,
        )
        name = type(self).__name__
        check_squares_representable(X, "X", name)
        if is_regressor(self):
            y = numeric_target(y, name)
            check_squares_representable(y, "y", name)
        return X, y

    def _raw_output(self, X, offset=None):
        """Validated X mapped to the raw output (plus ``offset``), shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        coef, intercept = self._fitted_params()
        raw = linear_output(X, coef) + intercept
        offset = self._check_offset(offset, *raw.shape)
        return raw if offset is None else raw + offset

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coef_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
