"""Sphinx configuration of the skreg documentation.

Build it from the repository root with warnings as errors::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

The gallery runs every ``examples/plot_*.py`` script; its output goes to
``docs/auto_examples/`` and the API pages to ``docs/generated/``, both
ignored by git.
"""

import re
from datetime import date

import skreg

project = "skreg"
author = "the skreg developers"
copyright = f"{date.today().year}, {author}"
version = release = skreg.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # Ships MathJax with the site, so the maths renders without a network.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "sg_execution_times.rst"]
root_doc = "index"
default_role = "literal"

# -- API reference -------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# The class template lists the methods through autodoc; numpydoc's own
# member tables would list them a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skreg {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": []}
html_static_path = []
html_show_sourcelink = False

# -- Example gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    # Pages that list, for each class, the examples using it (minigallery).
    "doc_module": ("skreg",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skreg": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    # A failing example fails the build.
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
}


# -- Inherited scikit-learn docstrings -------------------------------------------
# The estimators inherit methods from scikit-learn (score, get_params, the
# metadata-routing setters), whose docstrings cross-reference labels of
# scikit-learn's own documentation. Without network access at build time there
# is no inventory to resolve them against, so those references become plain
# text, and only in docstrings that come from scikit-learn.
_SKLEARN_REFERENCE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _plain_sklearn_references(app, what, name, obj, options, lines):
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return
    lines[:] = [_SKLEARN_REFERENCE.sub(r"*\1*", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _plain_sklearn_references)
