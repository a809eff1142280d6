"""Regenerate the README's figure from the gallery example that draws it.

Usage, from the repository root::

    python docs/make_readme_figure.py

It runs ``examples/plot_mean_vs_median.py`` without showing anything and
saves the example's first figure as ``docs/_static/mean_vs_median.png``, the
file the README and the documentation's front page display.
"""

import contextlib
import io
import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plot_mean_vs_median.py"
OUTPUT = ROOT / "docs" / "_static" / "mean_vs_median.png"


def main():
    plt.close("all")
    with contextlib.redirect_stdout(io.StringIO()):  # the example's printed results
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    figure = plt.figure(plt.get_fignums()[0])
    # Small enough for the README (well under 200 KB), sharp enough to read.
    figure.savefig(OUTPUT, dpi=80, pil_kwargs={"optimize": True})
    plt.close("all")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
