"""The main job, ``python -m skloss``, runs and reports what it claims."""

import subprocess
import sys

from skloss._showcase import compare_with_sklearn, mean_vs_median


def test_main_job_runs_from_the_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "skloss"], capture_output=True, text=True, check=True, timeout=300
    )
    assert "skloss beside scikit-learn" in result.stdout
    assert "MedianRegressor" in result.stdout and "QuantileRegressor" in result.stdout
    assert "Mean vs median" in result.stdout


def test_comparison_rows_agree_with_scikit_learn():
    header, rows = compare_with_sklearn()
    assert len(rows) == 5
    for row in rows:
        ours, theirs = float(row[4]), float(row[5])
        assert abs(ours - theirs) <= 0.02 * max(abs(theirs), 1.0), row
        agreement = float(row[-1].split()[-1])
        assert abs(agreement) < 1e-4, row


def test_mean_vs_median_recovers_the_known_intercepts():
    header, rows = mean_vs_median()
    clean = [r for r in rows if r[0] == "skewed noise"]
    for row in clean:
        fitted, truth = float(row[3]), float(row[4])
        assert abs(fitted - truth) < 0.05, row
    # Outliers move the mean fit far more than the median fit.
    with_outliers = {r[2]: float(r[3]) - float(r[4]) for r in rows if "outliers" in r[0]}
    assert abs(with_outliers["median"]) < 0.2 < abs(with_outliers["mean"])
