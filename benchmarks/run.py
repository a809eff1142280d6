"""Run the benchmark cases and format the table."""

import sys
import time

import numpy as np
import scipy.sparse

from skloss._fair_timing import THREAD_SETTINGS
from skloss._showcase import format_table

from .cases import all_cases
from .measure import coef_difference, compare, n_iter

# Times and their ratio under each thread setting, both libraries under the same one.
TIME_COLUMNS = [
    f"{what} ({setting})" for setting in THREAD_SETTINGS for what in ("skloss s", "peer s", "ratio")
]
HEADER = [
    "case",
    "peer",
    *TIME_COLUMNS,
    "skloss objective",
    "peer objective",
    "obj rel diff",
    "coef rel diff",
    "iters",
    "skloss mem",
    "peer mem",
    "warned",
    "skloss gap to optimum",
]


def _nbytes(X):
    if scipy.sparse.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def _memory(peak, X):
    return f"{peak / 2**20:.1f}MB ({100 * peak / _nbytes(X):.0f}%)"


def run_case(case, settings=THREAD_SETTINGS):
    """Rows of the table for one case (one per peer), timed under ``settings``."""
    X, y = case.data()
    peers = [p for p in case.peers if p.max_samples is None or len(y) <= p.max_samples]
    skipped = [p for p in case.peers if p not in peers]
    records = compare([case.skloss] + [p.make for p in peers], X, y, case.repeats, settings)
    ours = records[0]
    our_objective = case.objective(ours.model, X, y)
    our_times = {setting: float(np.median(ours.seconds[setting])) for setting in settings}
    gap = ""
    if case.reference is not None:
        optimum = case.objective(case.reference().fit(X, y), X, y)
        gap = f"{(our_objective - optimum) / abs(optimum):+.1e}"
    rows = []
    for peer, record in zip(peers, records[1:], strict=True):
        their_objective = case.objective(record.model, X, y)
        times = []
        for setting in THREAD_SETTINGS:
            if setting not in settings:
                times += ["-"] * 3
                continue
            ours_s, theirs_s = our_times[setting], float(np.median(record.seconds[setting]))
            times += [f"{ours_s:.3f}", f"{theirs_s:.3f}", f"{ours_s / theirs_s:.2f}"]
        rows.append(
            [
                case.name,
                peer.name,
                *times,
                f"{our_objective:.10g}",
                f"{their_objective:.10g}",
                f"{(our_objective - their_objective) / abs(their_objective):+.1e}",
                f"{coef_difference(ours.model, record.model):.1e}",
                f"{n_iter(ours.model)}/{n_iter(record.model)}",
                _memory(ours.peak_bytes, X),
                _memory(record.peak_bytes, X),
                f"{'yes' if ours.warned else 'no'}/{'yes' if record.warned else 'no'}",
                gap,
            ]
        )
    for peer in skipped:
        skipped_row = [case.name, peer.name]
        for setting in THREAD_SETTINGS:
            ours_s = f"{our_times[setting]:.3f}" if setting in settings else "-"
            skipped_row += [ours_s, "skipped: > 1 min", ""]
        rows.append(skipped_row + [""] * (len(HEADER) - len(skipped_row)))
    return rows


def run(scale=1.0, only="", out=sys.stdout, repeats=3, progress=None, settings=THREAD_SETTINGS):
    """Run every case (whose name contains ``only``) and print the table; return the rows.

    Fits are timed under each thread setting in ``settings`` (the others'
    columns show "-").

    The table goes to ``out`` once, at the end; a line per finished case
    and its rows go to ``progress`` (None for silence).
    """
    rows = []
    for case in all_cases(scale=scale, repeats=repeats):
        if only and only not in case.name:
            continue
        start = time.perf_counter()
        case_rows = run_case(case, settings)
        rows += case_rows
        if progress is not None:
            # The case's rows too, so that an interrupted run keeps its results.
            print(f"done: {case.name} ({time.perf_counter() - start:.0f} s)", file=progress)
            for row in case_rows:
                print("  " + "  ".join(row).rstrip(), file=progress, flush=True)
    print(
        "Median fit time over repeats (alternating, after warm-up) under each thread\n"
        "setting, both libraries under the same one: '1 thread' limits BLAS and OpenMP\n"
        "(threadpoolctl) and OMP_NUM_THREADS to 1; 'defaults' leaves each library as it\n"
        "comes (skloss's core runs BLAS on one thread, scikit-learn uses every core).\n"
        "ratio = skloss / peer; objectives recomputed with one numpy formula; mem = peak\n"
        "extra memory of a fit (% of X's size); iters and warned (ConvergenceWarning) are\n"
        "skloss/peer; gap to optimum: against skloss at tol=1e-10 (badly scaled cases).",
        file=out,
    )
    print(format_table(HEADER, rows), file=out)
    return rows
