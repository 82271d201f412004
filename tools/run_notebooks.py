"""Re-execute notebooks in place, deterministically (``make notebooks``).

Each notebook runs top to bottom in a fresh kernel on this interpreter, from
its own folder, with no timing metadata and no live-widget state, so running
twice gives the same file on any machine. A cell tagged ``timing`` measures this
machine's speed: it runs, but is stored without output (nbval then runs it
without comparing, and a learner sees their own machine's time).
Usage: python tools/run_notebooks.py notebooks/*.ipynb solutions/*.ipynb
"""

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# One BLAS thread per kernel: on a 2-core machine, threads fighting over cores make a
# lesson many times slower (small matrices gain nothing from them anyway).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False, coalesce_streams=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    _drop_widget_views(nb)
    _drop_timings(nb)
    nbformat.write(nb, path)
    return elapsed


def _drop_widget_views(nb) -> None:
    """Remove live-widget outputs and the saved widget state.

    Their model ids are random, so keeping them would change the file on every
    run; a widget only works in a running kernel anyway, and the lessons show a
    static figure beside every explorer for readers without one.
    """
    view = "application/vnd.jupyter.widget-view+json"
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if view not in o.get("data", {})]
    nb.metadata.pop("widgets", None)


def _drop_timings(nb) -> None:
    """Store cells tagged ``timing`` unexecuted: a measured time differs on every run and machine."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "timing" in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        sys.exit("usage: run_notebooks.py NOTEBOOK.ipynb ...")
    for p in paths:
        print(f"{p}: {run(p):.1f} s", flush=True)
