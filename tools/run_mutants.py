"""Run classic wrong answers (mutants) against the visible tests of a solutions notebook.

Reads a JSON list of mutants on stdin, ``[{"name": ..., "cell": grade_id, "answer": source}]``,
and prints one JSON object: name -> ``{"outcome", "cell", "message"}``, where outcome is

- ``"assertion"``: a visible test raised AssertionError (``cell`` is the test cell, ``message`` its text);
- ``"error"``: some other exception (in the answer's own cell or a test);
- ``"passed"``: the visible tests that follow the answer all passed: the tests miss this mistake.

The notebook runs once, in this process (``tools/nbexec.py``). Just before an answer cell that has
mutants, the process forks once per mutant: the child puts the wrong answer between the solution
markers, runs the cells that follow up to and including the next test cell(s) (without their hidden
part; answer cells on the way keep the reference answer), and reports what happened. So each
mutant sees exactly the state a student's kernel would have, and the whole notebook costs one run
plus the few cells after each mutated answer.
Usage: python tools/run_mutants.py solutions/01_chain_rule_decay.ipynb < mutants.json
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbexec  # noqa: E402

MUTANT_SECONDS = 60          # a mutant that loops is reported as an error, not waited for


def attempt(cells: list, index: int, answer: str, namespace: dict) -> dict:
    """Run the mutated answer cell and the cells after it, through the test cell(s) that follow."""
    current = nbexec.grade_id(cells[index])
    try:
        nbexec.run(nbexec.with_answer(cells[index].source, answer), namespace, current)
        tested = False
        for cell in cells[index + 1:]:
            if tested and not nbexec.is_test(cell):
                break                               # past the test cell(s) that follow the answer
            current = nbexec.grade_id(cell) or "(ungraded cell)"
            source = nbexec.visible_part(cell.source) if nbexec.is_test(cell) else cell.source
            nbexec.run(source, namespace, current)
            tested = tested or nbexec.is_test(cell)
    except AssertionError as failure:
        return {"outcome": "assertion", "cell": current, "message": str(failure)}
    except BaseException as error:          # noqa: BLE001 - any other way a mutant can end
        return {"outcome": "error", "cell": current, "message": f"{type(error).__name__}: {error}"}
    return {"outcome": "passed", "cell": None, "message": ""}


def forked(cells: list, index: int, answer: str, namespace: dict) -> dict:
    """``attempt`` in a child process, so the parent's namespace stays the reference run's."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # child
        os.close(read)
        signal.alarm(MUTANT_SECONDS)
        try:
            result = attempt(cells, index, answer, namespace)
        except BaseException as error:   # noqa: BLE001 - the alarm
            result = {"outcome": "error", "cell": None, "message": repr(error)}
        with os.fdopen(write, "w") as out:
            json.dump(result, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as inp:
        text = inp.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else {"outcome": "error", "cell": None, "message": "child died"}


def run_mutants(path: Path, mutants: list) -> dict:
    import nbformat

    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    by_cell: dict = {}
    for mutant in mutants:
        by_cell.setdefault(mutant["cell"], []).append(mutant)
    known = {nbexec.grade_id(c) for c in cells if nbexec.is_solution(c)}
    results = {m["name"]: {"outcome": "error", "cell": None, "message": f"no answer cell {m['cell']!r}"}
               for m in mutants if m["cell"] not in known}
    namespace = nbexec.new_namespace()
    with nbexec.in_folder(path.parent):
        for index, cell in enumerate(cells):
            for mutant in by_cell.get(nbexec.grade_id(cell), []) if nbexec.is_solution(cell) else []:
                if hasattr(os, "fork"):
                    results[mutant["name"]] = forked(cells, index, mutant["answer"], namespace)
                else:                               # no fork (Windows): replay the notebook up to here
                    replay = nbexec.new_namespace()
                    for before in cells[:index]:
                        nbexec.run(before.source, replay)
                    results[mutant["name"]] = attempt(cells, index, mutant["answer"], replay)
            nbexec.run(cell.source, namespace, nbexec.grade_id(cell) or "(cell)")
    return results


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("Usage: ")[1])
    print(json.dumps(run_mutants(Path(sys.argv[1]).resolve(), json.load(sys.stdin))))
