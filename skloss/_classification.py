"""Classifiers: sigmoid (binary, multilabel) and softmax (multiclass) output units."""

import numbers
from collections.abc import Mapping

import numpy as np
from scipy import sparse
from scipy.special import log_expit, log_softmax
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ._base import LOSS_CONSTRAINT, LinearModelBase
from ._dask_input import blockwise_on_dask
from ._docstrings import with_fragments
from .losses import (
    BernoulliLogLoss,
    MultinoulliLogLoss,
    SigmoidSquaredError,
    SoftmaxSquaredError,
)


class _LinearClassifierBase(ClassifierMixin, LinearModelBase):
    _parameter_constraints = {
        **LinearModelBase._parameter_constraints,
        **LOSS_CONSTRAINT,
        "class_weight": [Mapping, StrOptions({"balanced"}), None],
    }

    def _weight_samples(self, target, sample_weight):
        """Sample weights times the class weights of the samples' classes."""
        if self.class_weight is None:
            return sample_weight
        _check_class_weight(self.class_weight)
        codes = self._class_codes(target)
        # "balanced" divides by each class's weighted count; a class whose
        # samples all weigh 0 gets an infinite weight that multiplies nothing.
        with np.errstate(divide="ignore"):
            weights = compute_class_weight(
                self.class_weight,
                classes=self.classes_,
                y=self.classes_[codes],
                sample_weight=sample_weight,
            )
        weighted = np.where(sample_weight > 0, sample_weight * weights[codes], 0.0)
        if not np.sum(weighted) > 0:
            raise ValueError(
                f"class_weight={self.class_weight!r} gives every sample a weight of 0; "
                "at least one class present in y needs a positive weight."
            )
        return weighted

    def _store_params(self, coef, intercept):
        self.coef_, self.intercept_ = coef.T, intercept

    def _fitted_params(self):
        return np.asarray(self.coef_, dtype=float).T, np.asarray(self.intercept_, dtype=float)

    @blockwise_on_dask
    def predict_proba(self, X, offset=None):
        """Predicted class probabilities, computed from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or (n_samples, n_labels)
            Columns follow ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SoftmaxClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
        >>> model = SoftmaxClassifier(alpha=0.01).fit(X, [0, 0, 1, 1, 2, 2])
        >>> model.predict_proba([[2.5]]).round(2)
        array([[0.04, 0.92, 0.04]])
        """
        return np.exp(self.predict_log_proba(X, offset))

    def score(self, X, y, sample_weight=None, offset=None):
        """Mean accuracy of the predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
        offset : array-like, default=None
            Offsets of the rows, for :meth:`predict`. A grid search scores
            its held-out folds with their offsets once the classifier
            requests them by ``set_score_request(offset=True)`` (with
            metadata routing enabled).

        Returns
        -------
        score : float
            Accuracy of ``predict(X, offset=offset)`` (the subset accuracy
            for multilabel y).

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SigmoidClassifier
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> model = SigmoidClassifier(alpha=0.1).fit(X, y)
        >>> model.score(X, y), model.score(X, y, offset=[0.0, 0.0, -10.0, -10.0])
        (1.0, 0.5)
        """
        return accuracy_score(y, self.predict(X, offset=offset), sample_weight=sample_weight)


@with_fragments
class SigmoidClassifier(_LinearClassifierBase):
    r"""Binary and multilabel classifier with a sigmoid output unit.

    Each label is a Bernoulli variable whose logit is linear in :math:`x`:
    :math:`P(y_j = 1 \mid x) = \sigma(x W_j + b_j)`. With the default
    log-loss this is (L2-penalised) logistic regression.
    {% classifier_objective %}

    For ``loss="log_loss"``, :math:`l(y, z) = \sum_j \operatorname{softplus}(z_j) - y_j z_j`;
    for ``loss="squared_error"``, :math:`l(y, z) = \frac{1}{2}\sum_j (\sigma(z_j) - y_j)^2`.

    Parameters
    ----------
    loss : str or Loss, default="log_loss"
        ``"log_loss"`` (:class:`~skloss.losses.BernoulliLogLoss`),
        ``"squared_error"`` (:class:`~skloss.losses.SigmoidSquaredError`, the
        saturating counter-example), or any :class:`~skloss.losses.Loss` on a
        sigmoid output unit.
    {% classifier_parameters %}

    Attributes
    ----------
    classes_ : ndarray of shape (2,) or (n_labels,)
        The two class labels (the second is the positive class), or
        ``arange(n_labels)`` for a multilabel indicator target.
    coef_ : ndarray of shape (1, n_features) or (n_labels, n_features)
    intercept_ : ndarray of shape (1,) or (n_labels,)
    loss_ : Loss
        The loss that was fitted, resolved from ``loss``.
    n_iter_ : int
        Number of L-BFGS iterations run.
    objective_ : float
        Value of the objective at the fitted coefficients.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    SoftmaxClassifier : Multiclass targets.
    sklearn.linear_model.LogisticRegression : The same model for log-loss.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skloss import SigmoidClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), SigmoidClassifier(alpha=1e-3))
    >>> model.fit(X, y).score(X, y) > 0.97
    True
    """

    _named_losses = {"log_loss": BernoulliLogLoss, "squared_error": SigmoidSquaredError}
    _target_kind = "binary"

    def __init__(
        self,
        loss="log_loss",
        *,
        alpha=1e-4,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-5,
        warm_start=False,
        class_weight=None,
    ):
        self._store_init_arguments(locals())

    def _indicator_target(self, y):
        """A multilabel indicator matrix as floats, after checking it is 0/1."""
        y = y.toarray() if sparse.issparse(y) else np.asarray(y)
        values = np.unique(y)
        if not np.all((values == 0) | (values == 1)):
            raise ValueError(
                "SigmoidClassifier takes a 2-d y as a multilabel indicator matrix, one "
                "column per label, of 0/1 (or boolean) values; got values "
                f"{values.tolist()}. Map each label to 0 and 1 first (for example "
                "Y == positive_value)."
            )
        self.classes_ = np.arange(y.shape[1])
        return y.astype(float)

    def _encode_target(self, y, sample_weight):
        self._multilabel = y.ndim == 2 and y.shape[1] > 1
        if self._multilabel:
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    "SigmoidClassifier takes a 1-d y of two classes or a 2-d multilabel "
                    f"indicator matrix of 0/1 values; got a 2-d y of type {type_of_target(y)!r}. "
                    "Use SoftmaxClassifier for multiclass targets."
                )
            return self._indicator_target(y)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) > 2:
            raise ValueError(
                "Only binary classification is supported. SigmoidClassifier got y with "
                f"{len(classes)} classes; use SoftmaxClassifier for multiclass targets, "
                "or pass a multilabel indicator matrix for independent binary labels."
            )
        present = np.unique(y[sample_weight > 0])
        if len(present) < 2:
            raise ValueError(
                "SigmoidClassifier needs samples of 2 classes with positive weight; got "
                f"only one class: {present.tolist()}."
            )
        self.classes_ = classes
        return (y == self.classes_[1]).astype(float)[:, np.newaxis]

    def _class_codes(self, target):
        if self._multilabel:
            raise ValueError(
                "class_weight is not supported for a multilabel target, whose labels are "
                "separate binary problems; weight the samples with sample_weight, or fit "
                "one SigmoidClassifier with class_weight per label."
            )
        return target[:, 0].astype(int)

    @blockwise_on_dask
    def decision_function(self, X, offset=None):
        """Logits of the positive class (of each label, for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        logits : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Positive where the positive class (``classes_[1]``) is the more
            probable one.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SigmoidClassifier
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
        >>> model = SigmoidClassifier(alpha=0.1).fit(X, ["no", "no", "yes", "yes"])
        >>> model.decision_function([[-1.0], [1.0]]).round(2)
        array([-1.46,  1.46])
        """
        raw = self._raw_output(X, offset)
        return raw if self._multilabel else raw[:, 0]

    @blockwise_on_dask
    def predict_log_proba(self, X, offset=None):
        """Log-probabilities, computed from the logits (never log of a sigmoid).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2) or (n_samples, n_labels)
            For binary y, columns follow ``classes_``; for multilabel y,
            column j is the log-probability that label j is present.

        Examples
        --------
        Far from the boundary the probability of the negative class rounds
        to 0, but its logarithm, computed from the logit, stays finite:

        >>> import numpy as np
        >>> from skloss import SigmoidClassifier
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
        >>> model = SigmoidClassifier(alpha=0.1).fit(X, ["no", "no", "yes", "yes"])
        >>> model.predict_proba([[1000.0]])[:, 0]
        array([0.])
        >>> log_proba = model.predict_log_proba([[1000.0]])[0, 0]
        >>> bool(np.isfinite(log_proba) and log_proba < -1000)
        True
        """
        raw = self._raw_output(X, offset)
        if self._multilabel:
            return log_expit(raw)
        return np.hstack([log_expit(-raw), log_expit(raw)])

    @blockwise_on_dask
    def predict_proba(self, X, offset=None):
        """Predicted probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2) or (n_samples, n_labels)
            For binary y, columns follow ``classes_``; for multilabel y,
            column j is the probability that label j is present.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SigmoidClassifier
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
        >>> model = SigmoidClassifier(alpha=0.1).fit(X, ["no", "no", "yes", "yes"])
        >>> model.predict_proba([[0.0], [1.0]]).round(2)
        array([[0.5 , 0.5 ],
               [0.19, 0.81]])
        """
        return super().predict_proba(X, offset)

    @blockwise_on_dask
    def predict(self, X, offset=None):
        """Predicted class labels (a 0/1 indicator matrix for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``, or 0/1 indicators for multilabel y.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SigmoidClassifier
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
        >>> model = SigmoidClassifier(alpha=0.1).fit(X, ["no", "no", "yes", "yes"])
        >>> model.predict([[-3.0], [3.0]]).tolist()
        ['no', 'yes']
        """
        raw = self._raw_output(X, offset)
        if self._multilabel:
            return (raw > 0).astype(int)
        return self.classes_[(raw[:, 0] > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        # Class weights reweight samples, which a multilabel target's labels share.
        tags.classifier_tags.multi_label = self.class_weight is None
        return tags


@with_fragments
class SoftmaxClassifier(_LinearClassifierBase):
    r"""Multiclass classifier with a softmax output unit.

    The class is a multinoulli variable whose logits are linear in
    :math:`x`: :math:`P(y = k \mid x) = \operatorname{softmax}(x W + b)_k`.
    With the default log-loss this is (L2-penalised) multinomial logistic
    regression.
    {% classifier_objective %}

    For ``loss="log_loss"``, :math:`l(y, z) = \operatorname{logsumexp}(z) - z_y`;
    for ``loss="squared_error"``,
    :math:`l(y, z) = \frac{1}{2}\|\operatorname{softmax}(z) - \operatorname{onehot}(y)\|^2`.

    Parameters
    ----------
    loss : str or Loss, default="log_loss"
        ``"log_loss"`` (:class:`~skloss.losses.MultinoulliLogLoss`),
        ``"squared_error"`` (:class:`~skloss.losses.SoftmaxSquaredError`, the
        saturating counter-example), or any :class:`~skloss.losses.Loss` on a
        softmax output unit.
    {% classifier_parameters %}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features)
        One row per class, also for two classes (softmax has a logit per
        class). The logits are invariant to a common shift; the fit keeps
        the intercepts summing to zero.
    intercept_ : ndarray of shape (n_classes,)
    loss_ : Loss
        The loss that was fitted, resolved from ``loss``.
    n_iter_ : int
        Number of L-BFGS iterations run.
    objective_ : float
        Value of the objective at the fitted coefficients.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    SigmoidClassifier : Binary and multilabel targets.
    sklearn.linear_model.LogisticRegression : The same model for log-loss.

    Examples
    --------
    The same model as scikit-learn's multinomial logistic regression:

    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skloss import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxClassifier(alpha=1e-2, tol=1e-8).fit(X, y)
    >>> reference = LogisticRegression(C=1 / (1e-2 * len(y)), tol=1e-8, max_iter=1000)
    >>> reference = reference.fit(X, y)
    >>> bool(np.abs(model.predict_proba(X) - reference.predict_proba(X)).max() < 1e-4)
    True
    """

    _named_losses = {"log_loss": MultinoulliLogLoss, "squared_error": SoftmaxSquaredError}
    _target_kind = "categorical"
    # The same offset on every logit cancels in the softmax.
    _offset_broadcasts = False

    def _offset_hint(self):
        return (
            " SoftmaxClassifier needs one column per class, in the order of classes_: "
            "the same offset added to every logit would cancel in the softmax (for two "
            "classes, an offset o of the log-odds is the columns [0, o])."
        )

    def __init__(
        self,
        loss="log_loss",
        *,
        alpha=1e-4,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-5,
        warm_start=False,
        class_weight=None,
    ):
        self._store_init_arguments(locals())

    def _encode_target(self, y, sample_weight):
        if y.ndim == 2 and y.shape[1] > 1:
            raise ValueError(
                "SoftmaxClassifier takes a 1-d y of class labels, one class per sample; "
                f"got a 2-d y of shape {y.shape}. For multilabel targets (an indicator "
                "matrix of several binary labels per sample) use SigmoidClassifier; for "
                "several multiclass targets, fit one SoftmaxClassifier per column."
            )
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        present = np.unique(y[sample_weight > 0])
        if len(present) < 2:
            raise ValueError(
                "SoftmaxClassifier needs samples of at least 2 classes with positive "
                f"weight; got only one class: {present.tolist()}."
            )
        self.classes_, codes = np.unique(y, return_inverse=True)
        return (codes[:, np.newaxis] == np.arange(len(self.classes_))).astype(float)

    def _class_codes(self, target):
        return np.argmax(target, axis=1)

    @blockwise_on_dask
    def decision_function(self, X, offset=None):
        """Logits of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples, n_classes), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes) or (n_samples,)
            For two classes, the scikit-learn convention: one column, the
            log-odds ``z_1 - z_0`` of the second class.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SoftmaxClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
        >>> model = SoftmaxClassifier(alpha=0.01).fit(X, [0, 0, 1, 1, 2, 2])
        >>> logits = model.decision_function([[0.0], [5.0]])
        >>> logits.shape, logits.argmax(axis=1).tolist()
        ((2, 3), [0, 2])
        """
        raw = self._raw_output(X, offset)
        return raw[:, 1] - raw[:, 0] if raw.shape[1] == 2 else raw

    @blockwise_on_dask
    def predict_log_proba(self, X, offset=None):
        """Log-probabilities, computed from the logits (log-softmax).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples, n_classes), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SoftmaxClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
        >>> model = SoftmaxClassifier(alpha=0.01).fit(X, [0, 0, 1, 1, 2, 2])
        >>> model.predict_log_proba([[2.5]]).round(1)
        array([[-3.3, -0.1, -3.3]])
        """
        return log_softmax(self._raw_output(X, offset), axis=1)

    @blockwise_on_dask
    def predict(self, X, offset=None):
        """Most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        offset : array-like of shape (n_samples, n_classes), default=None
            The rows' offsets, added to the logits as in ``fit``; none if None.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import SoftmaxClassifier
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
        >>> model = SoftmaxClassifier(alpha=0.01).fit(X, [0, 0, 1, 1, 2, 2])
        >>> model.predict([[0.0], [2.5], [5.0]])
        array([0, 1, 2])
        """
        raw = self._raw_output(X, offset)
        return self.classes_[np.argmax(raw, axis=1)]


def _check_class_weight(class_weight):
    # Its type ("balanced" or a mapping) is checked by _parameter_constraints.
    if isinstance(class_weight, str):
        return
    for label, weight in class_weight.items():
        valid = isinstance(weight, numbers.Real) and not isinstance(weight, bool)
        if not (valid and np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight must map each class to a non-negative number; class "
                f"{label!r} has weight {weight!r}."
            )
