r"""Gradient norm against time lag: how much of the loss's gradient reaches each step back.

For a recurrent network unrolled over T steps, the lag of step t is :math:`k = T - t`.
:func:`gradient_vs_lag` runs one batch forward and backward through time and reads
:math:`\lVert\partial\,\mathrm{Out}/\partial h_{T-k}\rVert` for every k; the
:class:`LagProfile` it returns prints the ratios to lag 0 (geometric decay: vanishing;
growth: exploding) and, for the gated cells, the product of forget (LSTM) or update (GRU)
gates along the direct path, which is what lets those cells carry a gradient far back.

>>> p = gradient_vs_lag("rnn", T=20, n_hidden=8, recurrent_scale=0.5)
>>> bool(p.ratio[-1] < 0.5 ** 10)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _check, losses
from .data import memory_task
from .recurrent import RecurrentNetwork, make_network
from .table import Table

__all__ = ["LagProfile", "gradient_vs_lag"]

@dataclass(repr=False)
class LagProfile(Table):
    r"""How :math:`\lVert\partial\,\mathrm{Out}/\partial h_t\rVert` changes with the lag k = T - t.

    Arrays are indexed by lag, k = 0..T-1 (k = 0 is the last step, t = T).
    ``dh_norm[k]``: :math:`\lVert\partial\,\mathrm{Out}/\partial h_{T-k}\rVert` (Frobenius over
    batch and units). ``dc_norm``: the same for the LSTM's cell state (else None).
    ``gate_product[k]``: mean over batch and units of the product of the per-step gate
    factors over the k steps after t (LSTM: forget gates :math:`\prod_{s=t+1}^{T} f_s`; GRU:
    update gates :math:`\prod z_s`; RNN: None).
    ``path_norm[k]``: what that path alone carries back, :math:`\lVert \bar c_T \odot \prod f_s\rVert`
    (LSTM) or :math:`\lVert \bar h_T \odot \prod z_s\rVert` (GRU).
    """

    cell: str
    T: int
    dh_norm: np.ndarray
    dc_norm: np.ndarray | None
    gate_product: np.ndarray | None
    path_norm: np.ndarray | None
    out: str
    title: str = ""

    @property
    def lag(self) -> np.ndarray:
        return np.arange(self.T)

    @property
    def ratio(self) -> np.ndarray:
        r"""||dOut/dh_{T-k}|| / ||dOut/dh_T||, indexed by lag k (nan where both are 0 or inf)."""
        with np.errstate(invalid="ignore", divide="ignore"):   # 0/0 or inf/inf: shown as nan
            return self.dh_norm / self.dh_norm[0]

    @property
    def dc_ratio(self) -> np.ndarray | None:
        r"""||dOut/dc_{T-k}|| / ||dOut/dc_T||, indexed by lag k (LSTM only, else None)."""
        if self.dc_norm is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.dc_norm / self.dc_norm[0]

    @property
    def per_step_factor(self) -> float:
        """Geometric mean change per step back, (ratio at the largest lag)^(1/(T-1)); nan if T = 1."""
        if self.T < 2:
            return float("nan")
        r = float(self.ratio[-1])
        if r == np.inf:
            return r
        if not np.isfinite(r) or r <= 0:
            return float("nan")
        return float(r ** (1.0 / (self.T - 1)))

    def lags_shown(self) -> list[int]:
        """The lags in the table: 0, 1, 2, 5, 10, 20, 50, ... below T - 1, and T - 1."""
        shown = [k for k in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
                 if k < self.T - 1]
        return shown + [self.T - 1] if self.T > 1 else [0]

    def _columns(self) -> list[str]:
        cols = ["lag k", "t", "||dOut/dh_t||", "ratio to k=0"]
        if self.dc_norm is not None:
            cols += ["||dOut/dc_t||"]
        if self.gate_product is not None:
            cols += ["mean prod f" if self.cell == "lstm" else "mean prod z", "gate path only"]
        return cols

    def rows(self) -> list[list[str]]:
        rows = []
        ratio = self.ratio
        for k in self.lags_shown():
            r = [str(k), str(self.T - k), f"{self.dh_norm[k]:.3e}", f"{ratio[k]:.3e}"]
            if self.dc_norm is not None:
                r.append(f"{self.dc_norm[k]:.3e}")
            if self.gate_product is not None:
                assert self.path_norm is not None, "gradient_vs_lag sets both or neither"
                r += [f"{self.gate_product[k]:.3e}", f"{self.path_norm[k]:.3e}"]
            rows.append(r)
        return rows

    def _title(self) -> str:
        return (self.title or f"{self.cell.upper()}, T = {self.T}") + f"; Out = {self.out}"


def _reverse_cumprod(gate: np.ndarray) -> np.ndarray:
    r"""P[:, t-1] = prod_{s=t+1}^{T} gate_s (1 for t = T), for gate of shape (batch, T, n_h)."""
    ones = np.ones_like(gate[:, :1])
    shifted = np.concatenate([gate[:, 1:], ones], axis=1)        # gate_{t+1}, ..., 1
    return np.cumprod(shifted[:, ::-1], axis=1)[:, ::-1]


def _beyond_as_inf(norms: np.ndarray) -> np.ndarray:
    """Norms with NaN (an overflow that met 0 or -inf) written as inf."""
    return np.where(np.isnan(norms), np.inf, norms)


def gradient_vs_lag(cell: str | RecurrentNetwork, T: int | None = None,
                    X: npt.ArrayLike | None = None, y: npt.ArrayLike | None = None,
                    batch: int = 32, input_scale: float = 1.0, loss: str = "bce_with_logits",
                    seed: int = 0, title: str = "", **network_kwargs: Any) -> LagProfile:
    r"""Per-lag gradient norms :math:`\lVert\partial\,\mathrm{Out}/\partial h_{T-k}\rVert` of one batch.

    ``cell``: a network (:class:`RNN`, :class:`LSTM`, :class:`GRU`) or a name "rnn", "lstm",
    "gru" (built by :func:`make_network` with ``network_kwargs`` and ``n_in=1``).
    The batch is ``X`` (shape (batch, T, n_in)) with labels ``y``, or by default the memory
    task (:func:`vanishing.data.memory_task` with lag T, ``batch`` sequences); either way the
    inputs are multiplied by ``input_scale``. Out is ``loss`` (mean binary cross-entropy on the logits, or MSE)
    against the labels. An exploding profile may overflow float64: the table then shows
    inf, which is the honest answer (the overflow is expected, so it is not warned about).
    If even the readout overflows (inf - inf), every lag reads inf.

    """
    if isinstance(cell, str):
        net = make_network(cell, **{"n_in": 1, **network_kwargs})
    elif isinstance(cell, RecurrentNetwork):
        if network_kwargs:
            raise TypeError(f"gradient_vs_lag: got a network, so no network options are "
                            f"allowed; got {sorted(network_kwargs)}")
        net = cell
    else:
        raise TypeError(f"cell must be 'rnn', 'lstm', 'gru' or a RecurrentNetwork, "
                        f"got {type(cell).__name__}")
    input_scale = _check.finite_float(input_scale, "input_scale")
    if X is None:
        if T is None:
            raise ValueError("gradient_vs_lag needs T (the sequence length) or X")
        T = _check.positive_int(T, "T")
        batch = _check.positive_int(batch, "batch")
        _check.budget(f"gradient_vs_lag(T={T}, batch={batch})", nbytes=net.bptt_bytes(batch, T))
        if net.n_in != 1:
            raise ValueError(f"the default memory task has n_in = 1, the network has "
                             f"n_in = {net.n_in}: pass X and y")
        X, y_task = memory_task(_check.positive_int(batch, "batch"), lag=T, seed=seed)
        X = input_scale * X
        y = y_task if y is None else y
    else:
        X = input_scale * net._check_X(X)
        if T is not None and T != X.shape[1]:
            raise ValueError(f"T = {T} does not match X's {X.shape[1]} steps")
        if y is None:
            raise ValueError("pass the labels y together with X")
    loss_fn = losses.get(loss)
    with np.errstate(over="ignore", invalid="ignore"):     # an exploding profile may overflow
        logits = net.forward(X)
        if np.isnan(logits).any():       # inf - inf in the readout: the state itself overflowed
            G = np.full(logits.shape, np.nan)
        else:                            # a logit of +-inf: the loss gradient has the same limit
            big = np.finfo(np.float64).max                 # at the largest float
            _, G = loss_fn(np.clip(logits, -big, big), y)
        grads = net.backward(G, overflow="allow")
        # an overflow in the backward pass gives inf, or NaN where inf meets 0 or -inf: both
        # mean "beyond float64", reported as inf
        dh_norm = _beyond_as_inf(grads.dh_norm()[::-1])    # index by lag k = T - t
        dc = grads.dc_norm()                               # None when grads.dc is None
        dc_norm = None if dc is None else _beyond_as_inf(dc)
        gate_product: np.ndarray | None = None
        path_norm: np.ndarray | None = None
        gate = grads.gates.get("f", grads.gates.get("z"))
        if gate is not None:
            prod = _reverse_cumprod(gate)
            gate_product = prod.mean(axis=(0, 2))[::-1]
            end = grads.dc[:, -1] if grads.dc is not None else grads.dh[:, -1]
            carried = end[:, None, :] * prod
            path_norm = _beyond_as_inf(np.sqrt(np.einsum("btj,btj->t", carried, carried))[::-1])
    out = {"bce_with_logits": "mean BCE of the readout's logits",
           "mse": "MSE of the readout"}.get(loss, str(loss))
    return LagProfile(cell=net.cell, T=X.shape[1], dh_norm=dh_norm,
                      dc_norm=None if dc_norm is None else dc_norm[::-1],
                      gate_product=gate_product, path_norm=path_norm,
                      out=out + f", batch {X.shape[0]}", title=title or repr(net))
