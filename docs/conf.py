"""Sphinx configuration of ldlkit's documentation site.

Build it with ``pip install -e ".[docs]"`` and ``sphinx-build -W -b html docs docs/_build/html``.
The Markdown pages of ``docs/`` are read as they are (MyST); the API reference is generated at
build time by ``docs/_ext/ldlkit_api.py`` (which also fails the build when a public name has no
page); the gallery runs ``examples/*.py`` (sphinx-gallery) and embeds their figures.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
if (ROOT / "src" / "ldlkit").is_dir():  # document this checkout, also without an install
    sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("MPLBACKEND", "Agg")

import ldlkit  # noqa: E402

project = "ldlkit"
author = "ldlkit developers"
copyright = "ldlkit developers"  # noqa: A001
release = ldlkit.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
    "ldlkit_api",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/*.ipynb", "auto_examples/*.md5"]
templates_path = ["_templates"]

# --- MyST: the existing Markdown pages, unchanged ---------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3
# The pages are also read on GitHub as they are; a page that jumps from ## to #### is not an
# error there, so MyST's heading-level warning is not one here.
suppress_warnings = ["myst.header"]

# --- autodoc / numpydoc -----------------------------------------------------------------------
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autosummary_generate = False  # docs/_ext/ldlkit_api.py writes the pages
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
add_module_names = False

#: Registered estimators that implement no paper; the API build requires a citation for every
#: other one (docs/references.bib, `estimators` field).
ldlkit_no_paper = {
    "MeanPredictor": "A baseline (the training mean); implements no paper.",
    "UniformPredictor": "A baseline (the uniform distribution); implements no paper.",
    "NormalizedLogical": "A trivial enhancer (logical labels scaled to sum to 1); no paper.",
    "UniformDistribution": "A trivial enhancer (uniform over the relevant labels); no paper.",
    "SoftmaxLogical": (
        "A trivial enhancer (the row softmax of the logical labels: ConLE's distance target "
        "alone); see :doc:`/reproduction-le`."
    ),
    "TunedUAKNN": (
        "ldlkit's own incremental variant of UAKNN's prototype matching "
        "(see :class:`~ldlkit.neighbors.UAKNN` for the paper); no paper of its own."
    ),
    "MLPLDL": (
        "The plain network baseline of the imbalanced-LDL tables "
        "(:class:`~ldlkit.neural.RDA`, :class:`~ldlkit.neural.DILDL`, "
        ":class:`~ldlkit.neural.AMEMA` papers); see :doc:`/neural`."
    ),
    "OFRFocal": "A baseline loss of the imbalanced-LDL tables; see :doc:`/neural`.",
    "OFRClassBalanced": "A baseline loss of the imbalanced-LDL tables; see :doc:`/neural`.",
    "OFRDistributionBalanced": "A baseline loss of the imbalanced-LDL tables; see :doc:`/neural`.",
    "AdaBoostLDL": (
        "The boosting scheme of the reference package (python-ldl), which cites no paper for "
        "it; see :doc:`/ensemble`."
    ),
    "PriorCorrectedLDL": (
        "ldlkit's own meta-estimator: the logit adjustment of long-tail classification carried "
        "to label distributions; see :doc:`/reproduction-ildl` for what it was measured to do."
    ),
}

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
}
# Offline builds (CI without network) must not fail on the inventories.
intersphinx_timeout = 5
if os.environ.get("LDLKIT_DOCS_OFFLINE", "1") not in ("", "0"):
    intersphinx_mapping = {}

# --- gallery ----------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("ldlkit",),
    "backreferences_dir": "api/backreferences",
    "reference_url": {"ldlkit": None},
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "matplotlib_animations": False,
    "show_memory": False,
    "download_all_examples": False,
    # ldlkit's own plotting functions return pyplot-free figures: scrape those as well.
    # (named by string so that Sphinx can pickle the configuration; docs/_ext is on sys.path)
    "image_scrapers": ("matplotlib", "ldlkit_gallery.pyplot_free_figures"),
    "reset_modules": ("matplotlib", "seaborn", "ldlkit_gallery.reset"),
}

# --- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"ldlkit {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 5,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
html_static_path: list[str] = []
html_show_sourcelink = False
