"""Build the course's static site (Jupyter Book 1) from the notebooks' stored outputs.

    python tools/build_site.py             # or: make site
    SITE_SOLUTIONS=0 python tools/build_site.py   # leave the instructors' solutions out

Nothing is executed (``execute_notebooks: off``) and nothing is downloaded: MathJax comes from the
``sphinx-mathjax-offline`` package. The notebooks stay where they are in git; this script stages
copies under ``_build/site-src`` (mirroring the repository's paths, so every page knows its notebook's
path in the repository), prepares them for reading, and runs Sphinx into ``_build/site``:

- every page gets a line with two links: its notebook on the repository, and Binder;
- exercises lose any outputs (student versions);
- solutions are retitled and marked as solutions (or left out with ``SITE_SOLUTIONS=0``);
- a cell that builds a live widget gets a note on how to run it live;
- a relative link to a file that is not on the site points at the repository instead;
- the API reference has one generated page per public module of ``vanishing``.

Staged files are rewritten only when their content changes, so a second build is incremental.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pkgutil
import posixpath
import re
import shutil
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
BUILD = ROOT / "_build"
STAGE = BUILD / "site-src"
OUT = BUILD / "site"
FOLDERS = {"notebooks": "lesson", "exercises": "exercise", "solutions": "solution"}
BINDER = "https://mybinder.org"
GITHUB = re.compile(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?")
LINK = re.compile(r"(\]\()([^)\s]+)(\))")
EXPLORER_CALL = re.compile(r"\b\w+_explorer\(")
LIVE_NOTE = ("```{{note}}\n**Live widget.** The cell above builds interactive controls (ipywidgets), which need "
             "a running Python kernel, so this static page shows no output for it. The figures and tables "
             "on this page are the same computations for fixed settings. To move the controls yourself, "
             "[run this lesson on Binder]({binder}) or open it on your machine with `make lab`.\n```")


def solutions_enabled(environ=os.environ) -> bool:
    """SITE_SOLUTIONS=1 (the default) puts the solutions on the site, SITE_SOLUTIONS=0 leaves them out."""
    value = environ.get("SITE_SOLUTIONS", "1").strip()
    if value not in ("0", "1"):
        raise ValueError(f"SITE_SOLUTIONS must be 0 or 1, got {value!r}")
    return value == "1"


def site_config(environ=os.environ) -> dict:
    """site/_config.yml, with the repository address from SITE_REPOSITORY_URL when that is set."""
    config = yaml.safe_load((SITE / "_config.yml").read_text())
    url = environ.get("SITE_REPOSITORY_URL", "").strip()
    if url:
        config["repository"]["url"] = url.rstrip("/")
    return config


def repository_links(config: dict, path: str) -> tuple[str, str]:
    """(notebook on the repository, Binder launch) for a file at ``path`` in the repository."""
    url, branch = config["repository"]["url"], config["repository"]["branch"]
    match = GITHUB.fullmatch(url)
    if not match:
        raise ValueError(f"repository.url must be a https://github.com/OWNER/NAME address, got {url!r}")
    owner, name = match.groups()
    return (f"{url}/blob/{branch}/{path}",
            f"{BINDER}/v2/gh/{owner}/{name}/{branch}?urlpath=lab/tree/{path}")


def markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def link_outside_site(target: str, page_dir: str, on_site: set[str], config: dict) -> str:
    """A relative link stays when it points at a staged page; otherwise it points at the repository."""
    if re.match(r"[a-z][a-z0-9+.-]*:|#|/", target):
        return target
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(page_dir, path))
    if resolved in on_site or resolved.startswith(".."):
        return target
    return repository_links(config, resolved)[0] + (f"#{anchor}" if anchor else "")


def retitle_solution(source: str) -> str:
    """'# Exercises 01: ...' -> '# Solutions 01: ...'; any other title gets a 'Solutions: ' prefix."""
    if re.match(r"# Exercises\b", source):
        return re.sub(r"# Exercises\b", "# Solutions", source, count=1)
    return re.sub(r"^# ", "# Solutions: ", source, count=1, flags=re.M)


def prepare_notebook(nb: dict, path: str, on_site: set[str], config: dict) -> dict:
    """The page's version of the notebook at repository path ``path`` (the input is not modified)."""
    nb = copy.deepcopy(nb)
    kind = FOLDERS[path.split("/")[0]]
    source_url, binder_url = repository_links(config, path)
    page_dir = posixpath.dirname(path)
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            cell["source"] = LINK.sub(lambda m: m[1] + link_outside_site(m[2], page_dir, on_site, config) + m[3],
                                      text)
        elif cell["cell_type"] == "code" and kind == "exercise":
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
        if (cell["cell_type"] == "code" and not cell.get("outputs")
                and EXPLORER_CALL.search("".join(cell["source"]))):
            cells.append(markdown_cell(LIVE_NOTE.format(binder=binder_url)))
    links = f"[Notebook on the repository]({source_url}) · [Run on Binder]({binder_url})"
    if kind == "solution":
        cells[0]["source"] = retitle_solution(cells[0]["source"])
        exercise = f"exercises/{posixpath.basename(path)}"
        student = (f" Students: try the [exercise version](../{exercise}) first."
                   if exercise in on_site else "")
        links = (":::{admonition} Solutions: for instructors\n:class: warning\n"
                 "This page is the instructors' version: model answers and the autograder's hidden tests."
                 f"{student}\n:::\n\n{links}")
    cells.insert(1, markdown_cell(links))
    nb["cells"] = cells
    return nb


def api_page(module: str) -> str:
    return f"# `{module}`\n\n```{{eval-rst}}\n.. automodule:: {module}\n```\n"


def public_modules() -> list[str]:
    sys.path.insert(0, str(ROOT))
    import vanishing
    return sorted(f"vanishing.{m.name}" for m in pkgutil.iter_modules(vanishing.__path__)
                  if not m.name.startswith("_"))


def table_of_contents(solutions: bool) -> dict:
    toc = yaml.safe_load((SITE / "_toc.yml").read_text())
    if not solutions:
        toc["parts"] = [part for part in toc["parts"]
                        if not any(str(c.get("glob", "")).startswith("solutions/") for c in part["chapters"])]
    return toc


def write_if_changed(path: Path, text: str):
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def stage(solutions: bool, config: dict) -> list[str]:
    """Write the book's sources under STAGE; return the staged files' repository paths."""
    notebooks = [p.relative_to(ROOT).as_posix() for folder in FOLDERS
                 if folder != "solutions" or solutions
                 for p in sorted((ROOT / folder).glob("*.ipynb"))]
    files = {}
    for path in notebooks:
        nb = json.loads((ROOT / path).read_text())
        files[path] = json.dumps(prepare_notebook(nb, path, set(notebooks), config), indent=1,
                                 ensure_ascii=False) + "\n"
    for page in sorted([*SITE.rglob("*.md"), *SITE.glob("*.svg"), *SITE.glob("_ext/*.py")]):
        files[page.relative_to(ROOT).as_posix()] = page.read_text()
    for module in public_modules():
        files[f"site/api/{module}.md"] = api_page(module)
    files["site/_config.yml"] = yaml.safe_dump(config, sort_keys=False)
    files["site/_toc.yml"] = yaml.safe_dump(table_of_contents(solutions), sort_keys=False)
    for path, text in files.items():
        write_if_changed(STAGE / path, text)
    for old in [p for p in STAGE.rglob("*") if p.is_file()]:       # e.g. solutions after SITE_SOLUTIONS=0
        if old.relative_to(STAGE).as_posix() not in files:
            old.unlink()
    return sorted(files)


def fingerprint(config: dict, solutions: bool) -> str:
    """What Sphinx's incremental build cannot see: this script, the site's configuration and local
    extensions, and the settings. When it changes, everything is rebuilt from scratch."""
    digest = hashlib.sha256(json.dumps([config, solutions], sort_keys=True).encode())
    for path in sorted([Path(__file__), *SITE.glob("_*.yml"), *SITE.glob("_ext/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(solutions: bool | None = None, quiet: bool = True) -> dict:
    """Stage and build; return a summary (pages, seconds, warnings file)."""
    from jupyter_book.sphinx import build_sphinx

    solutions = solutions_enabled() if solutions is None else solutions
    config = site_config()
    start = time.perf_counter()
    stamp, print_ = BUILD / "site-fingerprint.txt", fingerprint(config, solutions)
    fresh = not stamp.exists() or stamp.read_text() != print_
    if fresh:
        for old in (OUT, BUILD / "site-doctrees"):
            shutil.rmtree(old, ignore_errors=True)
    staged = stage(solutions, config)
    warnings = BUILD / "site-warnings.txt"
    BUILD.mkdir(exist_ok=True)
    with open(warnings, "w") as warning_stream:
        sys_stderr, sys.stderr = sys.stderr, warning_stream
        try:
            result = build_sphinx(STAGE, OUT, path_config=STAGE / "site" / "_config.yml",
                                  noconfig=True, doctreedir=BUILD / "site-doctrees",
                                  confoverrides={"external_toc_path": (STAGE / "site" / "_toc.yml").as_posix(),
                                                 "latex_individualpages": False},
                                  quiet=quiet, keep_going=True, freshenv=fresh)
        finally:
            sys.stderr = sys_stderr
    if result != 0:
        raise RuntimeError(f"Sphinx failed ({result}); see {warnings}")
    root = yaml.safe_load((STAGE / "site" / "_toc.yml").read_text())["root"]
    (OUT / "index.html").write_text(f'<!DOCTYPE html>\n<meta charset="utf-8">\n<title>Redirect</title>\n'
                                    f'<meta http-equiv="Refresh" content="0; url={root}.html">\n'
                                    f'<a href="{root}.html">The course</a>\n')
    (OUT / ".nojekyll").write_text("")
    stamp.write_text(print_)
    pages = [p for p in staged if p.endswith((".ipynb", ".md"))]
    return {"pages": len(pages), "seconds": time.perf_counter() - start, "fresh": fresh,
            "warnings": [re.sub(r"\x1b\[[0-9;]*m", "", w) for w in warnings.read_text().splitlines()
                         if "WARNING" in w or "ERROR" in w],
            "solutions": solutions}


def main():
    summary = build()
    for line in summary["warnings"]:
        print(line)
    how = "from scratch" if summary["fresh"] else "incrementally"
    print(f"site: {summary['pages']} pages (solutions {'in' if summary['solutions'] else 'left out'}), "
          f"built {how} in {summary['seconds']:.1f} s into {OUT.relative_to(ROOT)}/; "
          f"{len(summary['warnings'])} warnings")


if __name__ == "__main__":
    main()
