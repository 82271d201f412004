"""Generate the student notebooks in exercises/ from the instructor notebooks in solutions/.

``make exercises`` runs this. Each ``solutions/NN_topic.ipynb`` (an nbgrader *source* notebook)
becomes ``exercises/NN_topic.ipynb`` (the *release* version a student receives) through
nbgrader's own preprocessors, in the order ``nbgrader generate_assignment`` applies them:

    LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
    ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata

(generate_assignment also runs IncludeHeaderFooter and InstantiateTests, which do nothing
without a header file or AUTOTEST cells, and SaveCells, which only writes its database). So the
solutions are replaced by ``raise NotImplementedError()`` / "YOUR ANSWER HERE", hidden tests are
removed, test cells are locked and checksummed, and outputs are cleared.

The output is deterministic (same input, same bytes): the only volatile field, the Python
version in the notebook's ``language_info``, is dropped, so re-executing the solutions on
another Python does not make the exercises look stale.

Usage:
    python tools/make_exercises.py            # rewrite exercises/ from every solutions/*.ipynb
    python tools/make_exercises.py --check    # write nothing; exit 1 and name every stale file
    python tools/make_exercises.py solutions/01_chain_rule_decay.ipynb   # only these
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def release_pipeline():
    """nbgrader's preprocessor classes, in generate_assignment's order (imported lazily: ~2 s)."""
    import nbgrader.preprocessors as pp
    return [pp.LockCells, pp.ClearSolutions, pp.ClearOutput, pp.CheckCellMetadata, pp.ComputeChecksums,
            pp.ClearHiddenTests, pp.ClearMarkScheme, pp.ComputeChecksums, pp.CheckCellMetadata]


def release_text(solution: Path) -> str:
    """The student version of one solutions notebook, as the exact text to store."""
    import nbformat

    nb = nbformat.read(solution, as_version=4)
    resources: dict = {}
    for preprocessor in release_pipeline():
        nb, resources = preprocessor().preprocess(nb, resources)
    nb.metadata.get("language_info", {}).pop("version", None)
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def target(solution: Path) -> Path:
    return EXERCISES / solution.name


def stale(solutions: list[Path], prune: bool) -> list[str]:
    """Names of exercises/ files that differ from what ``solutions`` would produce."""
    problems = []
    for solution in solutions:
        out = target(solution)
        if not out.exists():
            problems.append(f"{out.relative_to(ROOT)} is missing")
        elif out.read_text(encoding="utf-8") != release_text(solution):
            problems.append(f"{out.relative_to(ROOT)} differs from what {solution.relative_to(ROOT)} gives")
    if prune:
        names = {s.name for s in solutions}
        problems += [f"{p.relative_to(ROOT)} has no solutions notebook"
                     for p in sorted(EXERCISES.glob("*.ipynb")) if p.name not in names]
    return problems


def write(solutions: list[Path], prune: bool) -> None:
    EXERCISES.mkdir(exist_ok=True)
    for solution in solutions:
        out = target(solution)
        text = release_text(solution)
        if out.exists() and out.read_text(encoding="utf-8") == text:
            print(f"{out.relative_to(ROOT)}: up to date")
            continue
        out.write_text(text, encoding="utf-8")
        print(f"{out.relative_to(ROOT)}: written")
    if prune:
        names = {s.name for s in solutions}
        for orphan in sorted(EXERCISES.glob("*.ipynb")):
            if orphan.name not in names:
                orphan.unlink()
                print(f"{orphan.relative_to(ROOT)}: removed (no solutions notebook)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="solutions notebooks to convert (default: every solutions/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if any exercises/ file is missing or stale")
    args = parser.parse_args(argv)
    solutions = [p.resolve() for p in args.notebooks] or sorted(SOLUTIONS.glob("*.ipynb"))
    prune = not args.notebooks               # only a full run owns the whole folder
    if args.check:
        problems = stale(solutions, prune)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make exercises` to regenerate exercises/", file=sys.stderr)
        return 1 if problems else 0
    write(solutions, prune)
    return 0


if __name__ == "__main__":
    sys.exit(main())
