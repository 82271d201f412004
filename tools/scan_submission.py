"""Flag submitted notebooks that try to game the autograder (``make grade`` runs this after autograde).

nbgrader runs a student's notebook, tests included, in the student's own kernel, so a submission can
change what the tests see. This scanner reads every code cell of a submission (no code is run) and
flags what an honest answer to these exercises never needs:

- ``get_ipython`` and IPython's input/AST transformers, hooks and events (a transformer can turn
  every cell that contains ``assert`` into ``pass``);
- ``exec``, ``eval``, ``compile``, ``__import__`` and ``importlib`` (running code built from text,
  for example the instructor's solution read from a file);
- file and process access: ``open``/``Path`` on an absolute path or one containing ``..``, listing or
  walking folders (``os.listdir``, ``os.walk``, ``glob``, ``iterdir``...), ``os.chdir``, ``shutil``,
  ``subprocess``, ``sqlite3``, and any text that names ``source/``, ``gradebook`` or a parent folder
  (the grading kernel runs in ``autograded/<student>/<assignment>/``, two folders below ``source/``
  and ``gradebook.db``);
- monkeypatching: assignments to attributes of a module (``np.allclose = ...``, ``vanishing.chain.x = ...``,
  ``setattr(np, ...)``), and rebinding builtins the tests use (``abs = ...``, ``import builtins``);
- test cells whose stored output lacks the "... passed" line their visible tests print (the tests were
  not run as written, or something swallowed them).

A flag is a reason for a person to look, not a verdict. Exit status 1 when anything is flagged.
Usage: python tools/scan_submission.py PATH...   (notebooks, or folders searched for *.ipynb)
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "input_splitter",
                 "ast_transformers", "register_magic_function", "set_hook", "events", "run_cell",
                 "run_line_magic", "run_cell_magic", "user_ns", "magic"}
DYNAMIC = {"exec", "eval", "compile", "__import__", "execfile", "globals", "breakpoint"}
MODULE_FILE_CALLS = {"listdir", "walk", "scandir", "glob", "iglob", "chdir", "system", "popen", "remove", "unlink",
                     "rename", "rmtree", "copy", "copyfile", "makedirs", "startfile", "execv", "spawnv"}
PATH_METHODS = {"iterdir", "rglob", "glob", "read_text", "read_bytes", "write_text"}
FORBIDDEN_MODULES = {"importlib", "subprocess", "shutil", "sqlite3", "builtins", "ctypes", "pickle", "glob",
                     "socket", "runpy", "inspect", "gc", "IPython", "nbformat", "nbclient", "nbconvert"}
GUARDED_BUILTINS = {"abs", "all", "any", "assert", "AssertionError", "bool", "dict", "float", "int", "isinstance",
                    "len", "list", "max", "min", "print", "range", "repr", "round", "set", "sorted", "str", "sum",
                    "tuple", "type", "zip", "__builtins__", "Exception", "ValueError", "TypeError"}
SUSPICIOUS_TEXT = re.compile(r"(\.\./|\.\.\\|^\.\.$|(^|/)source(/|$)|gradebook|autograded|^/|^[A-Za-z]:\\)")
PASSED_PRINT = re.compile(r"""print\(\s*f?["'](?P<text>[^"'{}]*passed[^"'{}]*)["']""")


def grade_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test(cell) -> bool:
    meta = grade_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def dotted(node) -> str:
    """'np.testing.assert_allclose' for an attribute chain, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


class Finder(ast.NodeVisitor):
    """Collects (line, reason) pairs for one cell; ``modules`` are names bound by imports so far."""

    def __init__(self, modules: set):
        self.modules = modules
        self.found: list = []

    def flag(self, node, reason):
        self.found.append((getattr(node, "lineno", 0), reason))

    def visit_Import(self, node):
        for alias in node.names:
            self.modules.add((alias.asname or alias.name).split(".")[0])
            if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                self.flag(node, f"imports {alias.name}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        root = (node.module or "").split(".")[0]
        if root in FORBIDDEN_MODULES or node.level:
            self.flag(node, f"imports from {node.module or '.'}")
        for alias in node.names:
            if alias.name in {"system", "popen", "listdir", "walk", "scandir", "chdir", "get_ipython"}:
                self.flag(node, f"imports {alias.name}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id == "get_ipython":
            self.flag(node, "uses get_ipython (the kernel itself)")
        elif node.id in DYNAMIC:
            self.flag(node, f"uses {node.id} (runs code built from text)")
        elif node.id in GUARDED_BUILTINS and isinstance(node.ctx, ast.Store):
            self.flag(node, f"rebinds the builtin {node.id} that the tests use")
        elif node.id == "__builtins__":
            self.flag(node, "touches __builtins__")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in IPYTHON_HOOKS and "get_ipython" in ast.dump(node):
            self.flag(node, f"changes how IPython runs cells ({node.attr})")
        elif node.attr in {"input_transformers_cleanup", "input_transformers_post", "ast_transformers"}:
            self.flag(node, f"IPython input transformer ({node.attr})")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = dotted(node).split(".")[0]
            if root in self.modules or root in {"np", "numpy", "math", "vanishing", "sys", "os", "builtins"}:
                self.flag(node, f"assigns to {dotted(node)} (monkeypatching a module)")
        self.generic_visit(node)

    def visit_Call(self, node):
        name = dotted(node.func)
        last = name.split(".")[-1] if name else getattr(node.func, "attr", "")
        if last == "setattr" and node.args and dotted(node.args[0]).split(".")[0] in (
                self.modules | {"np", "numpy", "math", "vanishing", "builtins"}):
            self.flag(node, f"setattr on the module {dotted(node.args[0])} (monkeypatching)")
        if last in {"open", "Path", "PurePath", "fromfile", "loadtxt", "load", "read_csv"} or name in {
                "os.path.exists", "os.path.join", "os.path.abspath", "os.getcwd"}:
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if any(SUSPICIOUS_TEXT.search(t) for t in texts) or (last in {"open", "Path"} and node.args
                                                                   and not texts):
                self.flag(node, f"{name or last}() on a path outside the submission or built at run time")
        root = name.split(".")[0]
        if (last in MODULE_FILE_CALLS and root in {"os", "glob", "shutil", "pathlib"}) or (
                last in PATH_METHODS and isinstance(node.func, ast.Attribute)):
            self.flag(node, f"file-system access ({name or last})")
        if last in {"getcwd", "cwd", "resolve", "parent", "parents", "absolute", "home"}:
            self.flag(node, f"looks around the file system ({name or last})")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and SUSPICIOUS_TEXT.search(node.value) and len(node.value) < 300:
            self.flag(node, f"names a path outside the submission ({node.value!r})")

    def visit_Assert(self, node):
        self.generic_visit(node)


def scan_source(source: str, modules: set) -> list:
    """(line, reason) for one cell's code; lines are 1-based within the cell."""
    text = "\n".join(line for line in source.split("\n") if not line.lstrip().startswith(("%", "!")))
    magics = [(i + 1, f"IPython magic or shell command: {line.strip()[:60]}")
              for i, line in enumerate(source.split("\n")) if line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return magics        # nothing runs from a cell that does not parse (autograde scores it 0)
    finder = Finder(modules)
    finder.visit(tree)
    return magics + finder.found


def missing_passed_output(cell) -> str | None:
    """The "... passed" text a test cell prints, if its stored output does not show it."""
    source = cell["source"]
    visible = source.split("### BEGIN HIDDEN TESTS")[0] + source.split("### END HIDDEN TESTS")[-1]
    match = PASSED_PRINT.search(visible)
    if not match:
        return None
    texts = [o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
    shown = "".join("".join(t) if isinstance(t, list) else t for t in texts)
    return None if match.group("text").strip() in shown else match.group("text").strip()


def scan_notebook(path: Path) -> list:
    """Every finding in one notebook, as printable lines."""
    import json

    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    findings, modules = [], set()
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell = dict(cell, source=source)
        where = f"{path} cell {index}" + (f" [{grade_meta(cell)['grade_id']}]" if grade_meta(cell) else "")
        for line, reason in scan_source(source, modules):
            code = source.split("\n")[line - 1].strip() if 0 < line <= len(source.split("\n")) else ""
            findings.append(f"{where} line {line}: {reason}: {code[:80]}")
        if is_test(cell):
            missing = missing_passed_output(cell)
            if missing:
                findings.append(f"{where}: the stored output lacks {missing!r} (were the tests run as written?)")
    return findings


def notebooks(paths) -> list:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            found.append(p)
    return found


def main(argv=None) -> int:
    paths = notebooks(sys.argv[1:] if argv is None else argv)
    if not paths:
        print(__doc__.split("Usage: ")[1], file=sys.stderr)
        return 2
    flagged = 0
    for path in paths:
        findings = scan_notebook(path)
        flagged += bool(findings)
        for line in findings:
            print(line)
    print(f"scanned {len(paths)} notebook(s): {flagged} flagged", file=sys.stderr)
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
