"""Docstring fragments that several estimators share, and the one way to insert them.

A docstring names a fragment with a ``{% name %}`` placeholder (a form that
neither LaTeX nor reST uses) and its class or function is decorated with
:func:`with_fragments`. Each fragment is written for the indentation of the
place it goes: a class's parameter list (4 spaces) or a method's (8).
"""

import re

_REGRESSION_OBJECTIVE = r"""
    The coefficients minimise

    .. math::

        \frac{\sum_i s_i\, l(y_i, x_i W + b + o_i)}{\sum_i s_i}
        + \frac{\alpha}{2} \|W\|_F^2

    over the coefficients :math:`W` (:math:`W \geq 0` with ``positive=True``)
    and the unpenalised intercept :math:`b`, with :math:`s_i` the sample
    weights and :math:`o_i` the offsets given to ``fit`` (zero by default)."""

_WIDE_SQUARED_ERROR = r"""With squared error and fewer samples than features (up to 4,096
    samples, X in memory, ``positive=False``) the fit is not iterated: the
    coefficients are solved for exactly through the :math:`n \times n`
    matrix of the weighted, centred samples, so ``tol`` and ``max_iter`` do
    not apply and ``n_iter_`` is 1. At ``alpha=0`` this is the minimum-norm
    least-squares solution, what ``numpy.linalg.lstsq`` returns on the
    centred data (rows scaled by the square roots of the weights), with
    directions of X whose singular values are below about 1e-7 of the
    largest counted as absent."""

_POSITIVE_PARAMETER = r"""positive : bool, default=False
        Constrain the coefficients :math:`W` to be non-negative (the
        intercept stays free), as ``positive=True`` in scikit-learn's
        ``Ridge`` and ``LinearRegression``. L-BFGS-B keeps to the bounds;
        for the absolute and pinball losses the exact finish certifies the
        constrained optimum."""

_CLASSIFIER_OBJECTIVE = r"""
    The coefficients minimise

    .. math::

        \frac{\sum_i s_i\, l(y_i, x_i W + b + o_i)}{\sum_i s_i}
        + \frac{\alpha}{2} \|W\|_F^2

    over the coefficients :math:`W` and the unpenalised intercept :math:`b`,
    with :math:`s_i` the sample weights (times the class weights
    :math:`c(y_i)` when ``class_weight`` is set), :math:`o_i` the offsets
    given to ``fit`` (zero by default) and :math:`z = x W + b + o` the
    logits."""

# One entry, for every estimator: the stopping rule is the same core for all.
_TOL_PARAMETER = r"""tol : float, default=1e-5
        L-BFGS stops when the largest gradient entry (preconditioned) is below
        ``tol`` and the estimated gap to the optimum is below ``n tol^2 / 2`` times
        ``min(1, objective / starting objective)`` (see the user guide)."""

_CLASSIFIER_PARAMETERS = (
    r"""alpha : float, default=1e-4
        Strength of the L2 penalty :math:`\frac{\alpha}{2}\|W\|^2` on the mean
        loss; ``alpha`` here equals
        ``LogisticRegression(C=1 / (alpha * n_samples))``, and with sample
        weights :math:`s_i` and class weights :math:`c(y_i)`,
        ``LogisticRegression(C=1 / (alpha * sum_i s_i c(y_i)))``; for
        ``SoftmaxClassifier`` on two classes, which penalises both logit
        rows, ``C`` is twice that. Keep it positive on separable data, where
        the unpenalised log-loss has no minimiser.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercept.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations.
    """
    + _TOL_PARAMETER
    + r"""
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    class_weight : dict, "balanced" or None, default=None
        Weights :math:`c(k)` of the classes, as in ``LogisticRegression``:
        they multiply the sample weights, :math:`s_i \leftarrow s_i c(y_i)`.
        A dict maps class labels to weights (missing classes weigh 1);
        ``"balanced"`` gives each class the weight
        ``sum(s) / (n_classes * sum of s over the class)``, so every class
        carries the same total weight. None weighs all classes 1. For
        ``SigmoidClassifier``, binary targets only: the labels of a
        multilabel target share the sample weights, so it raises a
        ValueError."""
)

_DISTRIBUTIONAL_PARAMETERS = (
    r"""reg_variance : float, default=1e-6
        Variance regularisation :math:`\delta`, as a fraction of the
        weighted variance :math:`\sigma_y^2` of the training targets:
        :math:`\delta = \text{reg\_variance} \cdot \sigma_y^2` is
        added to every squared residual in the loss, so the best variance for
        a residual :math:`r` is :math:`r^2 + \delta`, never 0. It keeps the
        likelihood bounded where the mean fits some samples exactly (like
        ``reg_covar`` of ``sklearn.mixture.GaussianMixture``); 0 removes it.
    fit_intercept : bool, default=True
        Whether every head has an (unpenalised) intercept.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations (per start).
    """
    + _TOL_PARAMETER
    + r"""
    warm_start : bool, default=False
        Start from the previous fit's coefficients."""
)

_SAMPLING_PARAMETERS = """Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        n_samples : int, default=1
            Number of draws for each row of ``X``.
        random_state : int, RandomState instance or None, default=None
            Seed or generator of the draws.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples)
            Row ``i`` holds independent draws from the predicted
            distribution of y given ``X[i]``."""

_FRAGMENTS = {
    "tol_parameter": _TOL_PARAMETER,
    "regression_objective": _REGRESSION_OBJECTIVE,
    "positive_parameter": _POSITIVE_PARAMETER,
    "wide_squared_error": _WIDE_SQUARED_ERROR,
    "classifier_objective": _CLASSIFIER_OBJECTIVE,
    "classifier_parameters": _CLASSIFIER_PARAMETERS,
    "distributional_parameters": _DISTRIBUTIONAL_PARAMETERS,
    "sampling_parameters": _SAMPLING_PARAMETERS,
}

_PLACEHOLDER = re.compile(r"\{% (\w+) %\}")


def with_fragments(documented):
    """Fill the ``{% name %}`` placeholders of a class's or function's docstring.

    An unknown name raises a KeyError at import, so a typo cannot reach the
    rendered documentation.
    """
    documented.__doc__ = _PLACEHOLDER.sub(
        lambda match: _FRAGMENTS[match.group(1)], documented.__doc__
    )
    return documented
