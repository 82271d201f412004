"""Measure the course's speed budgets and print a table (``make bench``).

Budgets (DESIGN.md):
- ``import vanishing`` (with its numeric modules): < 0.25 s
- per-layer gradient profile, 50 layers x width 64 x batch 128, float64: faster than PyTorch
  CPU autograd doing the same on one thread (when torch is importable)
- one explorer update (compute and redraw) at default settings: < 100 ms
- every lesson top to bottom: < 20 s each, < 120 s all together

Timed numeric commands run in a subprocess with one BLAS thread and without the
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides of this workplace (they slow a
current NumPy; see TOOLCHAIN.md). Tests and CI never change them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def explorer_time() -> str:
    code = ROOT / "benchmarks" / "explorer_update.py"
    if not code.exists():
        return "not measured (no benchmarks/explorer_update.py)"
    out = subprocess.run([sys.executable, str(code)], capture_output=True, text=True,
                         check=True, env=bench_env(), cwd=ROOT)
    return out.stdout.strip()


def lesson_times(folder: str) -> list:
    import nbformat
    from nbclient import NotebookClient
    rows = []
    for path in sorted((ROOT / folder).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        rows.append((f"{folder}/{path.name}", time.perf_counter() - start))
    return rows


def main(argv) -> int:
    quick = "--quick" in argv
    print("| measurement | result | budget |")
    print("|---|---:|---|")
    t = import_time("import vanishing")
    print(f"| `import vanishing` | {t * 1e3:.0f} ms | < 250 ms |")
    t = import_time("import vanishing.chain, vanishing.mlp, vanishing.activations")
    print(f"| `import vanishing.chain, vanishing.mlp` (NumPy included) | {t * 1e3:.0f} ms | < 250 ms |")
    for name, median, best in profile_rows():
        print(f"| gradient profile 50x64x128 float64, 1 thread: {name} "
              f"| {median:.2f} ms (best {best:.2f}) | faster than torch |")
    print(f"| explorer update, default settings | {explorer_time()} | < 100 ms |")
    if quick:
        return 0
    total = 0.0
    for folder in ("notebooks", "solutions"):
        for name, seconds in lesson_times(folder):
            total += seconds if folder == "notebooks" else 0.0
            print(f"| run `{name}` top to bottom | {seconds:.1f} s | < 20 s |")
    print(f"| all lessons together | {total:.1f} s | < 120 s |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
