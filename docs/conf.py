"""Sphinx configuration for the sk-softmax documentation.

Neither the build nor the built site needs a network connection: intersphinx is
off, the theme fetches nothing, and MathJax is bundled. MathJax comes from npm's
``mathjax`` package (with its font package, ``@mathjax/mathjax-newcm-font``),
pinned in ``docs/package.json`` and installed by ``npm install --prefix docs``;
at the end of the build ``_copy_mathjax`` copies the parts the pages use into
``_static/mathjax/`` of the site, and the pages load it from there.
"""

import os
import re
import shutil
import warnings

from docutils import nodes
from sphinx.errors import ConfigError
from sphinx.transforms import SphinxTransform

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
    "node_modules",
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
# The whole site's navigation in the left sidebar, on every page: the theme's own
# sidebar shows only the pages under the current top-level page, none on pages
# without children (the theory pages, the user guide).
html_sidebars = {"**": ["sidebar-nav-site.html"]}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False

# -- MathJax, bundled ----------------------------------------------------------------
_HERE = os.path.dirname(os.path.abspath(__file__))
_NPM = os.path.join(_HERE, "node_modules")
# What tex-mml-chtml.js loads as the pages need it: the TeX extensions, the output's
# parts, the accessibility components (the menu, speech), and the font's data and files.
_MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output", "a11y", "sre", "ui", "LICENSE")
_FONT_PARTS = ("chtml.js", "chtml", "package.json")  # its licence: Apache-2.0, in package.json
if not os.path.isfile(os.path.join(_NPM, "mathjax", "tex-mml-chtml.js")):
    raise ConfigError(
        "MathJax is not installed for the documentation: run `npm install --prefix docs` "
        "(docs/package.json pins it) before building, so that the site renders formulas "
        "without a network connection"
    )
mathjax_path = "mathjax/tex-mml-chtml.js"  # relative to the site's _static/
# MathJax's configuration (where its fonts are, what a formula wider than the column
# does, no speech worker on pages opened as files) is _static/mathjax-config.js,
# loaded before MathJax on every page.
html_js_files = [("mathjax-config.js", {"priority": 400})]


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = os.path.join(app.outdir, "_static", "mathjax")
    for source, parts, into in (
        (os.path.join(_NPM, "mathjax"), _MATHJAX_PARTS, target),
        (os.path.join(_NPM, "@mathjax", "mathjax-newcm-font"), _FONT_PARTS,
         os.path.join(target, "fonts", "mathjax-newcm-font")),
    ):  # fmt: skip
        for part in parts:
            src, dst = os.path.join(source, part), os.path.join(into, part)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                os.makedirs(into, exist_ok=True)
                shutil.copy2(src, dst)


# -- Chinese pages ---------------------------------------------------------------------
# A page whose source starts with the field ``:lang: zh`` is declared so in its <html>
# element. Its paragraphs are wrapped in the source, and HTML shows each line break as a
# space; reStructuredText also needs a space around inline markup (``的 **置信度**，``).
# Between two Chinese characters, or next to Chinese punctuation, such a space is a
# stray one: it is removed. Between a Chinese character and a Latin word or a formula it
# stays, as Chinese typesetting puts a space there.
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}\uff00-\uffef]")
_CJK_PUNCT_CHAR = re.compile(f"[{_CJK_PUNCT}]")
_QUOTE_CHAR = re.compile("[\u2018-\u201f]")  # curly quotes: Chinese ones beside Chinese
_VERBATIM = (nodes.literal_block, nodes.literal, nodes.math, nodes.math_block, nodes.raw,
             nodes.doctest_block, nodes.comment)  # fmt: skip


def _joins(before, after):
    """Whether the space between these two characters should vanish."""
    cjk = [bool(c and _CJK_CHAR.match(c)) for c in (before, after)]
    quote = [bool(c and _QUOTE_CHAR.match(c)) for c in (before, after)]
    punct = any(c and _CJK_PUNCT_CHAR.match(c) for c in (before, after))
    return punct or any(cjk) and all(c or q for c, q in zip(cjk, quote, strict=True))


def _join_cjk(value, before, after):
    """``value`` without its spaces between Chinese characters; ``before`` and
    ``after`` are the characters of the text around it."""
    padded = before + value + after

    def keep(match):
        left = padded[match.start() - 1] if match.start() else ""
        right = padded[match.end()] if match.end() < len(padded) else ""
        return "" if _joins(left, right) else match.group()

    joined = re.sub(r"\s+", keep, padded)
    return joined[len(before) : len(joined) - len(after)]


class JoinChineseLines(SphinxTransform):
    """Remove the stray spaces between Chinese characters (see above)."""

    default_priority = 800

    def apply(self):
        texts = list(self.document.findall(nodes.Text))
        for i, text in enumerate(texts):
            value = str(text)
            if any(isinstance(a, _VERBATIM) for a in _ancestors(text)):
                continue
            before = str(texts[i - 1])[-1:] if i else ""
            after = str(texts[i + 1])[:1] if i + 1 < len(texts) else ""
            before, after = before.strip(), after.strip()
            joined = _join_cjk(value, before, after)
            if joined != value:
                text.parent.replace(text, nodes.Text(joined))


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _page_language(app, pagename, templatename, context, doctree):
    lang = (context.get("meta") or {}).get("lang")
    if lang:
        context["language"] = lang


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
    app.connect("build-finished", _copy_mathjax)
    app.connect("html-page-context", _page_language)
    app.add_transform(JoinChineseLines)
