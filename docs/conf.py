"""Sphinx configuration for the sk-softmax documentation.

The build needs no network: intersphinx is off, MathJax is only loaded by the
reader's browser, and the theme fetches nothing at build time.
"""

import os
import sys
import warnings

import sk_softmax

project = "sk-softmax"
author = "sk-softmax developers"
copyright = "2026, sk-softmax developers"
release = sk_softmax.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# -- autodoc / autosummary / numpydoc -------------------------------------------
autosummary_generate = True
numpydoc_show_class_members = False  # the autosummary templates list members
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]

# -- sphinx-gallery ---------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "matplotlib_animations": False,
}
# Examples run headless.
os.environ.setdefault("MPLBACKEND", "agg")
# Matplotlib's font cache message is not a documentation problem.
warnings.filterwarnings("ignore", message="Matplotlib is building the font cache")

# -- HTML -------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sk-softmax {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False

sys.path.insert(0, os.path.abspath(".."))
