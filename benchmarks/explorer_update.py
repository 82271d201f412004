"""Time gradient-explorer updates (compute and redraw) at its default and at its largest settings.

An update is what happens when a control changes: build both networks
(sigmoid and ReLU, he_normal, batch 64), run forward and backward, update the
figure's lines, titles and limits, render it to pixels, encode them as PNG and
hand the PNG to the Image widget. Nothing is cached between updates. The
explorer is built headless (no browser, no kernel), so the time excludes only
sending the PNG to the browser.

Two settings:

- default: depth 20, width 64 (budget 50 ms);
- largest: depth 100, width 256, batch norm and residual on (the sliders' ends
  and every layer switched on; budget 150 ms).

Prints one line per setting, default first: the mean wall-clock time of an
update, with the median, the slowest and the mean CPU time of this process (on
a busy machine the wall-clock time also counts waiting for a core; the CPU time
does not). For example::

    31 ms (mean of 20; median 30, slowest 41; CPU time 31 ms)
    140 ms (mean of 10; median 138, slowest 160; CPU time 139 ms) at the largest settings

``--split`` adds, for each setting, the median time of the three steps of an
update (``GradientExplorer.last_split``): compute, draw (artists and pixels), png.
Run through benchmarks/run.py (which pins one BLAS thread), or directly.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vanishing.widgets import DEPTH_RANGE, WIDTH_RANGE, gradient_explorer  # noqa: E402

#: (name, explorer settings, timed updates, suffix of the printed line)
SETTINGS = [
    ("default", {}, 20, ""),
    ("largest", dict(depth=DEPTH_RANGE[1], width=WIDTH_RANGE[1], batchnorm=True, residual=True),
     10, " at the largest settings"),
]
WARM_UP = 2


def time_updates(settings: dict, updates: int) -> tuple[list[float], float, dict[str, float]]:
    """Wall-clock seconds of each of ``updates`` updates, their mean CPU seconds, median split."""
    explorer = gradient_explorer(**settings)       # first draw (imports, figure creation)
    for _ in range(WARM_UP):                       # warm-up: font cache, first renderer
        explorer.update()
    times, splits = [], []
    cpu = time.process_time()
    for _ in range(updates):
        start = time.perf_counter()
        explorer.update()
        times.append(time.perf_counter() - start)
        splits.append(explorer.last_split)
    cpu = (time.process_time() - cpu) / updates
    assert explorer.updates == updates + WARM_UP + 1 and explorer.error is None
    split = {step: statistics.median(s[step] for s in splits) for step in splits[0]}
    return times, cpu, split


def main(argv: list[str]) -> None:
    for name, settings, updates, suffix in SETTINGS:
        times, cpu, split = time_updates(settings, updates)
        print(f"{statistics.mean(times) * 1e3:.0f} ms (mean of {updates}; median "
              f"{statistics.median(times) * 1e3:.0f}, slowest {max(times) * 1e3:.0f}; "
              f"CPU time {cpu * 1e3:.0f} ms){suffix}")
        if "--split" in argv:
            print(f"    {name} split (medians): "
                  + ", ".join(f"{step} {seconds * 1e3:.1f} ms" for step, seconds in split.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
