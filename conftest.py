"""Notebooks that need PyTorch (the ``torch`` extra): lesson 13 and its exercise.

With torch installed (``make test`` installs it, and CI always does) they run under nbval like
every other notebook. Without it a developer's run skips them, saying why and how to install it;
under CI (the variable CI set to ``true`` or ``1``) a missing torch is a failure, as for the
PyTorch cross-checks (``tests/_torch.py``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

#: notebooks (lessons and solutions) whose first cell imports torch
TORCH_NOTEBOOKS = frozenset({"13_diagnose_pytorch.ipynb"})
INSTALL = 'pip install -e ".[torch]"'


def running_in_ci() -> bool:
    """True when the environment variable CI is ``true`` or ``1`` (any case)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def torch_missing() -> bool:
    return importlib.util.find_spec("torch") is None


def torch_notebook_gate(path: Path, missing: bool, ci: bool) -> tuple[str, str] | None:
    """None to run the notebook's cells, else ("skip" or "fail", reason)."""
    if path.name not in TORCH_NOTEBOOKS or not missing:
        return None
    reason = (f"{path.parent.name}/{path.name} needs PyTorch, which is not installed; "
              f"install the extra: {INSTALL}")
    if ci:
        return "fail", f"{reason}. CI is set, so a missing torch is a failure, not a skip"
    return "skip", reason


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before nbval starts a kernel for a torch notebook's first cell: skip it (or fail, under CI)."""
    path = Path(str(getattr(item, "path", item.fspath)))
    gate = torch_notebook_gate(path, path.name in TORCH_NOTEBOOKS and torch_missing(),
                               running_in_ci())
    if gate is not None:
        (pytest.fail if gate[0] == "fail" else pytest.skip)(gate[1])
