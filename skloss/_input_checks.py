"""Checks of the data that every estimator runs before fitting (from ``LinearModelBase``).

They turn input the float64 objective cannot represent into a clear error,
or, where an exact fix exists (weights), apply it.
"""

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array

# The largest float64 whose square is finite, about 1.34e154. The objective
# of a squared loss and the fit's second moments of X square the data.
LARGEST_SQUARABLE = float(np.sqrt(np.finfo(np.float64).max))

_RESCALING_HINT = {
    "X": "for example with sklearn.preprocessing.MaxAbsScaler or StandardScaler",
    "y": "for example divide y by a power of ten and multiply the predictions by it",
}


def check_squares_representable(values, name, estimator_name):
    """Raise a ValueError if an entry of ``values`` is too large to square in float64.

    Parameters
    ----------
    values : {ndarray, sparse matrix}
        Finite X or y, as validated by scikit-learn.
    name : {"X", "y"}
    estimator_name : str
        For the message.
    """
    data = values.data if sparse.issparse(values) else values
    # float32 data (at most 3.4e38) is squared in float64: always finite.
    if data.size == 0 or data.dtype != np.float64:
        return
    largest = max(abs(float(data.max())), abs(float(data.min())))
    if largest > LARGEST_SQUARABLE:
        raise ValueError(
            f"{estimator_name} cannot fit this {name}: it has values as large as "
            f"{largest:.3g} in magnitude, whose squares overflow float64 (above "
            f"{LARGEST_SQUARABLE:.3g}), and the fit needs squares of {name} (the "
            f"objective, second moments). Rescale {name}, {_RESCALING_HINT[name]}."
        )


def rescaled_sample_weight(sample_weight):
    """The weights times the power of two that brings the largest into [0.5, 1).

    Every estimator's objective divides by the sum of the weights, so this
    leaves the fit unchanged, exactly (a product with a power of two is exact
    in floating point, short of underflow below 2**-1074 times the largest
    weight), while the sum of weights such as 30 x 1e308 no longer overflows
    and tiny weights no longer underflow in products.
    """
    largest = np.max(sample_weight, initial=0.0)
    if not largest > 0:
        return sample_weight  # all zero: scikit-learn's checks report it
    _, exponent = np.frexp(largest)
    return np.ldexp(sample_weight, -exponent)


def numeric_target(y, estimator_name):
    """``y`` as numbers, or an error that says a regressor needs them.

    Every regressor checks its target here, so string labels get one clear
    message whatever the estimator (not numpy's conversion or ufunc errors).
    """
    if y.dtype.kind in "biuf":
        return y
    try:
        if y.dtype.kind != "O":
            raise TypeError
        # Numbers stored as objects (for example from pandas) are fine.
        return check_array(y.astype(np.float64), ensure_2d=False, input_name="y")
    except (TypeError, ValueError):
        example = next((value for value in y.flat if isinstance(value, (str, bytes))), y.flat[0])
        raise ValueError(
            f"{estimator_name} is a regressor and needs a numeric target y; got y of "
            f"dtype {y.dtype} with values such as {str(example)!r}. For class labels use "
            "SigmoidClassifier or SoftmaxClassifier."
        ) from None
