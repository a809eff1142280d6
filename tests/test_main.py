"""The main job, ``python -m skloss``, runs and reports what it claims."""

import subprocess
import sys

import numpy as np

from skloss._fair_timing import THREAD_SETTINGS
from skloss._showcase import compare_with_sklearn, mean_vs_median


def test_main_job_runs_from_the_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "skloss"], capture_output=True, text=True, check=True, timeout=300
    )
    assert "skloss beside scikit-learn" in result.stdout
    assert "MedianRegressor" in result.stdout and "QuantileRegressor" in result.stdout
    assert "Mean vs median" in result.stdout
    # Every column is explained below its table.
    for explained in ("ms (1 thread)", "ms (defaults)", "population:", "clean data:"):
        assert explained in result.stdout


def test_help_prints_usage_and_runs_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "skloss", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.startswith("usage: python -m skloss")
    assert "skloss beside scikit-learn" not in result.stdout


def test_comparison_headers_are_distinct_and_time_both_thread_settings():
    header, rows = compare_with_sklearn()
    assert len(set(header)) == len(header)
    for setting in THREAD_SETTINGS:
        assert f"skloss ms ({setting})" in header and f"sklearn ms ({setting})" in header
    assert len(rows) == 5
    ours_column, theirs_column = header.index("score skloss"), header.index("score sklearn")
    for row in rows:
        ours, theirs = float(row[ours_column]), float(row[theirs_column])
        assert abs(ours - theirs) <= 0.02 * max(abs(theirs), 1.0), row
        agreement = float(row[-1].split()[-1])
        assert abs(agreement) < 1e-4, row


def _simulated_statistics(contamination, sigma=1.0, n=2_000_000, seed=1):
    """Monte Carlo mean and median of y at x = 0 and x = 1 (independent of the code's formulas)."""
    rng = np.random.default_rng(seed)
    values = {}
    for x in (0.0, 1.0):
        y = 1.0 + 2.0 * x + rng.lognormal(0.0, sigma, size=n)
        y[rng.random(n) < contamination] = 100.0
        values[x] = (y.mean(), np.median(y))
    return {
        statistic: (values[0.0][k], values[1.0][k] - values[0.0][k])
        for k, statistic in enumerate(("mean", "median"))
    }


def test_mean_vs_median_fits_match_their_population_values():
    header, rows = mean_vs_median()
    assert len(set(header[:6])) == 6
    for row in rows:
        contamination = 0.05 if "outliers" in row[0] else 0.0
        simulated = _simulated_statistics(contamination)[row[2]]
        # The population columns agree with a simulation of the process.
        assert abs(float(row[4]) - simulated[0]) < 0.05, row
        assert abs(float(row[7]) - simulated[1]) < 0.1, row
        # The fit estimates its population value (n = 20,000; the mean with
        # outliers has a noise sd of about 21, so a standard error of ~0.15).
        tolerance = 0.6 if (row[2] == "mean" and contamination) else 0.1
        assert abs(float(row[3]) - float(row[4])) < tolerance, row
        assert abs(float(row[6]) - float(row[7])) < tolerance, row
    # Outliers move the mean fit far from the clean data's mean, not the median fit.
    with_outliers = {r[2]: float(r[3]) - float(r[5]) for r in rows if "outliers" in r[0]}
    assert abs(with_outliers["median"]) < 0.2 < abs(with_outliers["mean"])
