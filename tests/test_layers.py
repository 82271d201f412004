"""The package's layers: numeric modules compute, the views (plots, widgets) draw.

A learner reads ``vanishing.mlp`` or ``vanishing.diagnose`` for the math; nothing in them may
reach for matplotlib or ipywidgets, so they run (and are tested) without a display, and a
picture never hides inside a numeric function. Checked two ways: no import statement of a
numeric module names a plotting or widget library (even inside a function), and importing every
numeric module in a fresh interpreter loads neither.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "vanishing"
VIEWS = {"plots", "widgets", "_stamped_text"}   # _stamped_text: the explorers' text bitmaps
OPTIONAL = {"torch"}               # the PyTorch adapter imports torch, which is optional
DRAWING = ("matplotlib", "ipywidgets", "IPython")
NUMERIC = sorted(p.stem for p in PACKAGE.glob("*.py")
                 if p.stem not in VIEWS | OPTIONAL and p.stem != "__init__")


def imported_names(path: Path) -> list[str]:
    """Every module an import statement in ``path`` names, relative ones as ``.name``."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names += [base] if node.module else [f".{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("module", NUMERIC)
def test_a_numeric_module_imports_no_plotting_or_widget_library(module):
    names = imported_names(PACKAGE / f"{module}.py")
    bad = [n for n in names if n.split(".")[0] in DRAWING or n.lstrip(".").split(".")[0] in VIEWS
           and n.startswith(".")]
    assert not bad, f"vanishing/{module}.py imports {bad}: figures belong in vanishing.plots"


def test_importing_every_numeric_module_loads_neither_matplotlib_nor_ipywidgets():
    code = ("import sys\n" + "".join(f"import vanishing.{m}\n" for m in NUMERIC)
            + f"print(sorted(m for m in {DRAWING!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", f"loaded by the numeric modules: {done.stdout.strip()}"


def test_the_views_are_the_only_modules_that_draw():
    drawing = sorted(p.stem for p in PACKAGE.glob("*.py")
                     if any(n.split(".")[0] in DRAWING for n in imported_names(p)))
    assert set(drawing) <= VIEWS, f"modules that import a drawing library: {drawing}"
