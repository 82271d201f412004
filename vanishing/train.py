r"""One training loop for every network of the package, recording what a diagnosis needs.

:func:`fit` trains an :class:`~vanishing.mlp.MLP` or a recurrent network
(:mod:`vanishing.recurrent`) the same way. Each step: forward, loss, backward, the global
gradient norm, optional clipping (by global norm, then by value), one optimizer update;
and per layer (each weight matrix :math:`W_l`, layer 1 first) the weight-gradient norm,
the RMS of :math:`\delta_l` (where the model has one) and the update-to-data ratio

.. math:: r_l = \frac{\lVert W_l^{\text{after}} - W_l^{\text{before}}\rVert}{\lVert W_l^{\text{before}}\rVert},

measured from the actual change, so it is right for momentum, Adam and clipping too (for
plain SGD it is :math:`\eta\,\lVert\partial L/\partial W_l\rVert / \lVert W_l\rVert`).

The same divergence rule holds for every model: a step whose output, loss or gradient
norm is inf or NaN (an exploding gradient) stops training, and the history says where in
``diverged_at`` and what in ``reason``, instead of filling its arrays with NaN.

A model only needs four things: ``parameters()`` (the arrays the optimizer updates in
place), ``weights`` (the weight matrix of each layer), ``check_data(X, Y)`` and
``loss_and_gradients(X, Y, loss)``, whose gradients have ``as_list()`` (in the order of
``parameters()``) and ``W`` (one per layer).

>>> import numpy as np
>>> from vanishing.mlp import MLP
>>> rng = np.random.default_rng(0)
>>> X, Y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
>>> h = fit(MLP([2, 8, 1], activation="tanh", init="xavier_normal"), X, Y, steps=20, lr=0.1)
>>> bool(h.loss[-1] < h.loss[0]), h.grad_norm.shape
(True, (20, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from . import _check, losses, optim
from .mlp import _norm  # the Frobenius norm, as one BLAS dot product
from .table import Table

if TYPE_CHECKING:
    from .mlp import MLP, Gradients
    from .recurrent import BPTTGradients, RecurrentNetwork

__all__ = ["TrainingHistory", "fit", "OPTIMIZERS"]

OPTIMIZERS = ("sgd", "adam")
_MODEL_API = ("parameters", "weights", "check_data", "training_cost", "forward", "backward")


@dataclass(repr=False)
class TrainingHistory(Table):
    """What happened during training, one entry per completed step.

    Per-layer arrays have shape (steps, L), layer 1 first: ``grad_norm`` (of dLoss/dW_l),
    ``delta_rms`` (``None`` for a model without per-layer deltas, such as a recurrent
    network) and ``update_ratio``. Per step: ``loss``, ``global_norm`` (all gradients
    together, before clipping), ``clipped`` (whether clipping changed the gradient) and
    ``accuracy`` (the share of logits with the label's sign; only for "bce_with_logits").
    ``diverged_at``: the step whose output, loss or gradient was inf/NaN, or None.
    ``act_mean``, ``act_std``, ``saturated``, ``dead``: per-layer activation statistics
    when a recorder filled them in (as :meth:`vanishing.mlp.MLP.stats` defines them).
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    delta_rms: np.ndarray | None
    update_ratio: np.ndarray
    global_norm: np.ndarray
    diverged_at: int | None
    reason: str = "loss not finite"
    clipped: np.ndarray | None = None
    accuracy: np.ndarray | None = None
    act_mean: np.ndarray | None = None
    act_std: np.ndarray | None = None
    saturated: np.ndarray | None = None
    dead: np.ndarray | None = None
    layers: tuple[str, ...] = ()     # each layer's name in the table (default: 1..L)

    @property
    def steps(self) -> int:
        return len(self.loss)

    def _title(self) -> str:
        end = (f"diverged ({self.reason}) at step {self.diverged_at}"
               if self.diverged_at is not None else f"final loss {self.loss[-1]:.4g}")
        start = f"loss {self.loss[0]:.4g} -> " if self.steps else ""   # empty if diverged at step 0
        clipped = (f"; clipped {int(np.sum(self.clipped))} of {self.steps} steps"
                   if self.clipped is not None and np.any(self.clipped) else "")
        return f"TrainingHistory: {self.steps} steps, {start}{end}{clipped}"

    _COLUMNS = ("layer", "|dW| first", "|dW| last", "median update ratio")

    def rows(self) -> list[list[str]]:
        if not self.steps:
            return []
        u = np.median(self.update_ratio, axis=0)
        names = self.layers or tuple(str(l + 1) for l in range(self.grad_norm.shape[1]))
        return [[names[l], f"{self.grad_norm[0, l]:.3e}", f"{self.grad_norm[-1, l]:.3e}",
                 f"{u[l]:.2e}"] for l in range(self.grad_norm.shape[1])]


def fit(model: MLP | RecurrentNetwork, X: npt.ArrayLike, Y: npt.ArrayLike, steps: int, lr: float,
        loss: str = "mse", optimizer: str = "sgd", momentum: float = 0.0,
        batch_size: int | None = None, clip_norm: float | None = None,
        clip_value: float | None = None, seed: int = 0) -> TrainingHistory:
    """Train ``model`` on (X, Y) for ``steps`` steps and record per-layer statistics.

    ``loss``: "mse" or "bce_with_logits" (then the model outputs logits).
    ``optimizer``: "sgd" (with ``momentum``) or "adam", with learning rate ``lr``.
    ``batch_size=None`` uses the whole set each step; otherwise each step draws
    ``batch_size`` rows without replacement (seeded by ``seed``).
    ``clip_norm``, ``clip_value``: clip the gradient by global norm, then by value.
    """
    if not all(hasattr(model, name) for name in _MODEL_API):
        raise TypeError(f"model must be a network of the package (MLP, RNN, LSTM or GRU: it "
                        f"needs {', '.join(_MODEL_API)}), got {type(model).__name__}")
    steps = _check.positive_int(steps, "steps")
    seed = _check.seed(seed)
    X, Y = model.check_data(X, Y)
    if batch_size is not None:
        batch_size = _check.positive_int(batch_size, "batch_size")
    rows = len(X) if batch_size is None else min(batch_size, len(X))
    nbytes, work = model.training_cost(rows, X.shape)
    _check.budget(f"fit(steps={steps}) on {rows} rows per step",
                  nbytes=nbytes + 4 * 8 * steps * len(model.weights), work=steps * work)
    for value, name in ((clip_norm, "clip_norm"), (clip_value, "clip_value")):
        if value is not None and _check.finite_float(value, name) <= 0:
            raise ValueError(f"{name} must be > 0 (or None: no clipping), got {value}")
    loss_fn = losses.get(loss)
    opt = _optimizer(model, optimizer, lr, momentum)
    rng = np.random.default_rng(seed)
    record = _Recorder(steps, len(model.weights), loss == "bce_with_logits",
                       tuple(getattr(model, "weight_names", ())))
    # A diverging run overflows on purpose: the non-finite value is detected and reported.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            idx = (slice(None) if batch_size is None
                   else rng.choice(len(X), size=rows, replace=False))
            out = model.forward(X[idx], overflow="allow")
            value, G = loss_fn(out, Y[idx]) if np.all(np.isfinite(out)) else (np.inf, None)
            if G is None or not np.isfinite(value):        # G is None: the output is not finite
                return record.history(diverged_at=step, reason="loss not finite")
            grads = model.backward(G)
            g = grads.as_list()
            norm = optim.global_norm(g)
            if not np.isfinite(norm):
                return record.history(diverged_at=step, reason="gradient not finite")
            g, clipped = _clipped(g, norm, clip_norm, clip_value)
            before = [W.copy() for W in model.weights]
            opt.step(g)
            record.step(step, value, norm, clipped, grads, before, model.weights, out, Y[idx])
    return record.history(diverged_at=None, reason="")


def _optimizer(model: MLP | RecurrentNetwork, name: str, lr: float,
               momentum: float) -> optim.SGD | optim.Adam:
    """The optimizer called ``name`` over the model's parameters."""
    _check.choice(name, "optimizer", OPTIMIZERS)
    if name == "adam":
        if momentum != 0.0:
            raise ValueError("momentum applies to optimizer='sgd' only (Adam has beta1)")
        return optim.Adam(model.parameters(), lr=lr)
    return optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def _clipped(g: list[np.ndarray], norm: float, clip_norm: float | None,
             clip_value: float | None) -> tuple[list[np.ndarray], bool]:
    """The gradient clipped by global norm, then by value, and whether clipping changed it."""
    clipped = False
    if clip_norm is not None:
        g, _ = optim.clip_by_global_norm(g, clip_norm)
        clipped = norm > clip_norm
    if clip_value is not None:
        clipped = clipped or any(np.any(np.abs(a) > clip_value) for a in g)
        g = optim.clip_by_value(g, clip_value)
    return g, clipped


class _Recorder:
    """Fills the per-step arrays of a :class:`TrainingHistory` as training goes."""

    def __init__(self, steps: int, L: int, accuracy: bool, names: tuple[str, ...]) -> None:
        self.names = names
        self.per_layer = {k: np.full((steps, L), np.nan)
                          for k in ("grad_norm", "delta_rms", "update_ratio")}
        self.per_step = {k: np.full(steps, np.nan) for k in ("loss", "global_norm", "accuracy")}
        self.clipped = np.zeros(steps, dtype=bool)
        self.has_delta, self.has_accuracy, self.n = True, accuracy, 0

    def step(self, k: int, value: float, norm: float, clipped: bool,
             grads: Gradients | BPTTGradients, before: list[np.ndarray], after: list[np.ndarray],
             out: np.ndarray, Y: np.ndarray) -> None:
        self.per_step["loss"][k], self.per_step["global_norm"][k] = value, norm
        if self.has_accuracy:
            self.per_step["accuracy"][k] = np.mean((out > 0) == (Y > 0.5))
        self.clipped[k] = clipped
        delta = getattr(grads, "delta", None)
        self.has_delta = delta is not None
        for l, (dW, W0, W1) in enumerate(zip(grads.W, before, after)):
            self.per_layer["grad_norm"][k, l] = _norm(dW)
            self.per_layer["update_ratio"][k, l] = _norm(W1 - W0) / max(_norm(W0), 1e-300)
            if delta is not None:                          # self.has_delta
                self.per_layer["delta_rms"][k, l] = _norm(delta[l]) / np.sqrt(delta[l].size)
        self.n = k + 1

    def history(self, diverged_at: int | None, reason: str) -> TrainingHistory:
        n = self.n
        layers = {k: v[:n] for k, v in self.per_layer.items()}
        return TrainingHistory(loss=self.per_step["loss"][:n],
                               global_norm=self.per_step["global_norm"][:n],
                               accuracy=self.per_step["accuracy"][:n] if self.has_accuracy else None,
                               clipped=self.clipped[:n], diverged_at=diverged_at, reason=reason,
                               grad_norm=layers["grad_norm"], update_ratio=layers["update_ratio"],
                               delta_rms=layers["delta_rms"] if self.has_delta else None,
                               layers=self.names)
