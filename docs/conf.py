"""Sphinx configuration of the skloss documentation.

Build it as CI does, with every example executed and every warning an error::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build never touches the network: no intersphinx, no remote theme assets,
and MathJax is copied into the site rather than loaded from a CDN.
The API reference page (``api.rst``) is written by this file from
``skloss.__all__``, ``skloss.losses.__all__`` and ``skloss.inference.__all__``
on every build, so a new
public name is documented without editing anything here.
"""

import inspect
import re
import sys
from pathlib import Path

import numpydoc.docscrape
import numpydoc.validate
from sklearn.base import BaseEstimator
from sphinx.util import logging
from threadpoolctl import threadpool_limits

import skloss
import skloss.inference
import skloss.losses

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

# The examples fit small problems, for which threaded BLAS only costs: on a
# busy two-core machine, SciPy's L-BFGS-B runs many times slower with two
# BLAS threads fighting for the cores than with one. One thread keeps the
# build's time predictable. (Kept in a name: the limit lasts as long as the
# object is not told to restore the original one.)
_blas_limit = threadpool_limits(limits=1, user_api="blas")

project = "skloss"
author = "skloss developers"
copyright = "skloss developers"
release = version = skloss.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # A copy of MathJax in the built site, so its math renders offline too.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "sphinxext", "**.ipynb_checkpoints", "auto_examples/*.md5"]
html_static_path = ["_static"]
# A wider content column and full names in the page contents.
html_css_files = ["skloss.css"]

# -- Cross-references -------------------------------------------------------
# Every reference must resolve; a broken one is a warning, and CI builds
# with -W. References into libraries whose docs we do not link (there is no
# intersphinx, to keep the build offline) are exempt.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(sklearn|scipy|numpy|matplotlib|pandas)(\..*)?"),
    (r"py:.*", r"(ndarray|array-like|array_like|sparse matrix|object|callable)"),
    (r"py:.*", r"(int|float|bool|str|dict|list|tuple|None|optional|default.*)"),
]

# -- API pages: autosummary, autodoc and numpydoc --------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True


# -- The documentation bar ---------------------------------------------------
# Every public class, function and method documented here has a docstring
# with a summary, documents every parameter it takes and no other, and shows
# an example. A gap is a build warning, so CI (-W) fails on it.
#
# numpydoc's own validation reads a method's *own* docstring, so it flags a
# method that overrides a documented one without repeating its docstring
# (``SquaredError.loss`` inherits ``Loss.loss``'s). This check validates the
# docstring that is actually rendered, inherited or not.
DOCSTRING_CHECKS = {"GL08", "SS01", "PR01", "PR02", "EX01"}
logger = logging.getLogger("skloss.docs")


def _from_scikit_learn(obj):
    return (getattr(obj, "__module__", None) or "").startswith("sklearn")


class _RenderedDocValidator(numpydoc.validate.Validator):
    """numpydoc's validator, run on the docstring autodoc renders."""

    def __init__(self, obj_name, obj, rendered):
        super().__init__(numpydoc.docscrape.get_doc_object(obj, doc=rendered))
        self.raw_doc = self.clean_doc = rendered


# Docstrings inherited from scikit-learn (``score``, ``get_params``, ...) link
# into scikit-learn's own documentation, which this offline build cannot
# reach: keep the text of those links, drop the links.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _unlink_scikit_learn(lines):
    lines[:] = [_SKLEARN_ROLE.sub(lambda m: m.group(1) or m.group(2), line) for line in lines]


def _check_docstring(app, what, name, obj, options, lines):
    if _from_scikit_learn(obj):
        _unlink_scikit_learn(lines)
        return
    if what not in ("class", "function", "method"):
        return
    if name.endswith(".__init__"):
        return
    report = numpydoc.validate.validate(
        name, validator_cls=_RenderedDocValidator, obj=obj, rendered="\n".join(lines)
    )
    errors = [
        f"{code}: {message}" for code, message in report["errors"] if code in DOCSTRING_CHECKS
    ]
    if errors:
        logger.warning(
            "docstring of %s (%s) falls short of the documentation bar:\n  %s",
            name,
            _where(obj),
            "\n  ".join(errors),
        )


def _where(obj):
    """``path:line`` of an object's definition, relative to the repository."""
    try:
        path = Path(inspect.getsourcefile(obj)).resolve()
        line = inspect.getsourcelines(obj)[1]
    except (TypeError, OSError):
        return "source unknown"
    try:
        path = path.relative_to(DOCS.parent)
    except ValueError:
        pass
    return f"{path}:{line}"


# scikit-learn's metadata-routing methods (set_fit_request, ...) are
# scikit-learn plumbing, documented there; their docstrings link into
# scikit-learn's user guide, which is not part of this site.
_ROUTING_METHODS = re.compile(r"^(set_\w+_request|get_metadata_routing)$")


def _skip_member(app, what, name, obj, skip, options):
    if what != "class":
        return None
    if _ROUTING_METHODS.match(name):
        return True
    if (
        skip
        and not name.startswith("_")
        and callable(obj)
        and not _from_scikit_learn(obj)
        and not inspect.getdoc(obj)
    ):
        logger.warning("public method %s has no docstring, so it is left out of the docs", name)
    return None


# -- The API reference page, generated from __all__ ------------------------
_LOSS_GROUPS = {
    "continuous": "Regression losses",
    "binary": "Classification losses: sigmoid output",
    "categorical": "Classification losses: softmax output",
    "distribution": "Distributional losses: the raw output holds a whole distribution",
}


def _public(module):
    """(name, object) for each public class or function of ``module.__all__``."""
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            yield name, obj


def _estimator_groups():
    groups = {"Estimators": [], "Other classes": [], "Functions": []}
    for name, obj in _public(skloss):
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            groups["Estimators"].append(name)
        elif inspect.isclass(obj):
            groups["Other classes"].append(name)
        else:
            groups["Functions"].append(name)
    return groups


def _loss_groups():
    Loss, OutputUnit = skloss.losses.Loss, skloss.losses.OutputUnit
    groups = {"Base classes": []}
    groups.update({title: [] for title in _LOSS_GROUPS.values()})
    groups.update({"Other losses": [], "Output units": [], "Functions": [], "Other classes": []})
    for name, obj in _public(skloss.losses):
        if obj is Loss or obj is OutputUnit:
            groups["Base classes"].append(name)
        elif inspect.isclass(obj) and issubclass(obj, Loss):
            kind = obj.output_unit.target_kind
            groups[_LOSS_GROUPS.get(kind, "Other losses")].append(name)
        elif inspect.isclass(obj) and issubclass(obj, OutputUnit):
            groups["Output units"].append(name)
        elif inspect.isclass(obj):
            groups["Other classes"].append(name)
        else:
            groups["Functions"].append(name)
    return groups


def _inference_groups():
    groups = {"Functions": [], "Classes": []}
    for name, obj in _public(skloss.inference):
        groups["Classes" if inspect.isclass(obj) else "Functions"].append(name)
    return groups


def _section(module_name, groups, underline):
    lines = [f".. currentmodule:: {module_name}", ""]
    for title, names in groups.items():
        if not names:
            continue
        lines += [title, underline * len(title), ""]
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in names] + [""]
    return lines


def write_api_page():
    """Write ``api.rst``: every public name of skloss, skloss.losses and skloss.inference."""
    lines = [
        ".. This page is generated by conf.py from skloss.__all__,",
        "   skloss.losses.__all__ and skloss.inference.__all__; edit conf.py,",
        "   not this file.",
        "",
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        "Everything listed here is public: import it from :mod:`skloss`,",
        ":mod:`skloss.losses` or :mod:`skloss.inference`, never from a private",
        "module. The estimators'",
        "``get_params``, ``set_params`` and ``score`` come from scikit-learn's",
        "``BaseEstimator`` and its mixins; their metadata-routing methods",
        "(``set_fit_request`` and the like) are documented by scikit-learn.",
        "",
        ":mod:`skloss`: estimators",
        "--------------------------",
        "",
        ".. automodule:: skloss",
        "   :no-members:",
        "   :no-inherited-members:",
        "",
    ]
    lines += _section("skloss", _estimator_groups(), "~")
    lines += [
        ":mod:`skloss.losses`: losses and output units",
        "---------------------------------------------",
        "",
        ".. automodule:: skloss.losses",
        "   :no-members:",
        "   :no-inherited-members:",
        "",
    ]
    lines += _section("skloss.losses", _loss_groups(), "~")
    lines += [
        ":mod:`skloss.inference`: standard errors and confidence intervals",
        "-----------------------------------------------------------------",
        "",
        ".. automodule:: skloss.inference",
        "   :no-members:",
        "   :no-inherited-members:",
        "",
    ]
    lines += _section("skloss.inference", _inference_groups(), "~")
    text = "\n".join(lines)
    path = DOCS / "api.rst"
    # Rewrite only on change, so an unchanged API does not rebuild every page.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_api_page()

# -- Example gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Every example is executed on every build; a failing one fails the build.
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.ReadingOrder",
    "doc_module": ("skloss",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skloss": None},
    "image_scrapers": ("matplotlib",),
    # Matplotlib's defaults, then larger type (docs/sphinxext/legible_figures.py).
    "reset_modules": ("matplotlib", "legible_figures.legible"),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": False,
    "download_all_examples": False,
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skloss {release}"
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# Pages without sub-pages need no section navigation on the left.
html_sidebars = {page: [] for page in ("index", "getting_started", "user_guide", "changelog")}
# Gallery pages give their width to code and printed output; the examples are
# listed on the gallery's index and in the top bar.
html_sidebars["auto_examples/*"] = []
html_show_sourcelink = True
html_context = {"default_mode": "light"}

myst_heading_anchors = 2


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    # Before numpydoc (priority 500) turns the docstring into reST.
    app.connect("autodoc-process-docstring", _check_docstring, priority=400)
