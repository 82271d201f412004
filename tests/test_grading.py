"""The real nbgrader workflow on the committed solutions/ notebooks.

An instructor copies solutions/ into a course's source/ folder and runs nbgrader as usual (README,
"Teaching with this course"). This module does exactly that in temporary course directories, with
nbgrader's own command line run by this interpreter in subprocesses (so nbgrader's deprecation
warnings stay out of pytest, where warnings are errors, and nothing touches the home directory,
/srv or the user's Jupyter config):

1. ``nbgrader generate_assignment``: the release version must equal exercises/ cell for cell.
2. Submissions in ``submitted/<student>/<assignment>/``: for every solutions notebook the full
   solution and the untouched release; for lesson 01 also a robustness matrix (partly right,
   syntax error, an exception, an infinite loop, edited tests, deleted tests).
3. ``nbgrader autograde --create`` and ``nbgrader export``: per-cell scores from the gradebook and
   the rows of grades.csv are checked, and no submitted file may change.

Lesson 01's matrix and the other notebooks live in separate course directories (each with its own
gradebook) that are graded in parallel, which keeps the module at about half a minute on two cores.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import TORCH_NOTEBOOKS, torch_missing

ROOT = Path(__file__).resolve().parent.parent
# without torch (a developer who left out the extra) the PyTorch exercise cannot run: it is left
# out here, and tests/test_torch_watch.py says why (under CI a missing torch fails there)
SOLUTIONS = [p for p in sorted((ROOT / "solutions").glob("*.ipynb"))
             if not (p.name in TORCH_NOTEBOOKS and torch_missing())]
EXERCISES = ROOT / "exercises"
MATRIX = "01_chain_rule_decay"          # the assignment that gets every kind of bad submission
LOOPING_STUDENT = "infinite_loop"      # graded on its own with a short per-cell timeout
LOOP_TIMEOUT = 4                        # seconds per cell for that student: bounds the endless loop
CELL_TIMEOUT = 120                      # seconds per cell for everyone else (some exercises train a net)
COURSES = max(2, min(4, os.cpu_count() or 2))   # course directories graded in parallel
# README, "Grading safely": feedback must not show the hidden tests (nbgrader's default keeps them)
FEEDBACK_PREPROCESSORS = ["nbgrader.preprocessors.GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
                          "nbgrader.preprocessors.ClearHiddenTests"]

# Run alone, after the parallel run (see the Makefile): many kernel starts at once on two
# cores can make a kernel miss its start-up deadline.
pytestmark = pytest.mark.serial

# Gradebook rows as JSON, read with nbgrader's own API (in the background process, like the CLI).
DUMP_GRADES = r"""
import json
from nbgrader.api import Gradebook
rows = []
with Gradebook(DB_URL, COURSE_ID) as gb:
    for assignment in gb.assignments:
        for submission in gb.assignment_submissions(assignment.name):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    rows.append(dict(assignment=assignment.name, student=submission.student.id,
                                     cell=grade.name, cell_type=grade.cell_type,
                                     auto=grade.auto_score, max=grade.max_score,
                                     needs_manual=grade.needs_manual_grade))
with open("grades.json", "w") as fh:
    json.dump(rows, fh)
"""


# --- reading nbgrader metadata --------------------------------------------------------------

def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_autograded_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def points(path: Path) -> dict:
    """grade_id -> points of every graded cell of a solutions notebook."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in nbformat.read(path, as_version=4).cells if nbgrader_meta(c).get("grade")}


def autograded_ids(path: Path) -> list:
    return [nbgrader_meta(c)["grade_id"] for c in nbformat.read(path, as_version=4).cells
            if is_autograded_test(c)]


def solution_text(cell) -> str:
    """A solution cell's source as a student would hand it in: the delimiter lines removed."""
    return "\n".join(line for line in cell.source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


# --- building submissions ----------------------------------------------------------------------

def submission(release, solution, answered=None, replace=None, drop_tests=False, edit_tests=False):
    """A student's notebook made from the release version.

    answered: grade_ids of solution cells filled with the instructor's answer (None: all of them);
    replace: grade_id -> source for solution cells answered differently (wrong, broken, looping);
    drop_tests: delete every autograded test cell; edit_tests: replace their code by `pass`
    and claim 100 points for each.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    answers = {nbgrader_meta(c)["grade_id"]: solution_text(c) for c in solution.cells if is_solution(c)}
    replace = replace or {}
    cells = []
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if is_solution(cell) and grade_id in replace:
            cell.source = replace[grade_id]
        elif is_solution(cell) and (answered is None or grade_id in answered):
            cell.source = answers[grade_id]
        if is_autograded_test(cell):
            if drop_tests:
                continue
            if edit_tests:
                cell.source = "pass  # the tests are not needed"
                cell.metadata["nbgrader"]["points"] = 100
                cell.metadata["nbgrader"]["locked"] = False
                cell.metadata.pop("editable", None)
        cells.append(cell)
    nb.cells = cells
    return nb


CONSTANT_WEIGHT_DELTAS = '''
def chain_deltas(weights, z):
    w = weights[0]                    # bug: assumes every layer has the same weight
    fprime = sigmoid_prime(np.asarray(z, dtype=np.float64))
    delta = np.empty(len(fprime))
    delta[-1] = fprime[-1]
    for l in range(len(delta) - 2, -1, -1):
        delta[l] = delta[l + 1] * w * fprime[l]
    return delta
'''
SYNTAX_ERROR_DELTAS = '''
def chain_deltas(weights, z)
    return sigmoid_prime(z)
'''
RAISING_FORWARD = '''
def forward_chain(weights, x=1.0):
    z = [w * x for w in weights]
    return z[len(weights)], z         # IndexError: one past the end
'''
ENDLESS_DEPTH = '''
import time
shrink_per_layer = None
while shrink_per_layer is None:       # bug: waits for a value that the loop never sets
    time.sleep(0.01)
'''


def matrix(release, solution):
    """The robustness matrix for lesson 01: student -> (notebook, test cells expected to fail).

    None as the set of failures means "every autograded test cell scores 0".
    """
    all_but = set(autograded_ids(ROOT / "solutions" / f"{MATRIX}.ipynb"))
    return {
        "full": (submission(release, solution), set()),
        "release": (release, None),
        "partial": (submission(release, solution, answered={"ex1_forward", "ex2_depth"},
                               replace={"ex1_deltas": CONSTANT_WEIGHT_DELTAS}),
                    all_but - {"ex1_forward_tests", "ex2_depth_tests"}),
        "syntax_error": (submission(release, solution, replace={"ex1_deltas": SYNTAX_ERROR_DELTAS}),
                         {"ex1_deltas_tests"}),
        "raises": (submission(release, solution, replace={"ex1_forward": RAISING_FORWARD}),
                   {"ex1_forward_tests"}),
        LOOPING_STUDENT: (submission(release, solution, replace={"ex2_depth": ENDLESS_DEPTH}),
                          {"ex2_depth_tests"}),
        "edited_tests": (submission(release, solution, answered=set(), edit_tests=True), None),
        "deleted_tests": (submission(release, solution, answered={"ex1_forward", "ex1_deltas"},
                                     drop_tests=True),
                          all_but - {"ex1_forward_tests", "ex1_deltas_tests"}),
    }


# The three cheats an outside review graded to full or partial marks: each must score 0 or be flagged
# by tools/scan_submission.py (the answers of all three are wrong or missing).
CHEAT_TRANSFORMER = '''
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any("assert" in line for line in lines) else lines)
'''
CHEAT_STEAL = '''
import json
import pathlib

def _steal(grade_id):
    for folder in pathlib.Path.cwd().resolve().parents:
        for path in folder.glob("source/*/*.ipynb"):
            for cell in json.loads(path.read_text())["cells"]:
                if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
                    return "".join(cell["source"])
    return ""

exec(_steal("ex1_forward"))
'''
CHEAT_PATCH = '''
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True

def forward_chain(weights, x=1.0):
    return np.full(len(weights), 0.1), np.full(len(weights), 0.5)
'''
CHEATS = {
    "cheat_transformer": {"ex1_forward": CHEAT_TRANSFORMER},
    "cheat_source": {"ex1_forward": CHEAT_STEAL,
                     **{gid: f"exec(_steal({gid!r}))"
                        for gid in ("ex1_deltas", "ex2_depth", "ex3_ratios", "ex4_numbers", "ex4_underflow")}},
    "cheat_patch": {"ex1_forward": CHEAT_PATCH,
                    "ex1_deltas": "def chain_deltas(weights, z):\n    return np.full(len(z), 0.5)",
                    "ex2_depth": "delta1_L4, delta1_L5, delta1_L6 = 3e-6, 2e-7, 1e-8\nshrink_per_layer = 20.0",
                    "ex3_ratios": "delta_ratio, grad_w_ratio, blog_delta1 = 2.0, 3.0, 1.5e-5",
                    "ex4_numbers": "quarter_pow_19 = 1e-12\nlog10_delta1_L20, log10_delta1_L1000 = -30.0, -1600.0"
                                   "\ndelta1_L1000_float64 = 1e-300",
                    "ex4_underflow": "def layers_until_underflow(factor, dtype=np.float64):\n"
                                     "    if not 0 < factor < 1:\n        raise ValueError('factor')\n"
                                     "    return {0.5: 1023, 0.25: 64}.get(factor, 7)"},
}
CHEAT_FLAGS = {"cheat_transformer": "input_transformers_cleanup", "cheat_source": "uses exec",
               "cheat_patch": "assigns to np.allclose"}

MATRIX_STUDENTS = ("full", "release", "partial", "syntax_error", "raises", LOOPING_STUDENT,
                   "edited_tests", "deleted_tests")


# --- running nbgrader --------------------------------------------------------------------------

class Course:
    """A course directory in tmp with its own config, Jupyter dirs and gradebook."""

    def __init__(self, base: Path, name: str):
        self.root = base / name
        self.course_id = f"vanishing-{name}"
        self.root.mkdir(parents=True)
        home = base / f"{name}-home"
        self.env = dict(os.environ)
        for key, sub in (("HOME", "home"), ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                         ("MPLCONFIGDIR", "matplotlib")):
            (home / sub).mkdir(parents=True)
            self.env[key] = str(home / sub)
        self.env.pop("JUPYTER_PATH", None)
        # nbgrader's gradebook runs the `alembic` command: use the one next to this interpreter
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env.get("PATH", "")])
        self.env["MPLBACKEND"] = "Agg"
        (self.root / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {self.course_id!r}\n"
            f"c.CourseDirectory.root = {str(self.root)!r}\n"
            f"c.Exchange.root = {str(base / (name + '-exchange'))!r}\n"
            f"c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}\n"
            "c.OverwriteCells.add_missing_cells = True\n"
            f"c.GenerateFeedback.preprocessors = {FEEDBACK_PREPROCESSORS!r}\n", encoding="utf-8")
        self.db_url = f"sqlite:///{self.root / 'gradebook.db'}"

    def add_source(self, path: Path) -> None:
        folder = self.root / "source" / path.stem
        folder.mkdir(parents=True)
        shutil.copy(path, folder / path.name)

    def release(self, assignment: str):
        return nbformat.read(self.root / "release" / assignment / f"{assignment}.ipynb", as_version=4)

    def submit(self, student: str, assignment: str, nb) -> None:
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")

    def start(self, *commands, dump=False) -> subprocess.Popen:
        """Run nbgrader commands one after another in the background (`&&` semantics);
        with dump=True, then write the gradebook's per-cell grades to grades.json."""
        script = ("import subprocess, sys\n"
                  f"for args in {[list(c) for c in commands]!r}:\n"
                  "    done = subprocess.run([sys.executable, '-m', 'nbgrader', *args])\n"
                  "    if done.returncode:\n"
                  "        print('nbgrader', *args, 'exited with', done.returncode, flush=True)\n"
                  "        sys.exit(1)\n")
        if dump:
            script += f"DB_URL, COURSE_ID = {self.db_url!r}, {self.course_id!r}\n" + DUMP_GRADES
        return subprocess.Popen([sys.executable, "-c", script], cwd=self.root, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def grades(self) -> list:
        return json.loads((self.root / "grades.json").read_text(encoding="utf-8"))

    def csv_rows(self) -> list:
        with open(self.root / "grades.csv", newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))


def finish(*processes) -> None:
    """Wait for every background run (even after a failure), then report the first failure."""
    outputs = []
    for process in processes:
        try:
            out, _ = process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        outputs.append((process.returncode, out))
    for returncode, out in outputs:
        assert returncode == 0, f"nbgrader failed (exit status {returncode}):\n{out[-5000:]}"


def digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every course generated, submitted, autograded and exported; what the tests inspect."""
    start = time.perf_counter()
    base = tmp_path_factory.mktemp("nbgrader")
    courses = [Course(base, f"course{i}") for i in range(COURSES)]
    host = {MATRIX: courses[0]}                      # assignment -> its course
    load = [len(MATRIX_STUDENTS) + LOOP_TIMEOUT] + [0] * (COURSES - 1)   # rough seconds of grading
    courses[0].add_source(ROOT / "solutions" / f"{MATRIX}.ipynb")
    others = [p for p in SOLUTIONS if p.stem != MATRIX]
    for path in others:                              # balance: two submissions each
        lightest = load.index(min(load))
        courses[lightest].add_source(path)
        host[path.stem] = courses[lightest]
        load[lightest] += 2
    courses = [c for c in courses if (c.root / "source").exists()]
    finish(*[c.start(["generate_assignment", "*"]) for c in courses])

    expected = {}                    # (assignment, student) -> test cells expected to fail
    solution = nbformat.read(ROOT / "solutions" / f"{MATRIX}.ipynb", as_version=4)
    for student, (nb, failing) in matrix(host[MATRIX].release(MATRIX), solution).items():
        host[MATRIX].submit(student, MATRIX, nb)
        expected[MATRIX, student] = failing
    for student, answers in CHEATS.items():
        host[MATRIX].submit(student, MATRIX, submission(host[MATRIX].release(MATRIX), solution, answered=set(),
                                                        replace=answers))
    for path in others:
        course = host[path.stem]
        release = course.release(path.stem)
        course.submit("full", path.stem, submission(release, nbformat.read(path, as_version=4)))
        course.submit("release", path.stem, release)
        expected[path.stem, "full"], expected[path.stem, "release"] = set(), None

    before = {c.root: digest(c.root / "submitted") for c in courses}
    runs = []
    for course in courses:
        steps = [["autograde", "*", "--create", f"--CourseDirectory.student_id_exclude={LOOPING_STUDENT}"]]
        if course is host[MATRIX]:
            steps.append(["autograde", MATRIX, "--student", LOOPING_STUDENT,
                          f"--ExecutePreprocessor.timeout={LOOP_TIMEOUT}"])
        if course is host[MATRIX]:
            steps.append(["generate_feedback", MATRIX, "--student", "full"])
        steps.append(["export", "--to", "grades.csv"])
        runs.append(course.start(*steps, dump=True))
    finish(*runs)
    after = {c.root: digest(c.root / "submitted") for c in courses}
    grades = [row for c in courses for row in c.grades()]
    rows = [row for c in courses for row in c.csv_rows()]
    return dict(courses=courses, host=host, expected=expected, grades=grades, csv=rows,
                before=before, after=after, seconds=time.perf_counter() - start)


def ids(paths):
    return [p.stem for p in paths]


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_generate_assignment_releases_exactly_the_committed_exercise(graded, path):
    released = graded["host"][path.stem].release(path.stem)
    assert (EXERCISES / path.name).exists(), f"exercises/{path.name} is missing: run `make exercises`"
    committed = nbformat.read(EXERCISES / path.name, as_version=4)
    assert len(released.cells) == len(committed.cells), f"{path.name}: run `make exercises`"
    for i, (a, b) in enumerate(zip(released.cells, committed.cells)):
        assert (a.cell_type, a.source, a.metadata) == (b.cell_type, b.source, b.metadata), (
            f"exercises/{path.name} cell {i} differs from nbgrader's release: run `make exercises`")


def cell_scores(graded, assignment, student) -> dict:
    return {g["cell"]: g for g in graded["grades"]
            if g["assignment"] == assignment and g["student"] == student}


def submissions():
    kinds = [(MATRIX, student) for student in MATRIX_STUDENTS]
    return kinds + [(p.stem, s) for p in SOLUTIONS if p.stem != MATRIX for s in ("full", "release")]


@pytest.mark.parametrize("assignment,student", submissions(), ids=[f"{a}-{s}" for a, s in submissions()])
def test_every_autograded_cell_scores_what_the_submission_deserves(graded, assignment, student):
    failing = graded["expected"][assignment, student]
    tests = autograded_ids(ROOT / "solutions" / f"{assignment}.ipynb")
    failing = set(tests) if failing is None else failing
    scores = cell_scores(graded, assignment, student)
    pts = points(ROOT / "solutions" / f"{assignment}.ipynb")
    assert scores, f"{student} got no grades for {assignment}"
    for cell in tests:
        want = 0.0 if cell in failing else pts[cell]
        assert scores[cell]["max"] == pts[cell], f"{cell}: max score {scores[cell]['max']}, not {pts[cell]}"
        assert scores[cell]["auto"] == want, (
            f"{assignment}, {student}: {cell} scored {scores[cell]['auto']}, expected {want}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_written_answers_wait_for_a_grader_unless_left_blank(graded, path):
    manual = [c for c in points(path) if c not in autograded_ids(path)]
    full, blank = cell_scores(graded, path.stem, "full"), cell_scores(graded, path.stem, "release")
    for cell in manual:
        assert full[cell]["auto"] is None and full[cell]["needs_manual"], f"{cell}: an answer needs a grader"
        assert blank[cell]["auto"] == 0 and not blank[cell]["needs_manual"], f"{cell}: blank scores 0"


def test_grades_csv_has_one_scored_row_per_submission(graded):
    rows = {(r["assignment"], r["student_id"]): r for r in graded["csv"]}
    for (assignment, student), failing in graded["expected"].items():
        pts = points(ROOT / "solutions" / f"{assignment}.ipynb")
        tests = autograded_ids(ROOT / "solutions" / f"{assignment}.ipynb")
        failing = set(tests) if failing is None else failing
        row = rows[assignment, student]
        assert float(row["max_score"]) == sum(pts.values()), f"{assignment}: max_score {row['max_score']}"
        want = sum(pts[c] for c in tests if c not in failing)
        assert float(row["score"]) == want, f"{assignment}, {student}: grades.csv says {row['score']}, not {want}"


def test_tampering_earns_nothing(graded):
    rows = {(r["assignment"], r["student_id"]): float(r["score"]) for r in graded["csv"]}
    assert rows[MATRIX, "edited_tests"] == rows[MATRIX, "release"] == 0.0
    assert rows[MATRIX, "deleted_tests"] < rows[MATRIX, "full"]


def test_autograde_leaves_every_submitted_file_untouched(graded):
    for root, before in graded["before"].items():
        assert before, f"no submissions found in {root}"
        assert graded["after"][root] == before, "autograde modified a submitted file"


def test_infinite_loop_is_stopped_by_the_cell_timeout(graded):
    course = graded["host"][MATRIX]
    nb = nbformat.read(course.root / "autograded" / LOOPING_STUDENT / MATRIX / f"{MATRIX}.ipynb", as_version=4)
    loop = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "ex2_depth")
    assert any(o.output_type == "error" for o in loop.outputs), "the looping cell should end with an error"
    # no wall-clock assertion here: a loaded machine grades slowly; the cell timeout is the guard
    # against the hang, and budgets belong in `make bench`


@pytest.mark.parametrize("student", sorted(CHEATS))
def test_every_cheat_scores_zero_or_is_flagged_by_the_scanner(graded, student):
    course = graded["host"][MATRIX]
    notebook = course.root / "submitted" / student / MATRIX / f"{MATRIX}.ipynb"
    scan = subprocess.run([sys.executable, str(ROOT / "tools" / "scan_submission.py"), str(notebook)],
                          capture_output=True, text=True, timeout=60)
    score = sum(g["auto"] or 0 for g in cell_scores(graded, MATRIX, student).values())
    flagged = scan.returncode == 1 and CHEAT_FLAGS[student] in scan.stdout
    assert score == 0 or flagged, f"{student} scored {score} and the scanner did not flag it:\n{scan.stdout}"
    assert flagged, f"the scanner must name the cheat ({CHEAT_FLAGS[student]!r}):\n{scan.stdout}{scan.stderr}"


def test_patching_numpy_earns_nothing_because_hidden_tests_compare_literals(graded):
    scores = cell_scores(graded, MATRIX, "cheat_patch")
    earned = {cell: g["auto"] for cell, g in scores.items() if g["auto"]}
    assert not earned, f"wrong answers behind a patched np.allclose/np.isclose earned points: {earned}"


def test_honest_submissions_are_not_flagged(graded):
    course = graded["host"][MATRIX]
    honest = [course.root / "submitted" / s / MATRIX / f"{MATRIX}.ipynb" for s in ("full", "partial")]
    scan = subprocess.run([sys.executable, str(ROOT / "tools" / "scan_submission.py"), *map(str, honest)],
                          capture_output=True, text=True, timeout=60)
    findings = [line for line in scan.stdout.splitlines() if "stored output lacks" not in line]
    assert not findings, "false alarms on honest code:\n" + "\n".join(findings)


def test_feedback_html_shows_no_hidden_test(graded):
    import html

    course = graded["host"][MATRIX]
    pages = list((course.root / "feedback" / "full" / MATRIX).glob("*.html"))
    assert pages, "generate_feedback wrote no HTML"
    text = html.unescape(re.sub(r"<[^>]+>", "", pages[0].read_text(encoding="utf-8")))   # code without markup
    solution = nbformat.read(ROOT / "solutions" / f"{MATRIX}.ipynb", as_version=4)
    hidden = [line.strip() for c in solution.cells if is_autograded_test(c)
              for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].split("\n")
              if len(line.strip()) > 25]
    assert hidden, "the solutions notebook has no hidden test lines to look for"
    leaked = [line for line in hidden if line in text]
    assert not leaked, f"the feedback shows hidden tests: {leaked[:3]}"
    assert "def forward_chain" in text, "the feedback should still show the student's answers"
