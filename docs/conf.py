"""Sphinx configuration of the chatkeys documentation (MyST Markdown)."""

from __future__ import annotations

project = "chatkeys"
author = "chatkeys authors"
copyright = "2026, chatkeys authors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "examples"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}

html_theme = "alabaster"
html_title = "chatkeys"
suppress_warnings = ["myst.xref_missing"]
