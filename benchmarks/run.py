"""Measure the course's speed budgets and print a table (``make bench``).

Budgets (DESIGN.md):
- ``import vanishing`` (with its numeric modules): < 0.25 s
- per-layer gradient profile, 50 layers x width 64 x batch 128, float64: faster than PyTorch
  CPU autograd doing the same on one thread (when torch is importable)
- one explorer update (compute, redraw and PNG) at default settings: < 50 ms; at the largest
  settings (depth 100, width 256, batch norm and residual paths): < 150 ms
- every lesson top to bottom: < 20 s each, < 120 s all together

Timed numeric commands run in a subprocess with one BLAS thread and without the
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides of this workplace (they slow a
current NumPy; see TOOLCHAIN.md). Tests and CI never change them.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The one line every kernel prints on stderr when it starts (ipykernel 7, TCP transport). Only
#: this line is dropped from the kernels' stderr; anything else a kernel writes is passed on.
TCP_WARNING = "Kernel is running over TCP without encryption"


def bench_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def import_time(statement: str, repeats: int = 7) -> float:
    code = ("import time; t = time.perf_counter(); " + statement +
            "; print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True, env=bench_env(), cwd=ROOT).stdout)
             for _ in range(repeats)]
    return statistics.median(times)


def profile_rows() -> list:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "profile_mlp.py")],
                         capture_output=True, text=True, check=True, env=bench_env(), cwd=ROOT)
    rows = []
    for line in out.stdout.strip().splitlines():
        name, median, best = line.split("\t")
        rows.append((name, float(median), float(best)))
    return rows


def explorer_times() -> list:
    """The explorer benchmark's lines: the default settings, then the largest."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "explorer_update.py")],
                         capture_output=True, text=True, check=True, env=bench_env(), cwd=ROOT)
    return out.stdout.strip().splitlines()


def watch_overhead_row() -> tuple:
    """vanishing.torch.watch on a 20-layer MLP against the same loop without hooks (budget < 30 %)."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "torch_watch_overhead.py")],
                         capture_output=True, text=True, check=True, env=bench_env(), cwd=ROOT)
    overhead, with_hooks, without = (float(x) for x in out.stdout.split("\t"))
    label = "`watch` hook overhead, 20-layer MLP 512 wide, batch 256, float32, 1 thread (CPU time)"
    if math.isnan(overhead):
        return label, "skipped (torch not installed)", "< 30 %", verdict(None)
    return (label, f"{overhead:.0f} % ({with_hooks:.1f} vs {without:.1f} ms per step, medians)",
            "< 30 %", verdict(overhead < 30))


def execute_quietly(client) -> None:
    """Run an nbclient ``client`` with its kernel's stderr passed on, minus the TCP warning."""
    with tempfile.TemporaryFile("w+") as err:
        try:
            client.execute(stderr=err)
        finally:
            err.seek(0)
            sys.stderr.writelines(line for line in err if TCP_WARNING not in line)


def lesson_times(folder: str) -> list:
    import nbformat
    from nbclient import NotebookClient
    rows = []
    for path in sorted((ROOT / folder).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        execute_quietly(NotebookClient(nb, timeout=600, kernel_name="python3",
                                       resources={"metadata": {"path": str(path.parent)}}))
        rows.append((f"{folder}/{path.name}", time.perf_counter() - start))
    return rows


def verdict(ok: bool | None) -> str:
    """The pass/fail column: None when there is nothing to compare with."""
    return "skipped" if ok is None else ("pass" if ok else "**FAIL**")


PROFILE_RATIO = 0.6      # ours at most 0.6x torch's time (median of alternating repeats)


def profile_table(rows: list) -> list:
    """Rows (measurement, result, budget, verdict) for the gradient profile against torch.

    ``rows`` come from profile_mlp.py: (name, median ms, best ms); a torch row with NaN
    times means torch is not installed; a "ratio" row holds ours/torch (the median of the
    per-repeat ratios of alternating runs, then the ratio of the best times), which must be
    at most PROFILE_RATIO.
    """
    table = []
    for name, median, best in rows:
        label = f"gradient profile 50x64x128 float64, 1 thread: {name}"
        if name.startswith("ratio"):
            table.append((label, f"{median:.2f}x (best/best {best:.2f}x)",
                          f"<= {PROFILE_RATIO}x", verdict(median <= PROFILE_RATIO)))
        elif name.startswith("torch") and math.isnan(median):
            label = label.replace(": not installed", "")
            table.append((label, "skipped (torch not installed)", "reference", verdict(None)))
        else:
            table.append((label, f"{median:.2f} ms (best {best:.2f})",
                          "reference" if name.startswith("torch") else "-", "-"))
    return table


def row(*cells) -> None:
    print("| " + " | ".join(cells) + " |", flush=True)


def main(argv) -> int:
    quick = "--quick" in argv
    row("measurement", "result", "budget", "pass/fail")
    print("|---|---:|---|---|")
    t = import_time("import vanishing")
    row("`import vanishing`", f"{t * 1e3:.0f} ms", "< 250 ms", verdict(t < 0.25))
    t = import_time("import vanishing.chain, vanishing.mlp, vanishing.activations")
    row("`import vanishing.chain, vanishing.mlp` (NumPy included)", f"{t * 1e3:.0f} ms",
        "< 250 ms", verdict(t < 0.25))
    for cells in profile_table(profile_rows()):
        row(*cells)
    row(*watch_overhead_row())
    for (label, budget), line in zip((("default settings", 50), ("largest settings", 150)),
                                     explorer_times()):
        mean = re.match(r"(\d+(?:\.\d+)?) ms", line)
        row(f"explorer update, {label}", line.replace(" at the largest settings", ""),
            f"< {budget} ms", verdict(float(mean.group(1)) < budget if mean else None))
    if quick:
        return 0
    total = 0.0
    for folder in ("notebooks", "solutions"):
        for name, seconds in lesson_times(folder):
            total += seconds if folder == "notebooks" else 0.0
            row(f"run `{name}` top to bottom", f"{seconds:.1f} s", "< 20 s", verdict(seconds < 20))
    row("all lessons together", f"{total:.1f} s", "< 120 s", verdict(total < 120))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
