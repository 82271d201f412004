"""The cost of ``vanishing.torch.watch`` on a training loop (``make bench``; budget: under 30 %).

A 20-layer MLP (width 512, ReLU, float32, PyTorch's defaults) on a batch of 256, trained with SGD
and momentum on one thread. The same loop runs with a watcher (hooks on, ``watcher.step(loss)``
after every optimiser step) and without, alternating: a block of STEPS steps of one, then of the
other, ROUNDS times, so that a change of machine load hits both sides alike. Times are the
process's CPU time (one thread: the work done, much less sensitive than the wall clock to other
programs on a busy machine). The overhead is median(with) / median(without) - 1 over the blocks'
per-step times.

What the hooks add is elementwise work (a few passes over every layer's activations, error
signal and weights) and a few Python calls per layer, while a layer's matrix products grow with
the square of its width: the relative overhead falls as 1 / width. A narrower or smaller network
pays more (at width 256 it is about twice the figure at width 512).

Prints one line: ``<overhead %>\t<ms per step with hooks>\t<ms per step without>``.
Without torch it prints ``nan\tnan\tnan``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEPTH, WIDTH, BATCH = 20, 512, 256
STEPS, ROUNDS, WARMUP = 5, 11, 2


def model_and_data(torch):
    torch.manual_seed(0)
    nn = torch.nn
    layers = []
    for _ in range(DEPTH - 1):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(WIDTH, 1))
    X, Y = torch.randn(BATCH, WIDTH), torch.randn(BATCH, 1)
    return model, X, Y


def block(torch, model, optimizer, X, Y, watcher=None) -> float:
    """CPU seconds per step over STEPS steps."""
    start = time.process_time()
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), Y)
        loss.backward()
        optimizer.step()
        if watcher is not None:
            watcher.step(loss)
    return (time.process_time() - start) / STEPS


def measure() -> tuple[float, float, float]:
    import torch

    from vanishing.torch import watch
    torch.set_num_threads(1)
    model, X, Y = model_and_data(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    with_hooks, without = [], []
    for _ in range(WARMUP):
        block(torch, model, optimizer, X, Y)
    for _ in range(ROUNDS):
        without.append(block(torch, model, optimizer, X, Y))
        with watch(model) as watcher:
            with_hooks.append(block(torch, model, optimizer, X, Y, watcher))
    a, b = statistics.median(with_hooks), statistics.median(without)
    return a / b - 1.0, a, b


def main() -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        print("nan\tnan\tnan")
        return 0
    overhead, a, b = measure()
    print(f"{overhead * 100:.1f}\t{a * 1e3:.2f}\t{b * 1e3:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
