"""Notebook hygiene: what nbval does not check but a learner (and git) would notice.

nbval itself (run by the same pytest command) re-executes every lesson and
solution notebook and compares the stored outputs.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXECUTED = LESSONS + SOLUTIONS
MACHINE_PATH = re.compile(r"(/work/|/root/|/home/\w|/tmp/|/usr/|site-packages|[A-Z]:\\\\)")


def ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


def load(path):
    return nbformat.read(path, as_version=4)


def tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.mark.parametrize("path", EXECUTED + sorted((ROOT / "exercises").glob("*.ipynb")),
                         ids=ids(EXECUTED + sorted((ROOT / "exercises").glob("*.ipynb"))))
def test_notebook_is_valid_small_and_free_of_machine_paths(path):
    nb = load(path)
    nbformat.validate(nb)
    assert path.stat().st_size < 1_000_000, f"{path.name} is {path.stat().st_size} bytes (limit 1 MB)"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    text = json.dumps(nb)
    match = MACHINE_PATH.search(text)
    assert match is None, f"machine path {match.group(0)!r} in {path.name}"


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_notebook_was_executed_in_order_top_to_bottom(path):
    # a cell tagged `timing` ran too, but is stored without output or count (tools/run_notebooks.py)
    code = [c for c in load(path).cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    expected = [None if "timing" in tags(c) else n for n, c in enumerate(code, 1)]
    assert counts, f"{path.name} has no code cells"
    assert counts == expected, (
        f"{path.name}: execution counts {counts} are not 1..n: re-run with `make notebooks`")


def test_the_timing_tag_hides_nothing_but_a_timing():
    # a cell stored without output escapes nbval: only a cell that measures this machine's speed may
    timing = [(p.name, c) for p in EXECUTED for c in load(p).cells if "timing" in tags(c)]
    assert len(timing) <= 1, [name for name, _ in timing]
    for name, cell in timing:
        assert "perf_counter" in cell.source and not cell.outputs, f"{name}: a `timing` cell must time something"


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_notebook_has_no_errors_stderr_or_figure_reprs(path):
    for i, cell in enumerate(load(path).cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                assert "raises-exception" in tags(cell), f"cell {i} of {path.name} raised {out.ename}"
            if out.output_type == "stream":
                assert out.name == "stdout", f"cell {i} of {path.name} wrote to stderr: {out.text[:200]}"
            plain = out.get("data", {}).get("text/plain", "")
            assert "<Figure size" not in plain, f"cell {i} of {path.name} shows a Figure repr"
        if "raises-exception" in tags(cell):
            assert any(o.output_type == "error" for o in cell.outputs), (
                f"cell {i} of {path.name} is tagged raises-exception but did not raise")


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_states_goals_and_ends_with_test_your_understanding(path):
    nb = load(path)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown and markdown[0].lstrip().startswith("# "), f"{path.name} must open with a title"
    assert any("what you will learn" in m.lower() for m in markdown[:3]), (
        f"{path.name} must state what you will learn near the top")
    if path.name.startswith("00_"):
        return
    closing = "\n".join(markdown[-2:]).lower()
    assert "test your understanding" in closing, f"{path.name} must end with 'Test your understanding'"
    number = path.name[:2]
    assert f"exercises/{number}_" in closing, f"{path.name} must point at its exercise notebook"
