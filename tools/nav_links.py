"""Write the closing navigation of every lesson: previous lesson, next lesson, its exercise.

Each lesson ``notebooks/NN_topic.ipynb`` ends with one markdown cell tagged ``navigation``
(cell id ``navigation``). Its text is generated here from the files that exist, so the links
cannot drift: the previous and next lesson by number, and ``../exercises/NN_topic.ipynb`` when
that exercise exists. ``tests/test_navigation.py`` checks every lesson against :func:`navigation`.

Usage:
    python tools/nav_links.py                      # rewrite the navigation of every lesson
    python tools/nav_links.py notebooks/03_*.ipynb # only these lessons
    python tools/nav_links.py --check              # exit 1 (and list them) if any is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS_DIR, EXERCISES_DIR = ROOT / "notebooks", ROOT / "exercises"
TAG = "navigation"

#: What every lesson says about solutions (README and lesson 00 say the same).
SOLUTIONS_ADVICE = ("Try each exercise before you look at a solution: the test cells tell you whether "
                    "your answer holds. Worked solutions are in `solutions/` for checking your work "
                    "afterwards (in a graded class your instructor may hold them back).")


def lessons() -> list[Path]:
    """The lesson notebooks in course order (by their two-digit number)."""
    return sorted(LESSONS_DIR.glob("[0-9][0-9]_*.ipynb"))


def title(path: Path) -> str:
    """The lesson's title: the first line of its first markdown cell, without the leading '#'."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    first = next(c for c in cells if c["cell_type"] == "markdown")
    return "".join(first["source"]).splitlines()[0].lstrip("#").strip()


def navigation(path: Path, order: list[Path] | None = None) -> str:
    """The markdown of ``path``'s navigation cell (links relative to notebooks/)."""
    order = lessons() if order is None else order
    i = [p.name for p in order].index(path.name)
    links = []
    if i > 0:
        links.append(f"previous lesson: [{title(order[i - 1])}]({order[i - 1].name})")
    if i + 1 < len(order):
        links.append(f"next lesson: [{title(order[i + 1])}]({order[i + 1].name})")
    exercise = EXERCISES_DIR / path.name
    if exercise.exists():
        links.append(f"this lesson's exercise: [`exercises/{path.name}`](../exercises/{path.name})")
    text = "---\n**Where next?**\n\n" + "\n".join(f"- {link}" for link in links)
    return text + ("\n\n" + SOLUTIONS_ADVICE if exercise.exists() else "")


def _write(path: Path, order: list[Path]) -> bool:
    """Put the navigation cell at the end of ``path``; True when the file changed."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    text = navigation(path, order)
    kept = [c for c in nb.cells if TAG not in c.metadata.get("tags", [])]
    old = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    if len(old) == 1 and nb.cells[-1] is old[0] and old[0].source == text:
        return False
    cell = nbformat.v4.new_markdown_cell(text, id=TAG)
    cell.metadata["tags"] = [TAG]
    nb.cells = kept + [cell]
    nbformat.write(nb, path)
    return True


def stale(path: Path, order: list[Path]) -> bool:
    """True when the lesson does not end with exactly its generated navigation cell."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if TAG in c.get("metadata", {}).get("tags", [])]
    return not (len(tagged) == 1 and cells[-1] is tagged[0]
                and "".join(tagged[0]["source"]) == navigation(path, order))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    order = lessons()
    chosen = [Path(a).resolve() for a in argv if a != "--check"] or order
    unknown = [p for p in chosen if p not in order]
    if unknown:
        print(f"not a lesson notebook: {', '.join(map(str, unknown))}", file=sys.stderr)
        return 2
    if check:
        bad = [p for p in chosen if stale(p, order)]
        for p in bad:
            print(f"stale navigation: {p.relative_to(ROOT)} (run python tools/nav_links.py)")
        return 1 if bad else 0
    for p in chosen:
        if _write(p, order):
            print(f"navigation written: {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
