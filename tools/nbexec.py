"""Run the code cells of an nbgrader source notebook in this process, without a kernel.

The solutions notebooks are plain Python (no magics), so their cells can be executed with
``exec`` in one namespace, from the notebook's own folder, the way a kernel would run them.
That is about ten times faster than starting a kernel, which is what the authoring tools need:

- ``tools/expected_values.py`` runs the reference solution and writes the values the hidden
  tests compare with;
- ``tools/run_mutants.py`` replaces one answer with a classic wrong answer and runs the visible
  tests that follow it.

Helpers here read nbgrader's cell metadata and split a test cell into its visible and hidden parts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")          # figures are drawn, never shown
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
NEXT_SOLUTION = "### NEXT SOLUTION"


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell):
    return meta(cell).get("grade_id")


def is_test(cell) -> bool:
    """An autograded test cell: graded code that is not a solution."""
    return cell.cell_type == "code" and bool(meta(cell).get("grade")) and not meta(cell).get("solution")


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and bool(meta(cell).get("solution"))


def visible_part(source: str) -> str:
    """A test cell as the student sees it: the hidden block removed (the lines after it stay)."""
    if HIDDEN_BEGIN not in source:
        return source
    head, rest = source.split(HIDDEN_BEGIN, 1)
    tail = rest.split(HIDDEN_END, 1)[1] if HIDDEN_END in rest else ""
    return head + tail.lstrip("\n")


def with_answer(source: str, answer: str) -> str:
    """A solution cell with its solution region(s) replaced by ``answer``, as a student would write it.

    A cell may hold several regions (two functions, each with its own markers): the parts of
    ``answer`` separated by a line ``### NEXT SOLUTION`` replace them in order, and regions without
    a part keep their code. Each part is indented like its ``### BEGIN SOLUTION`` line.
    """
    parts = [part.strip("\n") for part in answer.split(NEXT_SOLUTION)]
    lines, out, region = source.split("\n"), [], 0
    inside = False
    for line in lines:
        if SOLUTION_BEGIN in line:
            inside = True
            if region < len(parts):
                indent = line[: len(line) - len(line.lstrip())]
                out += [indent + text if text.strip() else text for text in parts[region].split("\n")]
            else:
                out.append(line)
            continue
        if SOLUTION_END in line:
            inside = False
            if region >= len(parts):
                out.append(line)
            region += 1
            continue
        if not inside or region >= len(parts):
            out.append(line)
    return "\n".join(out)


def new_namespace() -> dict:
    """The globals of a fresh "kernel": IPython's ``display`` becomes a no-op."""
    return {"__name__": "__main__", "display": lambda *args, **kwargs: None}


@contextlib.contextmanager
def in_folder(path: Path):
    """Run from the notebook's folder, as Jupyter does; quiet, and restore afterwards."""
    old = Path.cwd()
    os.chdir(path)
    try:
        with warnings.catch_warnings(), open(os.devnull, "w") as sink, \
                contextlib.redirect_stdout(sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        os.chdir(old)
        if "matplotlib.pyplot" in sys.modules:   # close what the cells drew
            sys.modules["matplotlib.pyplot"].close("all")


def run(source: str, namespace: dict, name: str = "<cell>") -> None:
    exec(compile(source, name, "exec"), namespace)
