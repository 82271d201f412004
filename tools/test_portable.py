"""Check that every stored output holds under other CPUs' kernels (``make test-portable``).

nbval compares the printed text of every lesson and solution with what is stored.
A learner's machine computes it with other BLAS kernels (another CPU family) and
other NumPy SIMD paths, so the last bits of a float differ. A robust lesson prints
the same text anyway. This runs nbval once per configuration, one at a time:

- ``OPENBLAS_CORETYPE`` = Sandybridge, Haswell, SkylakeX, Zen (OpenBLAS picks that
  family's dgemm kernels; a family this CPU cannot run falls back to one it can);
- NumPy's own SIMD paths above its baseline switched off
  (``NPY_DISABLE_CPU_FEATURES`` = the features ``numpy.show_runtime()`` lists as found).

It names the cells that differ under each configuration and exits 1 if any does.
Usage: python tools/test_portable.py [PATH ...]   (default: notebooks solutions)
"""

import os
import re
import subprocess
import sys
import time

import numpy as np

CORETYPES = ("Sandybridge", "Haswell", "SkylakeX", "Zen")


def found_simd_features() -> list[str]:
    """The SIMD features NumPy found on this CPU beyond its baseline (what can be switched off)."""
    from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f) and f not in __cpu_baseline__]


def configurations() -> list[tuple[str, dict[str, str]]]:
    """(name, environment changes) for every configuration to check."""
    configs = [(f"OPENBLAS_CORETYPE={c}", {"OPENBLAS_CORETYPE": c}) for c in CORETYPES]
    features = found_simd_features()
    if features:
        value = " ".join(features)
        configs.append((f"NPY_DISABLE_CPU_FEATURES={value!r}", {"NPY_DISABLE_CPU_FEATURES": value}))
    return configs


PROBE = ("import numpy as np; a = np.random.default_rng(0).standard_normal((64, 64)); "
         "np.linalg.svd(a @ a); a @ a[0]; a[0] @ a[1]")


def _environment(changes: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")}
    env.update(changes)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def can_run(changes: dict[str, str]) -> bool:
    """Whether this CPU can run that configuration's kernels at all.

    OpenBLAS falls back to an older family for most kernels it cannot run, but not for all: on a CPU
    without AVX-512, SkylakeX dies with "illegal instruction". Such a family is tested on a CPU that
    has it (CI runners usually do), and reported here as skipped.
    """
    probe = subprocess.run([sys.executable, "-c", PROBE], env=_environment(changes), capture_output=True)
    return probe.returncode == 0


def run(name: str, changes: dict[str, str], paths: list[str]) -> list[str]:
    """Run nbval under one configuration; return the ids of the cells that failed."""
    env = _environment(changes)
    cmd = [sys.executable, "-m", "pytest", "-q", "-rf", "-n", "2", "--dist", "loadscope",
           "-m", "not serial", "--nbval-cell-timeout=300", *paths]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    failed = re.findall(r"^FAILED (.+?)(?: - .*)?$", proc.stdout, flags=re.MULTILINE)
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not failed):
        failed.append(f"<pytest exited {proc.returncode}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}>")
    print(f"{name}: {'ok' if not failed else f'{len(failed)} differ'} ({time.perf_counter() - start:.0f} s)",
          flush=True)
    for cell in failed:
        print(f"    {cell}", flush=True)
    return failed


def main(argv: list[str]) -> int:
    paths = argv or ["notebooks", "solutions"]
    print(f"NumPy {np.__version__}; checking {' '.join(paths)} under {len(configurations())} configurations")
    bad = {}
    for name, changes in configurations():
        if not can_run(changes):
            print(f"{name}: skipped (this CPU cannot run its kernels)", flush=True)
        elif cells := run(name, changes, paths):
            bad[name] = cells
    if bad:
        print(f"\n{sum(map(len, bad.values()))} cell(s) differ in {len(bad)} configuration(s).")
        return 1
    print("\nEvery stored output holds under every configuration.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
