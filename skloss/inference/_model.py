"""What inference needs from a fitted estimator: its loss, parameters, penalty and target."""

from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

from .._base import LinearModelBase
from .._heteroscedastic import HeteroscedasticRegressor
from .._mixture_density import MixtureDensityRegressor


@dataclass
class FittedModel:
    """A fitted linear model in the core's layout.

    ``coef`` has shape (n_features, n_outputs) and ``intercept`` (n_outputs,);
    the penalty on the mean loss is ``sum_k penalty[k] / 2 * ||coef[:, k]||^2``.
    """

    loss: object
    coef: np.ndarray
    intercept: np.ndarray
    fit_intercept: bool
    penalty: np.ndarray
    output_names: list

    def parameters(self):
        """The parameters in statsmodels' order: intercept first, output after output."""
        if self.fit_intercept:
            return np.vstack([self.intercept[np.newaxis, :], self.coef]).T.ravel()
        return self.coef.T.ravel()


def fitted_model(estimator):
    """The :class:`FittedModel` of a fitted skloss estimator, or a clear error."""
    if isinstance(estimator, MixtureDensityRegressor):
        raise NotImplementedError(
            "summary does not support MixtureDensityRegressor: a mixture's "
            "parameters are not identified (relabelling the components gives the "
            "same model) and its likelihood has many local optima, so standard "
            "errors of its coefficients have no meaning. Use "
            "HeteroscedasticRegressor, or the bootstrap."
        )
    if not isinstance(estimator, LinearModelBase):
        raise TypeError(
            "summary takes a fitted skloss estimator (LinearRegressor, "
            "SigmoidClassifier, ...) or a pipeline ending in one; got "
            f"{type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    coef, intercept = estimator._fitted_params()
    n_outputs = coef.shape[1]
    alpha = float(estimator.alpha)
    penalty = np.full(n_outputs, alpha)
    if isinstance(estimator, HeteroscedasticRegressor):
        # Its penalty is on the mean head in units of the spread of y.
        penalty[0] = alpha / estimator._y_scale**2
    return FittedModel(
        loss=estimator.loss_,
        coef=coef,
        intercept=intercept,
        fit_intercept=bool(estimator.fit_intercept),
        penalty=penalty,
        output_names=_output_names(estimator, n_outputs),
    )


def _output_names(estimator, n_outputs):
    if isinstance(estimator, HeteroscedasticRegressor):
        return ["mean", "log_variance"]
    if n_outputs == 1:
        return [""]
    kind = estimator.loss_.output_unit.target_kind
    if kind == "categorical" or getattr(estimator, "_multilabel", False):
        return [str(label) for label in estimator.classes_]
    return [f"y{k}" for k in range(n_outputs)]


def encode_target(estimator, y, n_samples):
    """y in the raw output's layout, as the estimator encoded it for fitting.

    Unlike the estimator's own encoding this never changes the estimator
    (its classes stay those it was fitted with).
    """
    y = np.asarray(y)
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but y has {y.shape[0]}; pass the data the "
            "estimator was fitted on."
        )
    kind = estimator.loss_.output_unit.target_kind
    if kind in ("distribution", "continuous"):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if kind == "distribution":
            return estimator.loss_.encode_target(y)
        return y.reshape(n_samples, -1)
    if kind == "binary" and getattr(estimator, "_multilabel", False):
        return np.asarray(y, dtype=np.float64)
    labels = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    unknown = ~np.isin(labels, estimator.classes_)
    if labels.ndim != 1 or np.any(unknown):
        raise ValueError(
            f"y must hold class labels from the estimator's classes_ "
            f"{estimator.classes_.tolist()}; got "
            + (f"y of shape {y.shape}." if labels.ndim != 1 else f"{labels[unknown][0]!r}.")
        )
    if kind == "binary":
        return (labels == estimator.classes_[1]).astype(np.float64)[:, np.newaxis]
    return (labels[:, np.newaxis] == estimator.classes_).astype(np.float64)
