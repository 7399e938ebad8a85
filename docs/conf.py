"""Sphinx configuration of the juno-fit documentation.

Build (warnings are errors):

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

Two inputs are made at build time, so the site never shows a stale copy:

- ``_generated/configuration.md``: the configuration reference, from the validation rules
  (``juno_fit.config.reference_doc``, the same text as ``python -m juno_fit.config``);
- ``_static/model_chain.png``: the model-chain diagram, drawn by ``_scripts/chain_diagram.py``
  when the PNG is missing or older than the script.

Notebooks (MyST-NB text notebooks under ``tutorials/``) are executed at every build with the
``python3`` kernel, which is the interpreter running sphinx-build (see ``_kernel_python_check``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import juno_fit
from juno_fit.config.reference_doc import reference_markdown

DOCS = Path(__file__).resolve().parent

# -- inputs generated at build time --------------------------------------------------------------


def _write_if_changed(path: Path, text: str) -> None:
    """Write only on change, so that an unchanged reference does not mark pages out of date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _draw_chain_diagram() -> None:
    script = DOCS / "_scripts" / "chain_diagram.py"
    png = DOCS / "_static" / "model_chain.png"
    if png.exists() and png.stat().st_mtime >= script.stat().st_mtime:
        return
    subprocess.run([sys.executable, str(script), str(png)], check=True, stdout=subprocess.DEVNULL)


def _kernel_python_check() -> None:
    """Refuse to build when the ``python3`` kernel would not run this interpreter.

    jupyter_client starts a kernel whose command is ``python``/``python3``/``python3.X`` with
    ``sys.executable`` (the venv's python when sphinx-build runs from the venv, activated or not);
    a kernelspec with another absolute interpreter (e.g. a user-level ``python3`` kernel in
    ``~/.local/share/jupyter/kernels``) would execute the tutorials with another juno-fit.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    program = spec.argv[0]
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if program not in bare and os.path.abspath(program) != os.path.abspath(sys.executable):
        raise RuntimeError(
            f"the python3 Jupyter kernel ({spec.resource_dir}) runs {program}, not {sys.executable}; "
            "remove that kernelspec or run sphinx-build with that interpreter"
        )


_kernel_python_check()
_write_if_changed(DOCS / "_generated" / "configuration.md", reference_markdown())
_draw_chain_diagram()

# -- project -----------------------------------------------------------------------------------------

project = "juno-fit"
author = "juno-fit developers"
copyright = "juno-fit developers"
version = release = juno_fit.__version__

extensions = [
    "myst_nb",  # Markdown pages (MyST) and executed MyST-Markdown notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinxarg.ext",  # the CLI reference from juno_fit.cli.parser.build_parser
    "sphinx_copybutton",
]
# No sphinx.ext.intersphinx: it fetches inventories over the network at build time, which CI has not.

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_generated",  # included by config-reference.md, not pages of their own
    "_scripts",
    "configuration.md",  # the committed copy of the reference; config-reference.md shows the generated one
    "Thumbs.db",
    ".DS_Store",
    "**.ipynb_checkpoints",
]

# -- MyST and MyST-NB --------------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3  # slugs for #, ## and ### headings, so [text](#section) links resolve

nb_execution_mode = "force"  # every notebook executed at each build
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# -- autodoc and napoleon (numpydoc-style docstrings) ------------------------------------------------

autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
nitpicky = False

# -- HTML ----------------------------------------------------------------------------------------------

html_theme = "furo"
html_title = "juno-fit"
html_static_path = ["_static"]
html_css_files = ["tables.css"]  # a smaller font for the wide reference tables
copybutton_prompt_text = r"\$ "
copybutton_prompt_is_regexp = True
