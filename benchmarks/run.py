"""Run the benchmark cases and format the table."""

import sys

import numpy as np
import scipy.sparse

from skloss._showcase import format_table

from .cases import all_cases
from .measure import coef_difference, compare, n_iter

HEADER = [
    "case",
    "peer",
    "skloss s",
    "peer s",
    "ratio",
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


def run_case(case):
    """Rows of the table for one case (one per peer)."""
    X, y = case.data()
    peers = [p for p in case.peers if p.max_samples is None or len(y) <= p.max_samples]
    skipped = [p for p in case.peers if p not in peers]
    records = compare([case.skloss] + [p.make for p in peers], X, y, case.repeats)
    ours = records[0]
    our_objective = case.objective(ours.model, X, y)
    our_time = float(np.median(ours.seconds))
    gap = ""
    if case.reference is not None:
        optimum = case.objective(case.reference().fit(X, y), X, y)
        gap = f"{(our_objective - optimum) / abs(optimum):+.1e}"
    rows = []
    for peer, record in zip(peers, records[1:], strict=True):
        their_objective = case.objective(record.model, X, y)
        their_time = float(np.median(record.seconds))
        rows.append(
            [
                case.name,
                peer.name,
                f"{our_time:.3f}",
                f"{their_time:.3f}",
                f"{our_time / their_time:.2f}",
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
        rows.append(
            [case.name, peer.name, f"{our_time:.3f}", "skipped: > 1 min"] + [""] * (len(HEADER) - 4)
        )
    return rows


def run(scale=1.0, only="", out=sys.stdout, repeats=3):
    """Run every case (whose name contains ``only``) and print the table; return the rows."""
    rows = []
    for case in all_cases(scale=scale, repeats=repeats):
        if only and only not in case.name:
            continue
        case_rows = run_case(case)
        rows += case_rows
        for row in case_rows:  # progress, before the aligned table at the end
            print("  ".join(row).rstrip(), file=out, flush=True)
    print(file=out)
    print(
        "Median fit time over repeats (alternating, after warm-up); ratio = skloss / peer;\n"
        "objectives recomputed with one numpy formula; mem = peak extra memory of a fit\n"
        "(% of X's size); iters and warned (ConvergenceWarning) are skloss/peer;\n"
        "gap to optimum: against skloss at tol=1e-10 (badly scaled cases).",
        file=out,
    )
    print(format_table(HEADER, rows), file=out)
    return rows
