r"""Diagnostics a practitioner runs when a deep network will not train.

Each function returns data (a dataclass with a readable table) and, where a
picture helps, has a ``plot_...`` partner that returns a matplotlib Figure:

- :func:`layer_gradients`: every weight-gradient entry of every layer (for histograms);
- activation statistics: :meth:`vanishing.mlp.MLP.stats` (mean, std, saturated, dead);
- :func:`learning_speed`: per-layer gradient norm over training (Nielsen's
  "speed of learning", the norm of each layer's gradient at each step);
- :func:`update_ratios`: :math:`\lVert \eta\,\nabla W_l\rVert / \lVert W_l\rVert` per layer and step
  (a healthy value is often quoted near 1e-3);
- :func:`verdict`: a short written diagnosis from those numbers.

>>> import numpy as np
>>> from vanishing.mlp import gradient_profile
>>> d = verdict(gradient_profile(20, 16, 32, "sigmoid", "xavier_normal"))
>>> d.findings[0].split(":")[0], d.first_to_last > 1e6
('vanishing', True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import losses

__all__ = ["LayerGradients", "layer_gradients", "learning_speed", "update_ratios", "Diagnosis",
           "verdict", "plot_gradient_histograms", "plot_learning_speed"]

VANISHING_RATIO = 100.0      # last/first layer gradient norm above this: vanishing
EXPLODING_RATIO = 0.01       # below this (first layer far larger): exploding
DEAD_FRACTION = 0.3          # share of dead units that is a problem
SATURATED_FRACTION = 0.3     # share of saturated units that is a problem


@dataclass
class LayerGradients:
    """Every entry of dLoss/dW_l for l = 1..L (layer 1 first), from one batch."""

    grads: list
    loss: float

    def log10_abs(self, l: int) -> np.ndarray:
        """log10 |entries| of layer l (1-based), zeros dropped."""
        g = np.abs(self.grads[l - 1].ravel())
        return np.log10(g[g > 0])

    def __str__(self) -> str:
        lines = [f"loss {self.loss:.4f}", "layer  median |dW|   max |dW|"]
        for l, g in enumerate(self.grads, start=1):
            a = np.abs(g)
            lines.append(f"{l:5d}  {np.median(a):10.3e}  {a.max():9.3e}")
        return "\n".join(lines)

    __repr__ = __str__


def layer_gradients(net, X, Y, loss: str = "mse") -> LayerGradients:
    """Forward and backward one batch and keep every weight-gradient entry of every layer."""
    value, grad = losses.get(loss)(net.forward(X), Y)
    grads = net.backward(grad)
    return LayerGradients(grads=[g.copy() for g in grads.W], loss=value)


def learning_speed(history) -> np.ndarray:
    """Per-layer weight-gradient norm at each step, shape (steps, L): how fast each layer learns."""
    return np.asarray(history.grad_norm)


def update_ratios(history) -> np.ndarray:
    """Per-layer update-to-data ratio ||lr dW_l|| / ||W_l|| at each step, shape (steps, L)."""
    return np.asarray(history.update_ratio)


@dataclass
class Diagnosis:
    """The numbers a verdict is based on, and the findings in words."""

    first_to_last: float          # |dW_L| / |dW_1| (how many times slower layer 1 learns)
    max_dead: float
    max_saturated: float
    diverged: bool
    findings: list

    @property
    def healthy(self) -> bool:
        return self.findings == ["healthy: no vanishing, exploding, dead or saturated layers"]

    def __str__(self) -> str:
        return "\n".join(f"- {f}" for f in self.findings)

    __repr__ = __str__


def verdict(stats, history=None) -> Diagnosis:
    """Read a :class:`~vanishing.mlp.NetworkStats` (and optionally a training history) and say what is wrong.

    Thresholds are module constants: layer L's gradient norm more than 100x
    layer 1's is "vanishing"; 100x less is "exploding"; more than 30% dead or
    saturated units in some layer is reported with that layer.
    """
    g = np.asarray(stats.grad_norm, dtype=np.float64)
    L = len(g)
    findings = []
    diverged = history is not None and history.diverged_at is not None
    with np.errstate(divide="ignore"):          # a layer with exactly zero gradient: ratio inf
        ratio = float(g[-1] / g[0]) if g[0] > 0 else float("inf")
    if diverged:
        findings.append(f"exploding: the loss became inf/NaN at step {history.diverged_at}")
    if ratio > VANISHING_RATIO:
        findings.append(f"vanishing: layer 1 learns {ratio:.2g}x slower than layer {L} "
                        f"(|dW_1| = {g[0]:.2e}, |dW_{L}| = {g[-1]:.2e})")
    elif ratio < EXPLODING_RATIO:
        findings.append(f"exploding: layer 1's gradient is {1 / ratio:.2g}x layer {L}'s "
                        f"(|dW_1| = {g[0]:.2e}, |dW_{L}| = {g[-1]:.2e})")
    dead, sat = np.asarray(stats.dead), np.asarray(stats.saturated)
    if dead.max() > DEAD_FRACTION:
        l = int(dead.argmax())
        findings.append(f"dead units: {dead[l]:.0%} of layer {l + 1}'s units have f' = 0 "
                        "for the whole batch")
    if sat.max() > SATURATED_FRACTION:
        l = int(sat.argmax())
        findings.append(f"saturation: {sat[l]:.0%} of layer {l + 1}'s pre-activations sit where "
                        "f' is below a tenth of its peak")
    if not findings:
        findings.append("healthy: no vanishing, exploding, dead or saturated layers")
    return Diagnosis(first_to_last=ratio, max_dead=float(dead.max()),
                     max_saturated=float(sat.max()), diverged=diverged, findings=findings)


def plot_gradient_histograms(lg: LayerGradients, layers=None, bins: int = 40):
    """Histograms of log10 |dLoss/dW_l| for the chosen layers (default: first, middle, last)."""
    from .plots import PALETTE, figure
    L = len(lg.grads)
    layers = sorted({1, (L + 1) // 2, L}) if layers is None else list(layers)
    fig, (ax,) = figure()
    for i, l in enumerate(layers):
        ax.hist(lg.log10_abs(l), bins=bins, alpha=0.6, color=PALETTE[i % len(PALETTE)],
                label=f"layer {l}")
    ax.set_xlabel("log10 |dLoss/dW|")
    ax.set_ylabel("count")
    ax.set_title("weight-gradient histograms")
    ax.legend(fontsize=8)
    return fig


def plot_learning_speed(history, title: str = "speed of learning"):
    """|dLoss/dW_l| over training steps, one line per layer, log scale."""
    from .plots import figure
    speed = learning_speed(history)
    fig, (ax,) = figure()
    for l in range(speed.shape[1]):
        ax.semilogy(speed[:, l], label=f"layer {l + 1}")
    ax.set_xlabel("step")
    ax.set_ylabel("|dLoss/dW_l|")
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=2)
    return fig
