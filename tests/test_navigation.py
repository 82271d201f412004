"""Every lesson ends with working links: previous lesson, next lesson, its exercise (tools/nav_links.py)."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nav_links  # noqa: E402

LESSONS = nav_links.lessons()
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def last_cell_links(path):
    return LINK.findall("".join(cells(path)[-1]["source"]))


def test_the_lessons_are_numbered_without_gaps():
    assert [p.name[:2] for p in LESSONS] == [f"{i:02d}" for i in range(len(LESSONS))]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_ends_with_the_navigation_the_tool_generates(lesson):
    assert not nav_links.stale(lesson, LESSONS), (
        f"{lesson.name}: its last cell is not the generated navigation; run python tools/nav_links.py")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_navigation_links_point_to_the_neighbours_and_the_same_numbered_exercise(lesson):
    number = int(lesson.name[:2])
    expected = {f"{number - 1:02d}" if number > 0 else None, f"{number + 1:02d}" if number < len(LESSONS) - 1 else None}
    links = last_cell_links(lesson)
    lessons_linked = {Path(t).name[:2] for t in links if not t.startswith("../")}
    assert lessons_linked == expected - {None}
    exercises = [t for t in links if t.startswith("../exercises/")]
    if (ROOT / "exercises" / lesson.name).exists():
        assert exercises == [f"../exercises/{lesson.name}"]
    else:
        assert exercises == []
    for target in links:
        assert (lesson.parent / target).resolve().is_file(), f"{lesson.name}: {target} does not exist"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_relative_link_in_a_lesson_resolves_to_an_existing_file(lesson):
    for i, cell in enumerate(cells(lesson)):
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall("".join(cell["source"])):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue                                  # a web address or an anchor
            path = target.split("#")[0]
            assert (lesson.parent / path).resolve().exists(), f"{lesson.name} cell {i}: {target}"


def test_the_generated_navigation_of_a_middle_lesson_reads_as_expected():
    text = nav_links.navigation(LESSONS[3], LESSONS)
    assert "previous lesson: [02 · Sigmoid saturation](02_sigmoid_saturation.ipynb)" in text
    assert "(04_relu_and_friends.ipynb)" in text
    assert "(../exercises/03_exploding_gradients.ipynb)" in text
    assert nav_links.SOLUTIONS_ADVICE in text
