"""Sphinx configuration for the sk-softmax documentation.

The build needs no network: intersphinx is off, MathJax is only loaded by the
reader's browser, and the theme fetches nothing at build time.
"""

import os
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
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
]

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

# -- benchmark results in the user guide --------------------------------------------
# benchmarks/bench_fit.py writes these files; they are shown when they exist, and the
# user guide names the command that makes them otherwise, so the site builds either way.
_BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks", "results")
_BENCH_MARKER = ".. bench-fit-results"
_BENCH_BLOCK = """
.. csv-table:: The latest results, ``benchmarks/results/bench_fit.csv``
   :file: ../benchmarks/results/bench_fit.csv
   :header-rows: 1

.. image:: ../benchmarks/results/bench_fit.png
   :alt: Benchmark plot written by benchmarks/bench_fit.py

"""


def _insert_benchmark(app, docname, source):
    if docname != "user_guide":
        return
    paths = [os.path.join(_BENCH, name) for name in ("bench_fit.csv", "bench_fit.png")]
    for path in paths:  # re-read the page when the results appear or change
        app.env.note_dependency(path)
    have = all(os.path.exists(path) for path in paths)
    if have:
        lines = source[0].split("\n")
        source[0] = "\n".join(
            _BENCH_BLOCK if line.startswith(_BENCH_MARKER) else line for line in lines
        )


# -- API pages: the package's own methods, not scikit-learn's ------------------------
# Methods inherited from scikit-learn (score, get_params, set_fit_request, ...) are
# documented by scikit-learn, and their docstrings link into its own site; methods the
# package's mixins add (partial_fit, ...) are listed.
def _skip_sklearn_members(app, what, name, obj, skip, options):
    if (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return True
    return None


def setup(app):
    app.connect("source-read", _insert_benchmark)
    app.connect("autodoc-skip-member", _skip_sklearn_members)
