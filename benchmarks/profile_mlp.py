"""Time the per-layer gradient profile of a 50-layer, width-64 MLP on a batch of 128 (float64).

Ours (vanishing.mlp.layer_statistics: forward, manual backward, per-layer statistics) beside
PyTorch CPU autograd doing the same work, when torch is importable. Both on
one thread, and *alternating*: repeat k times ours then torch, so that a change in the
machine's load lands on both sides rather than on one. Prints one line per contender
(name, median ms, best ms) and a ratio line (ours/torch: the median of the per-repeat
ratios, and the ratio of the best times). Run through benchmarks/run.py, which pins the threads.
"""

import statistics
import sys
import time

import grid  # benchmarks/grid.py: torch doing the same work
import numpy as np

DEPTH, WIDTH, BATCH, REPEATS = 50, 64, 128, 30


def timed(fn, repeats=REPEATS):
    """(median ms, best ms) of ``repeats`` calls after one warm-up call."""
    return timed_pair(fn, None, repeats)[0]


def timed_pair(fn_a, fn_b, repeats=REPEATS):
    """Time fn_a and fn_b alternately: [(median ms, best ms) of a, of b], and a's times / b's."""
    fns = [f for f in (fn_a, fn_b) if f is not None]
    for fn in fns:
        fn()                                       # warm-up
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    out = [(statistics.median(t) * 1e3, min(t) * 1e3) for t in times]
    ratios = [a / b for a, b in zip(*times)] if len(times) == 2 else []
    return out + [ratios]


def ours(activation, init):
    from vanishing.mlp import MLP, gradient_profile, layer_statistics

    net = MLP([WIDTH] * (DEPTH + 1), activation=activation, init=init, seed=0)
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((BATCH, WIDTH)), rng.standard_normal((BATCH, WIDTH))

    def step():
        return layer_statistics(net, X, Y)

    end_to_end = timed(lambda: gradient_profile(DEPTH, WIDTH, BATCH, activation, init))
    return net, X, Y, step, end_to_end


def main():
    rows = []
    for activation, init in (("sigmoid", "xavier_normal"), ("relu", "he_normal")):
        net, X, Y, step, t_e2e = ours(activation, init)
        try:
            import torch
        except ImportError:
            rows.append((f"ours, {activation}: forward+backward+stats", *timed(step)))
            rows.append((f"ours, {activation}: gradient_profile() end to end", *t_e2e))
            rows.append((f"torch, {activation}: not installed", float("nan"), float("nan")))
            continue
        torch.set_num_threads(1)
        torch_step = grid.torch_step(net, X, Y)            # the grid benchmark's reference
        t_ours, t_torch, ratios = timed_pair(step, torch_step)
        agree = np.allclose(torch_step(), step().grad_norm, rtol=1e-9, atol=0)
        rows.append((f"ours, {activation}: forward+backward+stats", *t_ours))
        rows.append((f"ours, {activation}: gradient_profile() end to end", *t_e2e))
        rows.append((f"torch {torch.__version__}, {activation}: autograd+stats"
                     f"{'' if agree else ' (GRADIENTS DISAGREE)'}", *t_torch))
        rows.append((f"ratio, {activation}: ours/torch", statistics.median(ratios),
                     t_ours[1] / t_torch[1]))
    for name, median, best in rows:
        print(f"{name}\t{median:.3f}\t{best:.3f}")


if __name__ == "__main__":
    sys.exit(main())
