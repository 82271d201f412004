r"""A small training loop for :class:`~vanishing.mlp.MLP` that records what a diagnosis needs.

Each step: forward, loss, backward, optional clipping, SGD update; and per
layer the weight-gradient norm, the RMS of delta and the update-to-data ratio
:math:`\lVert \eta\, \partial L/\partial W_l\rVert / \lVert W_l\rVert`.

A run whose loss becomes inf or NaN (an exploding gradient) stops there and
says so in ``diverged_at`` instead of filling the arrays with NaN.

>>> import numpy as np
>>> from vanishing.mlp import MLP
>>> rng = np.random.default_rng(0)
>>> X, Y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
>>> h = train(MLP([2, 8, 1], activation="tanh", init="xavier_normal"), X, Y, steps=20, lr=0.1)
>>> bool(h.loss[-1] < h.loss[0])
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _check, losses, optim

__all__ = ["TrainingHistory", "train"]


@dataclass
class TrainingHistory:
    """What happened during training; per-layer arrays have shape (steps, L), layer 1 first."""

    loss: np.ndarray
    grad_norm: np.ndarray
    delta_rms: np.ndarray
    update_ratio: np.ndarray
    global_norm: np.ndarray
    diverged_at: int | None
    reason: str = "loss not finite"
    # activation statistics per step and layer, as in MLP.stats (None when not recorded)
    act_mean: np.ndarray | None = None
    act_std: np.ndarray | None = None
    saturated: np.ndarray | None = None
    dead: np.ndarray | None = None

    @property
    def steps(self) -> int:
        return len(self.loss)

    def __str__(self) -> str:
        end = (f"diverged ({self.reason}) at step {self.diverged_at}"
               if self.diverged_at is not None else f"final loss {self.loss[-1]:.4g}")
        start = f"loss {self.loss[0]:.4g} -> " if self.steps else ""   # empty if diverged at step 0
        return (f"TrainingHistory: {self.steps} steps, {start}{end}; "
                f"layers: {self.grad_norm.shape[1]}")

    __repr__ = __str__


def train(net, X, Y, steps: int, lr: float, loss: str = "mse", batch_size: int | None = None,
          momentum: float = 0.0, clip_norm: float | None = None, clip_value: float | None = None,
          seed: int = 0) -> TrainingHistory:
    """Train ``net`` on (X, Y) with SGD for ``steps`` steps and record per-layer statistics.

    ``loss`` is "mse" or "bce_with_logits" (then the net's last layer should be
    linear: it outputs logits). ``batch_size=None`` uses the whole set each step.
    """
    from .mlp import MLP
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a vanishing.mlp.MLP, got {type(net).__name__}")
    steps = _check.positive_int(steps, "steps")
    seed = _check.seed(seed)
    X = _check.nonempty(_check.finite_array(X, "X", ndim=2), "X")
    Y = _check.nonempty(_check.finite_array(Y, "Y", ndim=2), "Y")
    if len(X) != len(Y) or Y.shape[1] != net.sizes[-1]:
        raise ValueError(f"Y must have shape (rows of X, n_out) = {(len(X), net.sizes[-1])}, "
                         f"got {Y.shape}")
    if batch_size is not None:
        batch_size = _check.positive_int(batch_size, "batch_size")
    rows = len(X) if batch_size is None else min(batch_size, len(X))
    _check.budget(f"train(steps={steps}) on {rows} rows per step",
                  nbytes=3 * 8 * steps * net.depth,
                  work=steps * (6 * rows * sum(W.size for W in net.weights)
                                + _check.LOOP_COST * net.depth))
    for value, name in ((clip_norm, "clip_norm"), (clip_value, "clip_value")):
        if value is not None and _check.finite_float(value, name) <= 0:
            raise ValueError(f"{name} must be > 0 (or None: no clipping), got {value}")
    loss_fn = losses.get(loss)
    opt = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    rng = np.random.default_rng(seed)
    L = net.depth
    rec = {k: np.full((steps, L), np.nan) for k in ("grad_norm", "delta_rms", "update_ratio")}
    loss_curve, norms, diverged, reason = [], [], None, "loss not finite"
    # A diverging run overflows on purpose; we detect the non-finite loss and stop.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            idx = (slice(None) if batch_size is None
                   else rng.choice(len(X), size=min(batch_size, len(X)), replace=False))
            out = net.forward(X[idx], overflow="allow")
            if not np.all(np.isfinite(out)):     # the loss of an overflowed output is inf/NaN
                diverged = step
                break
            value, grad_out = loss_fn(out, Y[idx])
            if not np.isfinite(value):
                diverged = step
                break
            grads = net.backward(grad_out)
            g = grads.as_list()
            norms.append(optim.global_norm(g))
            if clip_norm is not None and not np.isfinite(norms[-1]):
                norms.pop()                  # an inf/NaN gradient cannot be clipped: it diverged
                diverged, reason = step, "gradient not finite"
                break
            if clip_norm is not None:
                g, _ = optim.clip_by_global_norm(g, clip_norm)
            if clip_value is not None:
                g = optim.clip_by_value(g, clip_value)
            for l in range(L):
                rec["grad_norm"][step, l] = np.linalg.norm(grads.W[l])
                rec["delta_rms"][step, l] = np.sqrt(np.mean(grads.delta[l] ** 2))
                rec["update_ratio"][step, l] = (opt.lr * np.linalg.norm(grads.W[l])
                                                / max(np.linalg.norm(net.weights[l]), 1e-300))
            opt.step(g)
            loss_curve.append(value)
    n = len(loss_curve)
    return TrainingHistory(loss=np.array(loss_curve), global_norm=np.array(norms),
                           diverged_at=diverged, reason=reason,
                           **{k: v[:n] for k, v in rec.items()})
