"""Time one gradient-explorer update (compute and redraw) at its default settings.

An update is what happens when a control changes: build both networks
(sigmoid and ReLU, depth 20, width 64, batch 64, he_normal), run forward and
backward, update the figure's lines, titles and limits, render it to PNG and
hand the PNG to the Output widget. Nothing is cached between updates. The
explorer is built headless (no browser, no kernel), so the time excludes only
sending the PNG to the browser.

Prints one line: the mean wall-clock time over 20 updates, with the median, the
slowest, and the mean CPU time of this process (on a busy machine the wall-clock
time also counts waiting for a core; the CPU time does not).
Run through benchmarks/run.py (which pins one BLAS thread), or directly.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vanishing.widgets import gradient_explorer  # noqa: E402

UPDATES = 20


def main() -> None:
    explorer = gradient_explorer()                 # first draw (imports, figure creation)
    for _ in range(2):                             # warm-up: font cache, first renderer
        explorer.update()
    times = []
    cpu = time.process_time()
    for _ in range(UPDATES):
        start = time.perf_counter()
        explorer.update()
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu) / UPDATES
    assert explorer.updates == UPDATES + 3 and explorer.error is None
    print(f"{statistics.mean(times) * 1e3:.0f} ms (mean of {UPDATES}; median "
          f"{statistics.median(times) * 1e3:.0f}, slowest {max(times) * 1e3:.0f}; "
          f"CPU time {cpu * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
