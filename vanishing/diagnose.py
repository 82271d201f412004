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

from . import _check, losses

__all__ = ["LayerGradients", "layer_gradients", "learning_speed", "update_ratios", "Diagnosis",
           "verdict", "plot_gradient_histograms", "plot_learning_speed"]

VANISHING_RATIO = 100.0      # layer L over layer 1 (|dW| or rms delta) above this: vanishing
EXPLODING_RATIO = 0.01       # below this (layer 1 far larger): exploding
DEAD_FRACTION = 0.3          # share of dead units that is a problem
SATURATED_FRACTION = 0.3     # share of saturated units that is a problem
STUCK_CHANGE = 0.01          # the loss never leaves a band of 1% around its first value ...
STUCK_MIN_STEPS = 50         # ... over at least this many steps: "stuck"
BARELY_MOVING_RATIO = 1e-5   # a layer whose median ||lr dW_l|| / ||W_l|| is below this barely moves


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
    out = net.forward(X)
    Y = _check.finite_array(Y, "Y", ndim=2)
    if Y.shape != out.shape:
        raise ValueError(f"Y must have the network output's shape {out.shape}, got {Y.shape}")
    value, grad = losses.get(loss)(out, Y)
    grads = net.backward(grad)
    return LayerGradients(grads=[g.copy() for g in grads.W], loss=value)


def learning_speed(history) -> np.ndarray:
    """Per-layer weight-gradient norm at each step, shape (steps, L): how fast each layer learns."""
    return _history_array(history, "grad_norm")


def update_ratios(history) -> np.ndarray:
    """Per-layer update-to-data ratio ||lr dW_l|| / ||W_l|| at each step, shape (steps, L)."""
    return _history_array(history, "update_ratio")


def _history_array(history, quantity: str) -> np.ndarray:
    """A per-step, per-layer record of a TrainingHistory, or a clear TypeError."""
    if not hasattr(history, quantity):
        raise TypeError(f"history must be a TrainingHistory (from vanishing.train.train), "
                        f"got {type(history).__name__}")
    return np.asarray(getattr(history, quantity))


@dataclass
class Diagnosis:
    """The numbers a verdict is based on, and the findings in words (the cause first)."""

    first_to_last: float          # |dW_L| / |dW_1| (how many times slower layer 1 learns)
    max_dead: float
    max_saturated: float
    diverged: bool
    findings: list
    delta_ratio: float = float("nan")        # rms delta_L / rms delta_1
    loss_change: float = float("nan")        # largest |loss_k - loss_0| / |loss_0| (with a history)
    min_update_ratio: float = float("nan")   # smallest per-layer median ||lr dW_l|| / ||W_l||

    @property
    def healthy(self) -> bool:
        return self.findings == ["healthy: no vanishing, exploding, dead or saturated layers"]

    def __str__(self) -> str:
        return "\n".join(f"- {f}" for f in self.findings)

    __repr__ = __str__


def _last_over_first(values) -> float:
    """values[-1] / values[0]: inf when only layer 1 is exactly zero, nan when both are."""
    first, last = float(values[0]), float(values[-1])
    if first == 0.0:
        return float("nan") if last == 0.0 else float("inf")
    return last / first


def _gradient_findings(L: int, ratio: float, dratio: float) -> list:
    """Vanishing or exploding, by the weight gradients, the error signals delta, or both."""
    if np.isnan(ratio):
        return [f"no gradient: layers 1 and {L} both receive exactly zero gradient "
                "(dead units or a saturated output)"]
    if ratio == 0.0:
        return [f"no gradient at layer {L}: its weight gradient is exactly zero"]
    names = ("weight gradients", "error signals delta")
    texts = (f"|dW_{L}|/|dW_1| = {ratio:.3g}", f"rms delta_{L}/rms delta_1 = {dratio:.3g}")
    findings = []
    for word, hit, side, threshold in (
            ("vanishing", (ratio > VANISHING_RATIO, dratio > VANISHING_RATIO), "above",
             VANISHING_RATIO),
            ("exploding", (ratio < EXPLODING_RATIO, dratio < EXPLODING_RATIO), "below",
             EXPLODING_RATIO)):
        if all(hit):
            findings.append(f"{word}: {names[0]} and {names[1]}, {texts[0]} and {texts[1]}, "
                            f"both {side} {threshold:g}")
        elif any(hit):
            i = hit.index(True)
            findings.append(f"{word}: {names[i]}, {texts[i]} {side} {threshold:g} "
                            f"({names[1 - i]}: {texts[1 - i]})")
    return findings


def _training_findings(history) -> tuple:
    """Layers that barely move, and a loss that never leaves its first value (needs a history)."""
    findings, change, slowest = [], float("nan"), float("nan")
    ratios = getattr(history, "update_ratio", None)          # a SequenceHistory has none
    if ratios is not None and len(ratios):
        u = np.median(np.asarray(ratios, dtype=np.float64), axis=0)
        k, slowest = int(u.argmin()), float(u.min())
        if slowest < BARELY_MOVING_RATIO:
            n = int(np.count_nonzero(u < BARELY_MOVING_RATIO))
            findings.append(f"barely moving: layer {k + 1} barely moves (median update-to-data "
                            f"ratio {slowest:.1e} over {len(ratios)} steps, rule of thumb "
                            f"{UPDATE_RATIO_TARGET:g}); {n} of {len(u)} layers are below "
                            f"{BARELY_MOVING_RATIO:g}")
    loss = np.asarray(history.loss, dtype=np.float64)
    if len(loss) and loss[0] != 0.0:
        change = float(np.max(np.abs(loss - loss[0])) / abs(loss[0]))
        if len(loss) >= STUCK_MIN_STEPS and change < STUCK_CHANGE:
            findings.append(f"stuck: the loss moved {100 * change:.2g}% in {len(loss)} steps "
                            f"(from {loss[0]:.4f} to {loss[-1]:.4f})")
    return findings, change, slowest


def _stats_arrays(stats) -> tuple:
    """The weight-gradient norms and rms deltas of ``stats``, checked (one entry per layer)."""
    from . import _check
    if not all(hasattr(stats, k) for k in ("grad_norm", "delta_rms", "dead", "saturated")):
        raise TypeError("stats must be a NetworkStats (from net.stats(...) or gradient_profile(...)), "
                        f"got {type(stats).__name__}")
    g = _check.float_array(stats.grad_norm, "stats.grad_norm")
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"stats must hold one value per layer (at least one layer), got shape {g.shape}")
    return g, _check.float_array(stats.delta_rms, "stats.delta_rms")


def verdict(stats, history=None) -> Diagnosis:
    """Read a :class:`~vanishing.mlp.NetworkStats` (and optionally a training history) and say what is wrong.

    Thresholds are module constants. Findings, causes first:

    - the loss became inf/NaN (history): "exploding";
    - more than 30% dead units (f' = 0 on the whole batch, ReLU family) or saturated
      pre-activations (f' below a tenth of its peak) in some layer;
    - layer L's weight-gradient norm *or* rms delta more than 100x layer 1's: "vanishing"
      (the finding says by which measure, and prints both ratios); 100x less: "exploding";
    - (history) some layer's median update-to-data ratio below 1e-5: "barely moving";
    - (history, at least 50 steps) the loss never more than 1% away from its first value: "stuck".
    """
    g, d = _stats_arrays(stats)
    if history is not None and not hasattr(history, "diverged_at"):
        raise TypeError(f"history must be a TrainingHistory or SequenceHistory (or None), "
                        f"got {type(history).__name__}")
    findings = []
    diverged = history is not None and history.diverged_at is not None
    ratio, dratio = _last_over_first(g), _last_over_first(d)
    if diverged:
        findings.append(f"exploding: the loss became inf/NaN at step {history.diverged_at}")
    dead, sat = np.asarray(stats.dead), np.asarray(stats.saturated)
    if dead.max() > DEAD_FRACTION:
        l = int(dead.argmax())
        findings.append(f"dead units: {dead[l]:.0%} of layer {l + 1}'s units have f' = 0 "
                        "for the whole batch")
    if sat.max() > SATURATED_FRACTION:
        l = int(sat.argmax())
        findings.append(f"saturation: {sat[l]:.0%} of layer {l + 1}'s pre-activations sit where "
                        "f' is below a tenth of its peak")
    findings += _gradient_findings(len(g), ratio, dratio)
    change = slowest = float("nan")
    if history is not None and not diverged:
        more, change, slowest = _training_findings(history)
        findings += more
    if not findings:
        findings.append("healthy: no vanishing, exploding, dead or saturated layers")
    return Diagnosis(first_to_last=ratio, max_dead=float(dead.max()),
                     max_saturated=float(sat.max()), diverged=diverged, findings=findings,
                     delta_ratio=dratio, loss_change=change, min_update_ratio=slowest)


def plot_gradient_histograms(lg: LayerGradients, layers=None, bins: int = 40):
    """Histograms of log10 |dLoss/dW_l| for the chosen layers (default: first, middle, last)."""
    from . import _check
    from .plots import PALETTE, figure
    L = len(lg.grads)
    layers = sorted({1, (L + 1) // 2, L}) if layers is None else list(layers)
    if not layers or not all(1 <= _check.positive_int(l, "layers") <= L for l in layers):
        raise ValueError(f"layers must be a non-empty list of layers in 1..{L}, got {layers}")
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


# --- appended for lesson 10: the loss of a constant guess, the first/last speed ratio, an unrolled
# --- recurrent network as layers, and two plots (update ratios, activation statistics) ------------

__all__ += ["baseline_loss", "speed_ratio", "unrolled_stats", "plot_update_ratios",
            "plot_activation_stats", "UPDATE_RATIO_TARGET"]

UPDATE_RATIO_TARGET = 1e-3   # the rule of thumb for ||lr dW_l|| / ||W_l|| (a heuristic, for SGD)


def baseline_loss(Y, loss: str = "bce_with_logits") -> float:
    r"""The loss of the best *constant* prediction: what a network that ignores its input can reach.

    For binary cross-entropy the best constant probability is the label mean :math:`p` of each
    output column, and the loss is the entropy of the labels:

    .. math:: L_0 = -\big(p \ln p + (1 - p)\ln(1 - p)\big) \quad (\ln 2 \text{ for balanced labels}).

    For the mean squared error the best constant is the column mean and :math:`L_0` is the
    variance of the targets. Several output columns: the mean over columns. A training loss
    that stays at :math:`L_0` means the network's output does not depend on its input.

    >>> import numpy as np
    >>> round(baseline_loss(np.array([[0.0], [1.0]])), 6) == round(float(np.log(2)), 6)
    True
    """
    from . import _check
    Y = _check.nonempty(_check.finite_array(Y, "Y", ndim=2), "Y")
    _check.choice(loss, "loss", ["bce_with_logits", "mse"])
    if loss == "mse":
        return float(np.mean(Y.var(axis=0)))
    if np.any((Y < 0) | (Y > 1)):
        raise ValueError("Y must hold labels in [0, 1] for binary cross-entropy")
    p = Y.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):     # 0 ln 0 is 0: handled by where=
        h = -(np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0.0))
    return float(np.mean(h))


def speed_ratio(history, quantity: str = "grad_norm", first: int = 1, last: int | None = None):
    r"""How many times faster layer ``last`` learns than layer ``first``, at every step.

    .. math:: r_k = \frac{\lVert \partial L/\partial W_{\text{last}}\rVert}
                         {\lVert \partial L/\partial W_{\text{first}}\rVert}\quad\text{at step } k

    (Nielsen's "speed of learning" of a layer is the norm of its gradient). ``quantity``
    "delta_rms" uses the RMS of :math:`\delta_l` instead. Layers are 1-based; ``last``
    defaults to the output layer L. A layer with an exactly zero gradient gives inf (or nan
    for 0/0). Returns an array of shape (steps,).
    """
    from . import _check
    _check.choice(quantity, "quantity", ["grad_norm", "delta_rms"])
    values = _history_array(history, quantity).astype(np.float64)
    L = values.shape[1]
    last = L if last is None else last
    for value, name in ((first, "first"), (last, "last")):
        if _check.positive_int(value, name) > L:
            raise ValueError(f"{name} must be a layer in 1..{L}, got {value}")
    with np.errstate(divide="ignore", invalid="ignore"):     # a dead layer: inf or nan, on purpose
        return values[:, last - 1] / values[:, first - 1]


def unrolled_stats(net, X, y, loss: str = "bce_with_logits"):
    r"""A vanilla RNN's per-step statistics as a :class:`~vanishing.mlp.NetworkStats`: step t is "layer" t.

    Unrolled over T steps, an RNN is a T-layer network that shares its weights. For step t
    (t = 1..T) with :math:`\bar z_t = \partial\,\mathrm{Out}/\partial z_t` (the step's delta):

    - ``grad_norm``: the norm of step t's share of the weight gradient,
      :math:`\big\lVert[\bar z_t^\top x_t,\ \bar z_t^\top h_{t-1}]\big\rVert` (the shares of all
      steps add up to :math:`\partial\,\mathrm{Out}/\partial [W_{xh}, W_{hh}]`);
    - ``delta_rms``: the RMS of :math:`\bar z_t`; ``act_mean``, ``act_std``: of :math:`h_t`;
    - ``saturated``: share of :math:`f'(z_t)` below a tenth of its peak (tanh only);
    - ``dead``: share of units with :math:`f'(z_t) = 0` for every sequence of the batch (ReLU
      only; a tanh unit whose f' rounds to 0 is counted as saturated).

    So :func:`verdict` reads it like a deep network ("layer t" = time step t). Only the
    vanilla :class:`~vanishing.recurrent.RNN` (tanh or ReLU). An exploding network may
    overflow: its numbers are then inf, which is the honest answer.
    """
    from . import activations
    from .mlp import NetworkStats
    from .recurrent import RNN
    if not isinstance(net, RNN):
        raise TypeError(f"net must be a vanilla vanishing.recurrent.RNN, got {type(net).__name__}")
    X = net._check_X(X)
    f = activations.get(net.activation)
    W_xh, W_hh, b = (net.params[k] for k in ("W_xh", "W_hh", "b_h"))
    batch, T, _ = X.shape
    out = {k: np.empty(T) for k in ("grad_norm", "delta_rms", "act_mean", "act_std",
                                    "saturated", "dead")}
    # an exploding recurrent network overflows on purpose: inf in the table, no warning
    with np.errstate(over="ignore", invalid="ignore"):
        _, grads = net.loss_and_gradients(X, y, loss=loss)
        h = np.zeros((batch, net.n_hidden))                        # h_0
        for t in range(T):
            fp = grads.gates["fprime"][:, t]                       # f'(z_t), (batch, n_h)
            dz = grads.dh[:, t] * fp                               # dOut/dz_t
            share = np.sum((dz.T @ X[:, t]) ** 2) + np.sum((dz.T @ h) ** 2)
            h = f.f(X[:, t] @ W_xh.T + h @ W_hh.T + b)             # h_t, as in the forward pass
            out["grad_norm"][t] = np.sqrt(share)
            out["delta_rms"][t] = np.sqrt(np.mean(dz * dz))
            out["act_mean"][t] = np.mean(h)
            out["act_std"][t] = np.std(h)
            out["saturated"][t] = np.mean(fp < 0.1 * f.peak_prime) if f.saturates else 0.0
            out["dead"][t] = 0.0 if f.saturates else np.mean(fp.max(axis=0) == 0.0)
    title = f"{net!r} unrolled over T = {T} steps (layer t = time step t), Out = {loss}"
    return NetworkStats(**out, title=title)


def plot_update_ratios(histories, target: float = UPDATE_RATIO_TARGET, title: str | None = None):
    r"""The update-to-data ratio over training steps, one line per layer, log scale.

    .. math:: \frac{\lVert\eta\,\partial L/\partial W_l\rVert}{\lVert W_l\rVert}

    ``histories``: one :class:`~vanishing.train.TrainingHistory` or a dict label -> history
    (one panel each, side by side, shared y axis). A dashed line marks ``target`` and a grey
    band one decade either side. Steps with a zero ratio (a dead layer) are not drawn.
    """
    from .plots import figure, nonempty_dict
    histories = nonempty_dict(histories if isinstance(histories, dict) else {"": histories},
                              "histories")
    if not all(hasattr(h, "update_ratio") for h in histories.values()):
        raise TypeError("histories must be a TrainingHistory or a dict label -> TrainingHistory")
    fig, axes = figure(ncols=len(histories), width=4.2 * len(histories) + 0.8, height=3.2)
    for ax, (label, h) in zip(axes, histories.items()):
        ratios = update_ratios(h)
        shown = np.where(ratios > 0, ratios, np.nan)
        for l in range(ratios.shape[1]):
            ax.semilogy(shown[:, l], label=f"layer {l + 1}")
        ax.axhspan(target / 10, target * 10, color="0.9", zorder=0)
        ax.axhline(target, color="0.3", linestyle="--", linewidth=1, label=f"{target:g}")
        ax.set_xlabel("step")
        ax.set_title(label, fontsize=10)
        ax.legend(fontsize=7, ncols=2)
    axes[0].set_ylabel("||lr dW_l|| / ||W_l||")
    if len(axes) > 1:
        lo = min(ax.get_ylim()[0] for ax in axes)
        hi = max(ax.get_ylim()[1] for ax in axes)
        for ax in axes:
            ax.set_ylim(lo, hi)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_activation_stats(stats, title: str | None = None):
    """Per-layer activation statistics of one or several networks (dict label -> NetworkStats).

    Three panels against the layer: the standard deviation of the activations over the
    batch and the units (log scale: a layer whose output barely varies carries little
    information about the input), the saturated fraction and the dead fraction (each 0 to 1).
    """
    from .plots import figure, nonempty_dict
    stats = nonempty_dict(stats if isinstance(stats, dict) else {"": stats}, "stats")
    fig, axes = figure(ncols=3, width=9.0, height=3.0)
    panels = (("act_std", "activation std"), ("saturated", "saturated fraction"),
              ("dead", "dead fraction"))
    for ax, (field_name, label) in zip(axes, panels):
        for name, s in stats.items():
            values = np.asarray(getattr(s, field_name), dtype=np.float64)
            layers = np.arange(1, len(values) + 1)
            if field_name == "act_std":
                ax.semilogy(layers, np.where(values > 0, values, np.nan), marker="o",
                            markersize=3, label=name)
            else:
                ax.plot(layers, values, marker="o", markersize=3, label=name)
                ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("layer l")
        ax.set_title(label, fontsize=10)
    if any(stats):
        axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
