"""Timing, memory and convergence measurements of one fit."""

import time
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skloss._fair_timing import THREAD_SETTINGS, thread_setting


@dataclass
class FitRecord:
    model: object
    seconds: dict  # thread setting -> fit times
    peak_bytes: int
    warned: bool


def _fit(make, X, y):
    model = make()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, seconds, warned


def peak_fit_memory(make, X, y):
    """Peak bytes allocated (numpy and Python) during one fit, beyond what was held before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        make().fit(X, y)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def compare(makers, X, y, repeats, settings=THREAD_SETTINGS):
    """Fit every maker ``repeats`` times per thread setting, alternating, after a warm-up.

    Every maker is timed under each of ``settings`` in turn (both
    libraries under the same setting). Returns a FitRecord per maker: the
    last model, the fit times per setting, the peak extra memory of one
    further fit, and whether any fit warned. The untimed warm-up and memory
    fits run on one thread: on a loaded machine a peer's idle threads can
    make a fit ten times slower, and these fits only need to run.
    """
    warm = slice(0, min(len(y), 2000))
    with thread_setting("1 thread"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in makers:
            make().fit(X[warm], y[warm])
    seconds = {i: {setting: [] for setting in settings} for i in range(len(makers))}
    models, warned = {}, {i: False for i in range(len(makers))}
    for setting in settings:
        with thread_setting(setting):
            for _ in range(repeats):
                for i, make in enumerate(makers):
                    models[i], elapsed, did_warn = _fit(make, X, y)
                    seconds[i][setting].append(elapsed)
                    warned[i] |= did_warn
    records = []
    for i, make in enumerate(makers):
        with thread_setting("1 thread"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peak = peak_fit_memory(make, X, y)
        records.append(FitRecord(models[i], seconds[i], peak, warned[i]))
    return records


def n_iter(model):
    value = getattr(model, "n_iter_", None)
    if value is None:
        return "-"
    return str(int(np.max(value)))


def coef_difference(model, reference):
    a, b = np.ravel(model.coef_), np.ravel(reference.coef_)
    if a.shape != b.shape:
        return float("nan")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
