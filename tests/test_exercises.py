"""exercises/ is generated from solutions/, and every solutions notebook is a sound nbgrader source.

- exercises/NN_topic.ipynb must be byte for byte what ``tools/make_exercises.py`` (nbgrader's own
  preprocessors) makes of solutions/NN_topic.ipynb: edit the solutions, then run ``make exercises``.
  The check runs ``make_exercises.py --check`` in a subprocess, so nbgrader's imports (and any
  deprecation warning they raise) stay out of this pytest process, where warnings are errors.
- Every solutions notebook has at least three exercises ("## Exercise" sections) with graded cells
  that carry points; every autograded test cell is locked and has hidden tests; every code solution
  cell marks its solution with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (a written-answer
  markdown cell may instead be a solution as a whole: nbgrader then replaces the entire cell).

The real nbgrader workflow (generate_assignment, autograde, export) is tested in test_grading.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = ROOT / "exercises"
IDS = [p.stem for p in SOLUTIONS]
EXERCISE_HEADING = re.compile(r"^##\s+Exercise\b", re.IGNORECASE | re.MULTILINE)


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test(cell) -> bool:
    return bool(meta(cell).get("grade")) and not meta(cell).get("solution")


def load(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="module")
def stale():
    """``make_exercises.py --check`` run once; its stderr names every missing or stale exercise file."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "make_exercises.py"), "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), f"make_exercises.py --check crashed:\n{done.stderr[-3000:]}"
    return done


def test_there_are_exercise_notebooks_for_the_first_three_lessons():
    names = {p.name[:3] for p in SOLUTIONS}
    assert {"01_", "02_", "03_"} <= names, f"solutions/ holds only {sorted(names)}"


def test_make_exercises_check_finds_nothing_stale(stale):
    assert stale.returncode == 0, stale.stderr


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_exercise_notebook_is_what_make_exercises_generates(stale, path):
    target = EXERCISES / path.name
    assert target.exists(), f"exercises/{path.name} is missing: run `make exercises`"
    assert f"exercises/{path.name}" not in stale.stderr, (
        f"exercises/{path.name} differs from what solutions/{path.name} gives: run `make exercises`")


def test_every_exercise_notebook_has_a_solutions_notebook(stale):
    orphans = [p.name for p in EXERCISES.glob("*.ipynb") if not (ROOT / "solutions" / p.name).exists()]
    assert not orphans, f"exercises without solutions (remove them, or run `make exercises`): {orphans}"


def exercises_with_points(nb) -> list:
    """The "## Exercise" sections of a notebook that contain at least one graded cell with points."""
    sections, current = [], None
    for cell in nb.cells:
        heading = EXERCISE_HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if heading and not meta(cell):
            current = {"title": cell.source[heading.start():].split("\n")[0], "points": 0.0}
            sections.append(current)
        elif current is not None and meta(cell).get("grade"):
            current["points"] += float(meta(cell).get("points", 0))
    return [s for s in sections if s["points"] > 0]


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_solutions_notebook_has_at_least_three_graded_exercises(path):
    found = exercises_with_points(load(path))
    assert len(found) >= 3, (
        f"{path.name}: {len(found)} '## Exercise' sections with graded, pointed cells (need 3): {found}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_graded_cells_have_points_and_unique_ids(path):
    nb = load(path)
    ids = [meta(c)["grade_id"] for c in nb.cells if meta(c)]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate grade_id in {ids}"
    for cell in nb.cells:
        m = meta(cell)
        if m:
            assert m.get("schema_version") == 3, f"{path.name}: {m.get('grade_id')} needs schema_version 3"
        if m.get("grade"):
            assert float(m.get("points", 0)) > 0, f"{path.name}: graded cell {m['grade_id']} has no points"
    autograded = [c for c in nb.cells if is_test(c)]
    assert autograded, f"{path.name} has no autograded test cell"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_test_cell_is_locked_and_has_hidden_tests(path):
    for cell in load(path).cells:
        if not is_test(cell):
            continue
        name = meta(cell)["grade_id"]
        assert cell.cell_type == "code", f"{path.name}: test cell {name} must be code"
        assert meta(cell).get("locked") is True, f"{path.name}: test cell {name} must be locked"
        source = cell.source
        assert "### BEGIN HIDDEN TESTS" in source and "### END HIDDEN TESTS" in source, (
            f"{path.name}: test cell {name} has no hidden tests")
        visible = source.split("### BEGIN HIDDEN TESTS")[0]
        assert "assert" in visible, f"{path.name}: test cell {name} has no visible assert before its hidden tests"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_code_solution_cell_marks_its_solution(path):
    for cell in load(path).cells:
        m = meta(cell)
        if not m.get("solution"):
            assert "BEGIN SOLUTION" not in cell.source, (
                f"{path.name}: a solution region outside a solution cell would leak or break nbgrader")
            continue
        if cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, (
                f"{path.name}: code solution cell {m['grade_id']} needs ### BEGIN SOLUTION / ### END SOLUTION")
        if cell.cell_type == "markdown":
            assert m.get("grade") and float(m.get("points", 0)) > 0, (
                f"{path.name}: written answer {m['grade_id']} must be graded (manually) with points")


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_student_version_shows_no_solution_and_no_hidden_test(path):
    target = EXERCISES / path.name
    if not target.exists():
        pytest.fail(f"exercises/{path.name} is missing: run `make exercises`")
    nb = load(target)
    for cell in nb.cells:
        assert "BEGIN SOLUTION" not in cell.source and "HIDDEN TESTS" not in cell.source, (
            f"exercises/{path.name} leaks a solution or hidden test: {cell.source[:80]!r}")
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"exercises/{path.name} has outputs"
    solutions = [c for c in nb.cells if meta(c).get("solution")]
    assert solutions and all("YOUR CODE HERE" in c.source or "YOUR ANSWER HERE" in c.source
                             for c in solutions), f"exercises/{path.name}: every answer cell needs a stub"


def test_hidden_tests_literal_expected_values_match_the_package():
    """tools/expected_values.py --check: the numbers written into hidden tests are what the package computes."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "expected_values.py"), "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_no_test_cell_relies_on_numpys_default_atol(path):
    """np.isclose/np.allclose default to atol=1e-8, which hides errors in small numbers (a sigma'
    taken one layer too high changes a delta of 6e-3 by 5e-9): every call states its atol."""
    for cell in load(path).cells:
        if not is_test(cell) and not meta(cell).get("solution"):
            continue
        for call in re.findall(r"np\.(?:isclose|allclose)\((?:[^()]|\([^()]*\))*\)", cell.source):
            assert "atol" in call or re.search(r",\s*0(\.0)?\s*\)$", call), (
                f"{path.name} {meta(cell).get('grade_id')}: {call[:90]} keeps the default atol=1e-8")
