"""Order of the examples in the gallery: a reading order, not the alphabet."""

from pathlib import Path

# From "what does a loss learn" to "how to write one"; examples not listed
# here follow, by file name.
READING_ORDER = [
    "plot_mean_vs_median.py",
    "plot_quantile_regression.py",
    "plot_inference.py",
    "plot_saturation.py",
    "plot_digits_softmax.py",
    "plot_grid_search_losses.py",
    "plot_claims_poisson_gamma.py",
    "plot_custom_loss.py",
]


class ReadingOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in READING_ORDER:
            return (READING_ORDER.index(name), name)
        return (len(READING_ORDER), name)

    def __repr__(self):
        return f"ReadingOrder({READING_ORDER!r})"
