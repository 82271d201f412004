"""Peak memory of the gradient profile against PyTorch, each in a fresh process.

For each (depth, width, batch), one process runs ``vanishing.mlp.gradient_profile``
(sigmoid, Xavier normal: the default) and another does the same work with torch
autograd (weights drawn by torch, the statistics of benchmarks/grid.py). Each reports
its peak resident set size (``ru_maxrss``) and the resident size after its imports;
the table prints both and the ratio of the peaks. The package's size ceilings are
raised for these runs (VANISHING_MAX_BYTES / VANISHING_MAX_WORK).
Run through ``make bench-grid``, which pins one BLAS thread.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIGS = ((1000, 256, 1024), (200, 1024, 128))


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(depth: int, width: int, batch: int) -> None:
    from vanishing.mlp import gradient_profile
    base = rss_mb()
    p = gradient_profile(depth, width, batch)
    print(f"{base:.0f}\t{rss_mb():.0f}\t{p.grad_norm[0]:.6e}")


def run_torch(depth: int, width: int, batch: int) -> None:
    import torch
    from grid import torch_profile_step
    torch.set_num_threads(1)
    base = rss_mb()
    g = torch.Generator().manual_seed(0)
    Ws = [(torch.randn(width, width, dtype=torch.float64, generator=g) / width ** 0.5)
          .requires_grad_() for _ in range(depth)]
    bs = [torch.zeros(width, dtype=torch.float64, requires_grad=True) for _ in range(depth)]
    X = torch.randn(batch, width, dtype=torch.float64, generator=g)
    Y = torch.randn(batch, width, dtype=torch.float64, generator=g)
    norms = torch_profile_step(Ws, bs, [None] * depth, X, Y, "sigmoid", [False] * depth, 1.0)()
    print(f"{base:.0f}\t{rss_mb():.0f}\t{norms[0]:.6e}")


def measure(side: str, depth: int, width: int, batch: int) -> tuple[float, float]:
    env = dict(os.environ, VANISHING_MAX_BYTES=str(10 ** 12), VANISHING_MAX_WORK="1e15",
               PYTHONPATH=os.pathsep.join([str(HERE.parent), str(HERE)]))
    out = subprocess.run([sys.executable, __file__, side, str(depth), str(width), str(batch)],
                         capture_output=True, text=True, check=True, env=env).stdout
    base, peak, _ = out.split("\t")
    return float(base), float(peak)


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("ours", "torch"):
        depth, width, batch = (int(x) for x in argv[1:4])
        (run_ours if argv[0] == "ours" else run_torch)(depth, width, batch)
        return 0
    # not imported here: Linux hands a process's peak RSS on to the children it starts
    if importlib.util.find_spec("torch") is None:
        print("torch is not installed (pip install -e '.[crosscheck]'): nothing to compare with")
        return 0
    print("| depth x width x batch | ours peak MB (after import) | torch peak MB (after import) "
          "| ours/torch |")
    print("|---|---:|---:|---:|")
    for depth, width, batch in CONFIGS:
        ours, theirs = measure("ours", depth, width, batch), measure("torch", depth, width, batch)
        print(f"| {depth} x {width} x {batch} | {ours[1]:.0f} ({ours[0]:.0f}) | "
              f"{theirs[1]:.0f} ({theirs[0]:.0f}) | {ours[1] / theirs[1]:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
