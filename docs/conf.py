"""Sphinx configuration of the chariots documentation.

``nox -s docs`` builds the HTML (warnings are errors) and runs every example with
``sphinx-build -b doctest`` against real brokers: see ``_ext/chariots_docs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

from chariots_docs import GLOBAL_SETUP

project = "chariots"
author = "The chariots developers"
copyright = "the chariots developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_click",
    "chariots_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
templates_path: list[str] = []

html_theme = "furo"
html_title = "chariots"

# MyST: headings get anchors, so that ``[text](page.md#heading)`` links resolve
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# autodoc: the public API, in the order of the source, with type hints in the descriptions
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autoclass_content = "both"


# doctest: every example of every page runs; the services' URLs are in each page's namespace
doctest_global_setup = GLOBAL_SETUP
doctest_test_doctest_blocks = "default"

autodoc_inherit_docstrings = False  # not SQLAlchemy's or Flask's docstrings on our classes

# nitpicky (-n): every reference must resolve, but for the names this site does not document:
# the standard library's and other libraries' (no intersphinx: the build reaches no network),
# chariots' private modules (the public names that stand for them are documented), and the
# names that docstrings mention in their own module's scope
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(datetime|collections|pathlib|os|enum|abc|signal|multiprocessing|typing|types|"
        r"threading|concurrent|logging|subprocess|socket|email|json|uuid|io|contextlib)\..*",
    ),
    (
        r"py:.*",
        r"(flask|werkzeug|sqlalchemy|celery|kombu|dramatiq|rq|redis|pluggy|fsspec|click|"
        r"pytest|_pytest|requests|alembic|sklearn|numpy|pandas|_types|_schema|_orm)(\..*)?",
    ),
    (r"py:.*", r"chariots_\w+(\.\w+)*\._\w+(\.\w+)*"),
    (r"py:class", r"chariots_\w+(\.\w+)*\.T"),  # a module's type variable
    (
        r"py:.*",
        r"(Path|TypeDecorator|Dialect|ExternalType|UserDefinedType|BadRequest|Transport|"
        r"TokenSetting|NodeInput|WorkerProcessTarget|PluginRegistry\..*|Occupation\..*|"
        r"MessageAction\..*|OPTIONS|POOL_OPTIONS|WORKER_OPTIONS|PIPELINE_INPUT|PIPELINE_OUTPUT|"
        r"to_json|from_json|_init_model|early_stop|pipeline_callbacks|pipelines_server|"
        r"pipelines_client|VersionError|PipelinesServer|OpStoreServer|RQWorkerPool|DramatiqWorkerPool|T|Celery|URL|Broker|Redis|"
        r"prepare_fork|chariots_(rq|celery)\.task\..*)",
    ),
]
