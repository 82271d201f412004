"""The gradient profile against PyTorch on a grid of networks (``make bench-grid``).

For every depth x width x batch x activation x variant (plain, batch norm, residual)
whose memory fits in ``MEMORY_LIMIT``, both sides do the same work on the same
weights and data, in float64 on one thread:

- ours: :func:`vanishing.mlp.layer_statistics` (forward, MSE against targets,
  manual backward and the per-layer statistics of :class:`vanishing.mlp.NetworkStats`);
- torch: the same network with autograd (``F.linear``, ``F.batch_norm`` in training
  mode, the activation, the identity path), ``retain_grad`` on every pre-activation
  for the rms of delta, and the same statistics under ``no_grad``.

The weight draw is outside the timed region on both sides. The two are timed
*alternately* (ours, torch, ours, torch, ...), so a change in the machine's load lands
on both; a row reports the median time of each side and the median of the per-repeat
ratios ours/torch. Before timing, the per-layer gradient norms of the two are compared
(relative 1e-8); a gap is printed in the row beside how far ours move when X moves by one
unit in the last place, which tells an ill-conditioned network from a wrong gradient. Batch norm needs two rows in
training mode, so it is left out at batch 1 (torch refuses it too).

Prints a markdown table, one row per configuration, then a summary; its last line is
the worst ratio. ``--quick`` runs a small subset; ``--only sigmoid,batchnorm`` keeps the
rows whose activation or variant is named; ``--depth 200 --width 256,1024 --batch 32`` keep
those sizes. Run through ``make bench-grid``, which pins one BLAS thread.
"""

from __future__ import annotations

import functools
import itertools
import statistics
import sys
import time

import numpy as np

from vanishing import _check
from vanishing.mlp import MLP, layer_statistics

DEPTHS, WIDTHS, BATCHES = (10, 50, 200), (16, 64, 256, 1024), (1, 32, 1024)
ACTIVATIONS, VARIANTS = ("sigmoid", "relu"), ("plain", "batchnorm", "residual")
MEMORY_LIMIT = 4e9          # bytes: configurations whose estimate is above are left out
SECONDS_PER_SIDE = 0.4      # time budget of one side of one configuration
MIN_REPEATS, MAX_REPEATS = 3, 25


def memory_estimate(depth: int, width: int, batch: int) -> float:
    """Bytes the larger of the two needs: weights and their gradients, and about five
    (batch, width) arrays per layer kept for the backward pass (torch's autograd graph)."""
    return 8.0 * depth * (2 * width * width + 5 * batch * width)


def network(depth: int, width: int, batch: int, activation: str, variant: str):
    init = "xavier_normal" if activation == "sigmoid" else "he_normal"
    net = MLP([width] * (depth + 1), activation=activation, init=init,
              batchnorm=variant == "batchnorm", residual=variant == "residual", seed=0)
    rng = np.random.default_rng([0, 1])
    return net, rng.standard_normal((batch, width)), rng.standard_normal((batch, width))


def torch_step(net: MLP, X: np.ndarray, Y: np.ndarray):
    """torch's version of ``layer_statistics(net, X, Y)``, on tensors sharing our arrays."""
    import torch

    def tensor(a, grad=True):
        return torch.from_numpy(a).requires_grad_(grad)

    bn = [(tensor(g), tensor(be), torch.zeros(len(g), dtype=torch.float64),
           torch.ones(len(g), dtype=torch.float64))
          if g is not None and be is not None else None for g, be in zip(net.gamma, net.beta)]
    return torch_profile_step([tensor(W) for W in net.weights], [tensor(b) for b in net.biases],
                              bn, tensor(X, False), tensor(Y, False), net.activation.name,
                              net.residual, net.residual_scale)


def torch_profile_step(Ws, bs, bn, Xt, Yt, name: str, residual: list[bool], scale: float):
    """A function doing the profile's work with torch autograd; it returns the gradient norms.

    ``Ws``, ``bs``: weights and biases (leaf tensors); ``bn``: per layer None or
    (gamma, beta, running mean, running var); ``name``: "sigmoid" or "relu".
    """
    import torch
    import torch.nn.functional as F

    L = len(Ws)
    f = {"sigmoid": torch.sigmoid, "relu": torch.relu}[name]
    peak = 0.25 if name == "sigmoid" else 1.0

    def step() -> list[float]:
        A, pre, hs = Xt, [], []
        for l in range(L):
            Z = F.linear(A, Ws[l], bs[l])
            Z.retain_grad()
            U = Z if bn[l] is None else F.batch_norm(Z, bn[l][2], bn[l][3], bn[l][0], bn[l][1],
                                                     training=True, momentum=0.1, eps=1e-5)
            H = f(U) if l < L - 1 else U
            A = A + scale * H if residual[l] else H
            pre.append(Z)
            hs.append(H)
        loss = torch.mean((A - Yt) ** 2)
        loss.backward()
        with torch.no_grad():
            rows = []
            for l in range(L):
                H, Z, W = hs[l], pre[l], Ws[l]
                if l == L - 1:
                    fp = torch.ones_like(H)
                elif name == "sigmoid":
                    fp = H * (1 - H)
                else:
                    fp = (H > 0).double()
                saturated = ((fp < 0.1 * peak).double().mean() if name == "sigmoid"
                             else torch.zeros((), dtype=torch.float64))
                dead = ((fp == 0).all(dim=0).double().mean() if name != "sigmoid"
                        else torch.zeros((), dtype=torch.float64))
                rows.append(torch.stack([W.grad.norm(), Z.grad.pow(2).mean().sqrt(), H.mean(),
                                         H.std(unbiased=False), saturated, dead]))
                W.grad = None
            for p in bs + [t for b in bn if b is not None for t in b[:2]]:
                p.grad = None
            return torch.stack(rows)[:, 0].tolist()

    return step


def relative_gap(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1.0)))


def agreement(net: MLP, X: np.ndarray, Y: np.ndarray, torch_norms: list[float]) -> str:
    """Empty when the gradient norms agree with torch's to 1e-8; otherwise how far apart they
    are, beside how far ours move when every entry of X moves by one unit in the last place.
    Deep batch-normed ReLU networks explode their gradients, and with them rounding: there the
    two gaps are alike and the network, not the code, sets the agreement."""
    ours = layer_statistics(net, X, Y).grad_norm
    gap = relative_gap(ours, torch_norms)
    if gap <= 1e-8:
        return ""
    nudged = layer_statistics(net, np.nextafter(X, np.inf), Y).grad_norm
    sensitivity = relative_gap(nudged, ours)
    verdict = "ill-conditioned" if sensitivity >= gap / 100 else "GRADIENTS DISAGREE"
    return f" ({verdict}: {gap:.0e} from torch, {sensitivity:.0e} under a 1-ulp nudge of X)"


def timed_pair(ours, theirs) -> tuple[float, float, float]:
    """Median ms of ours, of theirs, and the median of the per-repeat ratios (alternating)."""
    start = time.perf_counter()
    ours()
    theirs()
    once = time.perf_counter() - start
    repeats = int(min(MAX_REPEATS, max(MIN_REPEATS, 2 * SECONDS_PER_SIDE / max(once, 1e-9))))
    a, b = [], []
    for _ in range(repeats):
        for fn, times in ((ours, a), (theirs, b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    ratios = [x / y for x, y in zip(a, b)]
    return statistics.median(a) * 1e3, statistics.median(b) * 1e3, statistics.median(ratios)


def configurations(quick: bool, only: set[str], sizes: dict[str, tuple[int, ...]]):
    depths, widths, batches = ((10, 50), (16, 64, 256), (1, 32, 1024)) if quick else (
        DEPTHS, WIDTHS, BATCHES)
    depths, widths, batches = (sizes.get("depth", depths), sizes.get("width", widths),
                               sizes.get("batch", batches))
    for depth, width, batch, activation, variant in itertools.product(
            depths, widths, batches, ACTIVATIONS, VARIANTS):
        if variant == "batchnorm" and batch == 1:
            continue
        if memory_estimate(depth, width, batch) > MEMORY_LIMIT:
            continue
        if only and not only & {activation, variant}:
            continue
        yield depth, width, batch, activation, variant


def main(argv: list[str]) -> int:
    try:
        import torch
    except ImportError:
        print("torch is not installed (pip install -e '.[crosscheck]'): nothing to compare with")
        return 0
    torch.set_num_threads(1)
    quick = "--quick" in argv
    only = set(argv[argv.index("--only") + 1].split(",")) if "--only" in argv else set()
    sizes = {name: tuple(int(v) for v in argv[argv.index(f"--{name}") + 1].split(","))
             for name in ("depth", "width", "batch") if f"--{name}" in argv}
    _check.MAX_BYTES, _check.MAX_WORK = int(2 * MEMORY_LIMIT), 1e14     # sizes are chosen here
    print(f"gradient profile, float64, one thread; ours = vanishing, torch {torch.__version__}")
    print("| depth | width | batch | activation | variant | ours ms | torch ms | ours/torch |")
    print("|---:|---:|---:|---|---|---:|---:|---:|")
    results, disagreements = [], 0
    for depth, width, batch, activation, variant in configurations(quick, only, sizes):
        net, X, Y = network(depth, width, batch, activation, variant)
        theirs = torch_step(net, X, Y)
        ours = functools.partial(layer_statistics, net, X, Y)
        note = agreement(net, X, Y, theirs())
        t_ours, t_torch, ratio = timed_pair(ours, theirs)
        print(f"| {depth} | {width} | {batch} | {activation} | {variant} | {t_ours:.3f} | "
              f"{t_torch:.3f} | {ratio:.2f}{note} |", flush=True)
        disagreements += "DISAGREE" in note
        results.append((ratio, f"depth {depth}, width {width}, batch {batch}, {activation}, "
                        f"{variant}"))
    ratios = [r for r, _ in results]
    print(f"\n{len(results)} configurations; median ratio {statistics.median(ratios):.2f}; "
          f"above 1.0: {sum(r > 1.0 for r in ratios)}; gradients that disagree with torch: "
          f"{disagreements} (ill-conditioned networks apart)")
    worst = max(results)
    print(f"worst ratio: {worst[0]:.2f} ({worst[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
