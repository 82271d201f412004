"""Types: the package passes mypy (configured in pyproject.toml), and its public API is annotated.

mypy runs with ``disallow_untyped_defs``: every function of the package, public or not, annotates
all its parameters and its return. The second check reads the annotations at run time, for what
mypy does not refuse: a public annotation that names a bare container (``list``, not
``list[np.ndarray]``), and names in ``__all__`` that are built at import time (the init schemes).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p.stem for p in (ROOT / "vanishing").glob("*.py") if p.stem != "__init__")
# a container or callable type without its parameters: list, not list[np.ndarray]
BARE = re.compile(r"\b(list|dict|set|frozenset|tuple|Callable|Sequence|Iterable|Iterator|Mapping)\b"
                  r"(?!\[)")


def run_mypy() -> subprocess.CompletedProcess:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it is in the dev extra: pip install -e '.[dev]')")
    # no cache: nothing written into the repository, and no stale result
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", os.devnull, "vanishing"],
                          cwd=ROOT, capture_output=True, text=True)


def test_mypy_finds_nothing_in_the_package():
    result = run_mypy()
    assert result.returncode == 0, "mypy vanishing:\n" + result.stdout + result.stderr


def public_functions() -> list[tuple[str, object]]:
    """(qualified name, function) for every function in a module's ``__all__`` and every public
    method (and property) of a class in it, ``__init__`` and ``__call__`` included."""
    found = []
    for name in MODULES:
        module = importlib.import_module(f"vanishing.{name}")
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isfunction(obj):
                found.append((f"{name}.{attr}", obj))
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                for member, value in vars(obj).items():
                    if member.startswith("_") and member not in ("__init__", "__call__"):
                        continue
                    if isinstance(value, property):
                        value = value.fget
                    elif isinstance(value, (staticmethod, classmethod)):
                        value = value.__func__
                    if inspect.isfunction(value):
                        found.append((f"{name}.{attr}.{member}", value))
    return found


def missing_annotations(function) -> list[str]:
    """What ``function`` leaves unannotated or annotates with a bare container."""
    problems = []
    parameters = list(inspect.signature(function).parameters.values())
    if "." in function.__qualname__ and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    annotations = function.__annotations__
    for p in parameters:
        if p.name not in annotations:
            problems.append(f"parameter {p.name} is not annotated")
    if "return" not in annotations:
        problems.append("the return is not annotated")
    for key, annotation in annotations.items():
        if isinstance(annotation, str) and BARE.search(annotation):
            problems.append(f"{key}: {annotation} (give the element types)")
    return problems


def test_every_public_function_and_method_is_fully_annotated():
    functions = public_functions()
    assert len(functions) > 200, f"only {len(functions)} public functions: the search is broken"
    problems = [f"{name}: {problem}" for name, function in functions
                for problem in missing_annotations(function)]
    assert not problems, "\n".join(problems)


def test_the_annotation_check_sees_a_missing_or_bare_annotation():
    def untyped(x, y: int):
        return x

    def bare(x: list, y: dict[str, list[int]]) -> tuple:
        return ()

    def typed(x: list[int], y: dict[str, int] | None = None) -> tuple[int, ...]:
        return ()

    assert missing_annotations(untyped) == ["parameter x is not annotated",
                                            "the return is not annotated"]
    assert missing_annotations(bare) == ["x: list (give the element types)",
                                         "return: tuple (give the element types)"]
    assert missing_annotations(typed) == []
