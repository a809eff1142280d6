"""Matplotlib settings for the gallery: text that stays legible in the page.

A gallery figure is shown scaled to the content column (about 1,000 px
wide at a 1280 px window), so a 12-14 inch multi-panel figure shrinks to
70-80% and matplotlib's default 10 pt text to about 7 pt. Larger type
keeps axis labels, ticks and legends readable.
"""

import matplotlib

LEGIBLE_TEXT = {
    "font.size": 14,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "figure.titlesize": 16,
}


class LegibleFigures:
    """sphinx-gallery ``reset_modules`` entry: run before every example."""

    def __call__(self, gallery_conf, fname):
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(LEGIBLE_TEXT)

    def __repr__(self):
        # sphinx-gallery caches on the configuration's repr.
        return f"LegibleFigures({LEGIBLE_TEXT!r})"


# The instance conf.py names (sphinx-gallery wants a callable, not a class).
legible = LegibleFigures()
