"""Dask arrays as estimator input: recognised without importing Dask, checked, predicted lazily.

``fit`` on a Dask X validates it here (the same errors as in memory) and
hands the core a :class:`~skloss._core._dask_rows.DaskX`; y and the
sample weights (one value per sample: a fraction of X) are brought to this
process, where the estimator encodes the target as usual. Prediction
methods decorated with :func:`blockwise_on_dask` map themselves over the
chunks of a Dask X and return a lazy Dask array.
"""

import functools
import inspect
import sys

import numpy as np
from sklearn.base import is_regressor
from sklearn.utils.validation import _check_sample_weight, _check_y

from ._input_checks import check_squares_representable, numeric_target


def is_dask_array(X):
    """Whether X is a Dask array; Dask is not imported to find out."""
    array_module = sys.modules.get("dask.array")
    return array_module is not None and isinstance(X, array_module.Array)


def _check_rows(X):
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D Dask array for X, got {X.ndim} dimension(s) of shape {X.shape}."
        )
    if any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "The Dask array X has chunks of unknown size (from a filter or a dataframe, "
            "for example); call X.compute_chunk_sizes() before fitting."
        )
    n_samples, n_features = X.shape
    if n_samples < 1 or n_features < 1:
        raise ValueError(
            f"Found array with {n_samples} sample(s) and {n_features} feature(s) while at "
            "least 1 of each is required."
        )
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise ValueError(f"X must hold numbers, got a Dask array of dtype {X.dtype}.")
    if not isinstance(getattr(X, "_meta", None), np.ndarray):
        raise TypeError(
            f"Only Dask arrays of dense numpy chunks are supported, got chunks of type "
            f"{type(X._meta).__name__}."
        )


def _in_memory(values, name):
    """``values``, a Dask array or array-like, as numpy."""
    if is_dask_array(values):
        if any(np.isnan(size) for size in values.chunks[0]):
            raise ValueError(
                f"The Dask array {name} has chunks of unknown size; call "
                f"{name}.compute_chunk_sizes() before fitting."
            )
        values = values.compute()
    return np.asarray(values)


def _target(y, n_samples):
    y = _in_memory(y, "y")
    if y.ndim == 0 or len(y) != n_samples:
        length = "a scalar" if y.ndim == 0 else f"{len(y)} rows"
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has {n_samples} "
            f"rows, y has {length}."
        )
    return y


def validate_dask_fit_input(estimator, X, y, sample_weight):
    """Check a Dask X with its y and weights; return ``(DaskX, y, sample_weight)``.

    y and ``sample_weight`` may be Dask arrays (of any chunking) or in memory.
    """
    from ._core._dask_rows import DaskX

    _check_rows(X)
    n_samples, n_features = X.shape
    # The target checks of LinearModelBase._validate_data_and_target.
    y = _check_y(_target(y, n_samples), multi_output=True)
    if is_regressor(estimator):
        name = type(estimator).__name__
        y = numeric_target(y, name)
        check_squares_representable(y, "y", name)
    if hasattr(estimator, "_single_target"):
        y = estimator._single_target(y)
    if sample_weight is not None and not np.isscalar(sample_weight):
        sample_weight = _in_memory(sample_weight, "sample_weight")
    sample_weight = _check_sample_weight(
        sample_weight, y, dtype=np.float64, ensure_non_negative=True
    )
    X = DaskX(X)
    # What validate_data records for an array without column names.
    estimator.n_features_in_ = n_features
    estimator.__dict__.pop("feature_names_in_", None)
    return X, y, sample_weight


def blockwise_on_dask(method):
    """Make a prediction method ``method(self, X, ...)`` map over the chunks of a Dask X.

    On a Dask X it returns a lazy Dask array (a tuple of them if the method
    returns a tuple), chunked by X's rows; otherwise it is ``method`` itself.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if not is_dask_array(X):
            return method(self, X, *args, **kwargs)
        given = inspect.signature(method).bind(self, X, *args, **kwargs).arguments
        if given.get("offset") is not None:
            raise NotImplementedError(
                f"{type(self).__name__}.{method.__name__} does not take offsets with a "
                "Dask X yet; compute X, or add the offsets to the raw output yourself."
            )
        if X.ndim != 2:
            raise ValueError(f"Expected a 2D Dask array for X, got {X.ndim} dimension(s).")
        X = X.rechunk({1: -1})
        # One row tells the shape and dtype of the output (and checks X's width).
        probe = method(self, np.zeros((1, X.shape[1]), dtype=X.dtype), *args, **kwargs)

        def map_output(index, example):
            def on_chunk(chunk):
                output = method(self, chunk, *args, **kwargs)
                return output if index is None else output[index]

            extra = example.shape[1:]
            if not extra:
                return X.map_blocks(on_chunk, drop_axis=1, dtype=example.dtype)
            return X.map_blocks(
                on_chunk,
                chunks=(X.chunks[0], *((size,) for size in extra)),
                new_axis=list(range(2, example.ndim)),
                dtype=example.dtype,
            )

        if isinstance(probe, tuple):
            return tuple(map_output(i, np.asarray(part)) for i, part in enumerate(probe))
        return map_output(None, np.asarray(probe))

    return wrapper
