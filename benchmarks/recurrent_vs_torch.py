"""Time backpropagation through time: the package's RNN, LSTM and GRU beside PyTorch (float64, one thread).

One timed call is one forward pass, the loss and the full BPTT:

* ours: ``net.loss_and_gradients(X, y)``, which returns every parameter's gradient *and*
  dOut/dh_t for every t (the total derivative through every later step);
* torch: the same network in float64 autograd, the same loss, ``torch.autograd.grad``.

The torch side of each row:

* ``rnn``  : ``torch.nn.RNN(nonlinearity="tanh")`` with our weights copied in;
* ``lstm`` : ``torch.nn.LSTM``, our gate blocks (i, f, o, g) copied in torch's order (i, f, g, o);
* ``gru``  : a torch loop of OUR equations (Cho et al. 2014: the reset gate acts before the
  matrix product, W_hh (r * h)), with the same stacked products as ours; it returns dOut/dh_t
  for every t too, so both sides do the same work;
* ``gru-after``: our ``GRU(reset="after")`` beside ``torch.nn.GRU`` (gates (r, z, n); torch's
  second bias b_hn is our ``b_hh``, its other hidden biases are 0).

``torch.nn.RNN``/``LSTM``/``GRU`` give only the parameter gradients (a fused layer has no
per-step state to differentiate), so on those rows torch does less work than ours.
Before timing, every point checks that both sides give the same gradients (relative
1e-9 of each array's largest entry) and prints a disagreement loudly.

Sizes: n_in = 8, n_out = 1 (a logit, binary cross-entropy), T in (10, 100, 1000), hidden in
(16, 64, 256), batch in (1, 32). The two sides alternate (ours, torch, ours, torch, ...); each
point repeats at least 3 times and about 0.3 s per side. The table reports the median and
best ms of each side and ours/torch as the median of the per-repeat ratios; the worst ratio
is printed last. ``--quick`` runs a small subset, ``--point rnn,100,64,32`` one point (repeatable).
The exit code is always 0.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/recurrent_vs_torch.py [--quick]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vanishing.recurrent import GRU, LSTM, RNN, RecurrentNetwork  # noqa: E402

N_IN, N_OUT = 8, 1
CELLS = ("rnn", "lstm", "gru", "gru-after")
TS, HIDDENS, BATCHES = (10, 100, 1000), (16, 64, 256), (1, 32)
QUICK = [(cell, T, n_h, b) for cell in CELLS for T, n_h, b in ((100, 16, 1), (100, 64, 32))]
BUDGET_S, MIN_REPEATS, MAX_REPEATS = 0.3, 3, 200
RTOL = 1e-9


def make_ours(cell: str, n_h: int) -> RecurrentNetwork:
    """A network with every bias moved off its initial value (so each one is exercised)."""
    net = {"rnn": lambda: RNN(N_IN, n_h, N_OUT, seed=0),
           "lstm": lambda: LSTM(N_IN, n_h, N_OUT, seed=0),
           "gru": lambda: GRU(N_IN, n_h, N_OUT, seed=0),
           "gru-after": lambda: GRU(N_IN, n_h, N_OUT, seed=0, reset="after")}[cell]()
    rng = np.random.default_rng(1)
    for name, value in net.params.items():
        if name.startswith("b_"):
            net.set_param(name, value + rng.normal(0.0, 0.3, value.shape))
    return net


def data(batch: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    return rng.normal(0.0, 0.5, (batch, T, N_IN)), rng.integers(0, 2, (batch, N_OUT)).astype(float)


class TorchSide:
    """The torch contender for one point: ``run()`` -> {name: gradient} as NumPy arrays."""

    def __init__(self, torch, cell: str, net: RecurrentNetwork, X: np.ndarray, y: np.ndarray):
        self.torch, self.cell, self.net, n = torch, cell, net, net.n_hidden
        self.x, self.y = torch.tensor(X), torch.tensor(y)
        P = net.params
        self.W_hy, self.b_y = (torch.tensor(P[k], requires_grad=True) for k in ("W_hy", "b_y"))
        if cell == "gru":                                  # our equations, stacked like ours
            self.W_x, self.W_h, self.b = (torch.tensor(a, requires_grad=True)
                                          for a in (net.W_x, net.W_h, net.b))
            self.leaves = [self.W_x, self.W_h, self.b]
            return
        order = {"rnn": "h", "lstm": "ifgo", "gru-after": "rzh"}[cell]
        kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru-after": torch.nn.GRU}[cell]
        self.layer = kind(N_IN, n, batch_first=True, dtype=torch.float64)
        stack = lambda prefix: torch.tensor(np.concatenate([P[f"{prefix}{g}"] for g in order]))  # noqa: E731
        with torch.no_grad():
            self.layer.weight_ih_l0.copy_(stack("W_x"))
            self.layer.weight_hh_l0.copy_(stack("W_h"))
            self.layer.bias_ih_l0.copy_(stack("b_"))
            self.layer.bias_hh_l0.zero_()
            if cell == "gru-after":
                self.layer.bias_hh_l0[2 * n:] = torch.tensor(P["b_hh"])
        self.leaves = list(self.layer.parameters())
        self.order = order

    def _gru_loop(self):
        """Our GRU (reset before the product) unrolled in torch; returns (y, [h_1..h_T])."""
        torch, n = self.torch, self.net.n_hidden
        U = self.x @ self.W_x.T + self.b                   # input terms for every t at once
        W_zr, W_hh = self.W_h[:2 * n], self.W_h[2 * n:]
        h = torch.zeros(self.x.shape[0], n, dtype=torch.float64)
        hs = []
        for u in U.unbind(1):          # not U[:, t]: its backward would fill a zero U per step
            zr = torch.sigmoid(u[:, :2 * n] + h @ W_zr.T)
            z, r = zr[:, :n], zr[:, n:]
            h_cand = torch.tanh(u[:, 2 * n:] + (r * h) @ W_hh.T)
            h = z * h + (1.0 - z) * h_cand
            hs.append(h)
        return h, hs

    def run(self) -> dict[str, np.ndarray]:
        torch = self.torch
        if self.cell == "gru":
            h_T, hs = self._gru_loop()
        else:
            _, state = self.layer(self.x)
            h_T, hs = (state[0] if isinstance(state, tuple) else state)[0], []
        logits = h_T @ self.W_hy.T + self.b_y
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, self.y)
        found = torch.autograd.grad(loss, [*self.leaves, self.W_hy, self.b_y, *hs])
        return self._named([g.numpy() for g in found])

    def _named(self, found: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Torch's gradients under our names (and "dh" for the GRU loop)."""
        n, k = self.net.n_hidden, len(self.leaves)
        out = {"W_hy": found[k], "b_y": found[k + 1]}
        if self.cell == "gru":
            for prefix, g in zip(("W_x", "W_h", "b_"), found[:3]):
                for j, gate in enumerate(self.net.gates):
                    out[f"{prefix}{gate}"] = g[j * n:(j + 1) * n]
            out["dh"] = np.stack(found[k + 2:], axis=1)
            return out
        W_ih, W_hh, b_ih, b_hh = found[:4]
        for j, gate in enumerate(self.order):
            rows = slice(j * n, (j + 1) * n)
            out[f"W_x{gate}"], out[f"W_h{gate}"], out[f"b_{gate}"] = W_ih[rows], W_hh[rows], b_ih[rows]
        if self.cell == "gru-after":
            out["b_hh"] = b_hh[2 * n:]
        return out


def disagreement(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> tuple[float, str]:
    """The worst relative difference (to each array's largest entry) and where it is."""
    worst, where = 0.0, ""
    for name, g in theirs.items():
        scale = max(float(np.max(np.abs(g))), 1e-300)
        err = float(np.max(np.abs(ours[name] - g))) / scale
        if err > worst:
            worst, where = err, name
    return worst, where


def measure(torch, cell: str, T: int, n_h: int, batch: int) -> dict:
    net = make_ours(cell, n_h)
    X, y = data(batch, T)
    side = TorchSide(torch, cell, net, X, y)

    def ours():
        return net.loss_and_gradients(X, y)[1]

    start = time.perf_counter()
    mine, theirs = ours(), side.run()            # warm-up, agreement check and cost estimate
    per_pair = time.perf_counter() - start
    err, where = disagreement(dict(mine.params, dh=mine.dh), theirs)
    repeats = int(min(MAX_REPEATS, max(MIN_REPEATS, 2 * BUDGET_S / max(per_pair, 1e-9))))
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):                                 # alternate: ours, torch, ours, ...
        for fn, out in ((ours, times[0]), (side.run, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(*times)]
    return {"cell": cell, "T": T, "hidden": n_h, "batch": batch, "repeats": repeats,
            "ours": statistics.median(times[0]) * 1e3, "ours_min": min(times[0]) * 1e3,
            "torch": statistics.median(times[1]) * 1e3, "torch_min": min(times[1]) * 1e3,
            "ratio": statistics.median(ratios), "err": err, "where": where}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset of the grid")
    parser.add_argument("--cells", default=",".join(CELLS), help=f"comma-separated subset of {CELLS}")
    parser.add_argument("--point", action="append", default=[], metavar="CELL,T,HIDDEN,BATCH",
                        help="measure only this point (repeatable), e.g. to re-measure the worst")
    args = parser.parse_args(argv)
    cells = [c for c in args.cells.split(",") if c in CELLS]
    try:
        import torch
    except ImportError:
        print("torch is not installed: nothing to compare with (pip install -e '.[crosscheck]')")
        return 0
    torch.set_num_threads(1)
    points = ([p for p in QUICK if p[0] in cells] if args.quick else
              [(c, T, n, b) for c in cells for T in TS for n in HIDDENS for b in BATCHES])
    if args.point:
        points = [(c, int(T), int(n), int(b)) for c, T, n, b in (p.split(",") for p in args.point)]
    print(f"BPTT, float64, one thread; n_in = {N_IN}, n_out = {N_OUT}; torch {torch.__version__}, "
          f"numpy {np.__version__}\n")
    print("| cell | T | hidden | batch | repeats | ours ms (median / best) | torch ms (median / best) "
          "| ours/torch | max rel. diff |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows, bad = [], []
    for point in points:
        r = measure(torch, *point)
        rows.append(r)
        flag = "" if r["err"] <= RTOL else f" **DISAGREE in {r['where']}**"
        if flag:
            bad.append(r)
        print(f"| {r['cell']} | {r['T']} | {r['hidden']} | {r['batch']} | {r['repeats']} "
              f"| {r['ours']:.3f} / {r['ours_min']:.3f} | {r['torch']:.3f} / {r['torch_min']:.3f} "
              f"| {r['ratio']:.2f} | {r['err']:.1e}{flag} |", flush=True)
    for r in bad:
        print(f"!!! GRADIENTS DISAGREE: {r['cell']} T={r['T']} hidden={r['hidden']} "
              f"batch={r['batch']}: {r['where']} off by {r['err']:.2e} (relative; limit {RTOL:g})")
    ratios = [r["ratio"] for r in rows]
    print(f"\nmedian ratio: {statistics.median(ratios):.2f}; points above 1.0: "
          f"{sum(x > 1.0 for x in ratios)} of {len(ratios)}")
    w = max(rows, key=lambda r: r["ratio"])
    print(f"worst ratio: {w['ratio']:.2f} ({w['cell']}, T={w['T']}, hidden={w['hidden']}, "
          f"batch={w['batch']})")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as error:                                 # exit code 0 always, but say why
        print(f"benchmark failed: {type(error).__name__}: {error}")
    sys.exit(0)
