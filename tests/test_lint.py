"""The code students read stays clean: ruff (configured in pyproject.toml) finds nothing."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing_in_package_tests_benchmarks_and_tools():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it is in the dev extra: pip install -e '.[dev]')")
    result = subprocess.run([ruff, "check", "vanishing", "tests", "benchmarks", "tools"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


# exercise notebooks (solutions/ and the generated exercises/): their stubs leave names undefined
# and their set-up cells import names for the student to use, so only the line length is checked
EXERCISE_NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))


def ruff_check_notebook(notebook, select):
    """ruff's findings in one notebook; 100 columns: what JupyterLab shows without cutting a line off."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it is in the dev extra: pip install -e '.[dev]')")
    result = subprocess.run([ruff, "check", "--no-cache", "--line-length", "100",
                             "--select", select, str(notebook.relative_to(ROOT))],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_lesson_code_fits_in_100_columns_and_uses_every_name_it_imports(notebook):
    ruff_check_notebook(notebook, "E501,E9,F")


@pytest.mark.parametrize("notebook", EXERCISE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_exercise_code_fits_in_100_columns(notebook):
    ruff_check_notebook(notebook, "E501,E9")
