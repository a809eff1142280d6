"""The result of :func:`skloss.inference.summary`."""

import numpy as np
from scipy.stats import norm


class InferenceResult:
    """Standard errors, confidence intervals and p-values of a fitted model.

    Returned by :func:`summary`; not meant to be built directly. The names
    follow statsmodels' results. Parameter arrays are in statsmodels'
    order: for each output in turn, the intercept (if fitted) and then the
    coefficients. Intervals and p-values use normal quantiles (``zvalues``;
    ``tvalues`` is the same array under statsmodels' name).

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        The fitted parameters, in statsmodels' order.
    cov : ndarray of shape (n_params, n_params)
        Their covariance matrix.
    output_names : list of str
        One name per output (``[""]`` for a single output).
    term_names : list of str
        ``"intercept"`` (if fitted) and the feature names.
    fit_intercept : bool
        Whether each output's parameters start with an intercept.
    coef_shape, intercept_shape : tuple
        Shapes of the estimator's ``coef_`` and ``intercept_``.
    estimator_name : str
        For the printed table.
    cov_type, cov_description : str
        The covariance type and how it was estimated.
    nobs : float
        Number of samples (sum of the sample weights).
    df_correction : bool
        Whether the small-sample correction was applied.

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        The fitted parameters.
    bse : ndarray of shape (n_params,)
        Their standard errors.
    zvalues : ndarray of shape (n_params,)
        ``params / bse``.
    pvalues : ndarray of shape (n_params,)
        Two-sided p-values of ``params == 0``, from the normal distribution.
    coef_se : float or ndarray
        Standard errors shaped like the estimator's ``coef_``.
    intercept_se : float or ndarray
        Standard errors shaped like the estimator's ``intercept_``; NaN when
        the estimator fits no intercept.
    param_names : list of str
        ``"output:term"`` for each parameter (just ``"term"`` for one
        output); terms are ``"intercept"`` and the feature names.
    cov_type : str
        ``"robust"``, ``"model"`` or ``"cluster"``.
    cov_description : str
        How the covariance was estimated.
    nobs : float
        Number of samples, the sum of the sample weights.
    df_correction : bool
        Whether the small-sample correction was applied.

    See Also
    --------
    summary : Computes it.

    Examples
    --------
    >>> import numpy as np
    >>> from skloss import LinearGaussianRegressor
    >>> from skloss.inference import summary
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = 1.0 + X @ [2.0, 0.0] + rng.normal(size=200)
    >>> result = summary(LinearGaussianRegressor().fit(X, y), X, y)
    >>> result.param_names
    ['intercept', 'x0', 'x1']
    >>> result.conf_int().shape
    (3, 2)
    >>> bool(result.pvalues[1] < 1e-10 and result.pvalues[2] > 0.05)
    True
    """

    def __init__(
        self,
        *,
        params,
        cov,
        output_names,
        term_names,
        fit_intercept,
        coef_shape,
        intercept_shape,
        estimator_name,
        cov_type,
        cov_description,
        nobs,
        df_correction,
    ):
        self.params = params
        self._cov = cov
        self.bse = np.sqrt(np.diag(cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.zvalues = params / self.bse
        self.pvalues = 2.0 * norm.sf(np.abs(self.zvalues))
        self._outputs = output_names
        self._terms = term_names
        self.param_names = [
            f"{output}:{term}" if output else term for output in output_names for term in term_names
        ]
        self.cov_type = cov_type
        self.cov_description = cov_description
        self.nobs = nobs
        self.df_correction = df_correction
        self._estimator_name = estimator_name
        per_output = self.bse.reshape(len(output_names), len(term_names))
        coefficients = per_output[:, 1:] if fit_intercept else per_output
        self.coef_se = coefficients.reshape(coef_shape)
        intercepts = per_output[:, 0] if fit_intercept else np.full(len(output_names), np.nan)
        self.intercept_se = (
            float(intercepts[0]) if intercept_shape == () else intercepts.reshape(intercept_shape)
        )

    @property
    def tvalues(self):
        """``params / bse``, statsmodels' name for ``zvalues``.

        Returns
        -------
        ndarray of shape (n_params,)

        Examples
        --------
        >>> from skloss import MedianRegressor
        >>> from skloss.inference import summary
        >>> X, y = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]], [0.2, 0.9, 2.3, 2.8, 4.1, 5.2]
        >>> result = summary(MedianRegressor().fit(X, y), X, y)
        >>> result.tvalues is result.zvalues
        True
        """
        return self.zvalues

    def cov_params(self):
        """Covariance matrix of the parameters.

        Returns
        -------
        ndarray of shape (n_params, n_params)
            In the order of ``params``; its diagonal is ``bse ** 2``.

        Examples
        --------
        >>> from skloss import LinearGaussianRegressor
        >>> from skloss.inference import summary
        >>> X, y = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [4.0, 0.0]], [0, 1, 2, 3, 5]
        >>> summary(LinearGaussianRegressor().fit(X, y), X, y).cov_params().shape
        (3, 3)
        """
        return self._cov.copy()

    def conf_int(self, alpha=0.05):
        """Confidence intervals of the parameters, from normal quantiles.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level: 0.05 gives 95% intervals.

        Returns
        -------
        ndarray of shape (n_params, 2)
            Lower and upper bounds, in the order of ``params``.

        Examples
        --------
        >>> import numpy as np
        >>> from skloss import LinearRegressor
        >>> from skloss.inference import summary
        >>> X = np.arange(10.0)[:, np.newaxis]
        >>> y = np.array([0.1, 1.2, 1.9, 3.1, 3.9, 5.2, 6.1, 6.8, 8.1, 9.0])
        >>> low, high = summary(LinearRegressor().fit(X, y), X, y).conf_int()[1]
        >>> bool(low < 1.0 < high)
        True
        """
        if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
            raise ValueError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}.")
        half_width = norm.ppf(1.0 - alpha / 2.0) * self.bse
        return np.column_stack([self.params - half_width, self.params + half_width])

    def to_frame(self, alpha=0.05):
        """The table of ``str(result)`` as a pandas DataFrame.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            Columns ``coef``, ``std_err``, ``z``, ``p_value``, ``ci_lower``
            and ``ci_upper``; one row per parameter, indexed by term (by
            output and term for several outputs).

        Examples
        --------
        >>> import pandas as pd
        >>> from skloss import LinearGaussianRegressor
        >>> from skloss.inference import summary
        >>> X = pd.DataFrame({"dose": [0.0, 1.0, 2.0, 3.0, 4.0]})
        >>> y = [0.3, 0.9, 2.1, 2.9, 4.2]
        >>> frame = summary(LinearGaussianRegressor().fit(X, y), X, y).to_frame()
        >>> frame.columns.tolist()
        ['coef', 'std_err', 'z', 'p_value', 'ci_lower', 'ci_upper']
        >>> frame.index.tolist()
        ['intercept', 'dose']
        """
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError("to_frame needs pandas: pip install pandas.") from error
        if len(self._outputs) > 1:
            index = pd.MultiIndex.from_product(
                [self._outputs, self._terms], names=["output", "term"]
            )
        else:
            index = pd.Index(self._terms, name="term")
        interval = self.conf_int(alpha)
        columns = {
            "coef": self.params,
            "std_err": self.bse,
            "z": self.zvalues,
            "p_value": self.pvalues,
            "ci_lower": interval[:, 0],
            "ci_upper": interval[:, 1],
        }
        return pd.DataFrame(columns, index=index)

    def __str__(self):
        interval = self.conf_int()
        width = max(12, *(len(term) + 2 for term in self._terms))
        header = (
            f"{'':<{width}}{'coef':>11}{'std err':>11}{'z':>9}{'P>|z|':>8}"
            f"{'[0.025':>11}{'0.975]':>11}"
        )
        lines = [
            f"{self._estimator_name}: {self.nobs:g} samples, {len(self.params)} parameters",
            f"Covariance: {self.cov_type}"
            + (", small-sample corrected" if self.df_correction else "")
            + f"; {self.cov_description}",
            "Intervals and p-values from the normal distribution.",
        ]
        n_terms = len(self._terms)
        for k, output in enumerate(self._outputs):
            lines += ["", f"output {output}", header] if output else ["", header]
            for j, term in enumerate(self._terms):
                i = k * n_terms + j
                lines.append(
                    f"{term:<{width}}{self.params[i]:>11.4g}{self.bse[i]:>11.4g}"
                    f"{self.zvalues[i]:>9.3f}{self.pvalues[i]:>8.3f}"
                    f"{interval[i, 0]:>11.4g}{interval[i, 1]:>11.4g}"
                )
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"<InferenceResult of {self._estimator_name}: {len(self.params)} parameters, "
            f"cov_type={self.cov_type!r}>"
        )
