"""Timing skloss beside a peer under the same thread settings.

skloss's fitting core runs BLAS on one thread while it fits; scikit-learn
leaves BLAS and OpenMP at their defaults (all cores). On a loaded machine
idle BLAS threads spin and can slow a peer several-fold, so a comparison
that only shows each library at its defaults can owe its ratio to threads
rather than to the algorithm. The showcase and the benchmark suite
therefore time both libraries in two settings:

- ``"1 thread"``: BLAS and OpenMP pools limited to one thread for both
  libraries (threadpoolctl), and ``OMP_NUM_THREADS=1``, which also caps the
  threads skloss runs over blocks of a sparse X;
- ``"defaults"``: each library as it comes.
"""

import contextlib
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

THREAD_SETTINGS = ("1 thread", "defaults")


@contextlib.contextmanager
def _environment_variable(name, value):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous


@contextlib.contextmanager
def thread_setting(name):
    """Run the body under one of :data:`THREAD_SETTINGS`."""
    if name == "defaults":
        yield
    elif name == "1 thread":
        with threadpool_limits(limits=1), _environment_variable("OMP_NUM_THREADS", "1"):
            yield
    else:
        raise ValueError(f"Unknown thread setting {name!r}; use one of {THREAD_SETTINGS}.")


def median_fit_time(make_model, X, y, repeats):
    """Fit ``make_model()`` ``repeats`` times; return the last model and the median seconds."""
    times, model = [], None
    for _ in range(repeats):
        model = make_model()
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return model, float(np.median(times))
