r"""Diagnostics a practitioner runs when a deep network will not train.

Each function returns data (a dataclass with a readable table); where a picture helps, a
``plot_...`` partner in :mod:`vanishing.plots` draws it (this module imports no matplotlib):

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
>>> d.findings[0].kind, d.findings[0].layer, d.first_to_last > 1e6
('vanishing', 1, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from . import _check
from .activations import get as activation
from .mlp import NetworkStats
from .recurrent import RNN
from .table import Table

if TYPE_CHECKING:
    from .mlp import MLP
    from .recurrent import RecurrentNetwork
    from .train import TrainingHistory

__all__ = ["LayerGradients", "layer_gradients", "learning_speed", "update_ratios", "speed_ratio",
           "baseline_loss", "unrolled_stats", "Finding", "Diagnosis", "verdict", "KINDS",
           "UPDATE_RATIO_TARGET"]

VANISHING_RATIO = 100.0      # layer L over layer 1 (|dW| or rms delta) above this: vanishing
EXPLODING_RATIO = 0.01       # below this (layer 1 far larger): exploding
DEAD_FRACTION = 0.3          # share of dead units that is a problem
SATURATED_FRACTION = 0.3     # share of saturated units that is a problem
STUCK_CHANGE = 0.01          # the loss never leaves a band of 1% around its first value ...
STUCK_MIN_STEPS = 50         # ... over at least this many steps: "stuck"
BARELY_MOVING_RATIO = 1e-5   # a layer whose median ||lr dW_l|| / ||W_l|| is below this barely moves
UPDATE_RATIO_TARGET = 1e-3   # the rule of thumb for ||lr dW_l|| / ||W_l|| (a heuristic, for SGD)

# what a finding can say, causes first
KINDS = ("exploding", "dead units", "saturation", "no gradient", "vanishing", "barely moving",
         "stuck", "healthy")


@dataclass(repr=False)
class LayerGradients(Table):
    """Every entry of dLoss/dW_l for l = 1..L (layer 1 first), from one batch."""

    grads: list[np.ndarray]
    loss: float

    def log10_abs(self, l: int) -> np.ndarray:
        """log10 |entries| of layer l (1-based), zeros dropped."""
        g = np.abs(self.grads[l - 1].ravel())
        return np.log10(g[g > 0])

    _COLUMNS = ("layer", "median |dW|", "max |dW|")

    def rows(self) -> list[list[str]]:
        return [[str(l), f"{np.median(np.abs(g)):.3e}", f"{np.abs(g).max():.3e}"]
                for l, g in enumerate(self.grads, start=1)]

    def _title(self) -> str:
        return f"loss {self.loss:.4f}"


def layer_gradients(net: MLP | RecurrentNetwork, X: npt.ArrayLike, Y: npt.ArrayLike,
                    loss: str = "mse") -> LayerGradients:
    """Forward and backward one batch and keep every weight-gradient entry of every layer."""
    value, grads = net.loss_and_gradients(X, Y, loss)
    return LayerGradients(grads=[g.copy() for g in grads.W], loss=value)


def learning_speed(history: TrainingHistory) -> np.ndarray:
    """Per-layer weight-gradient norm at each step, shape (steps, L): how fast each layer learns."""
    return _history_array(history, "grad_norm")


def update_ratios(history: TrainingHistory) -> np.ndarray:
    """Per-layer update-to-data ratio ||lr dW_l|| / ||W_l|| at each step, shape (steps, L)."""
    return _history_array(history, "update_ratio")


def _history_array(history: TrainingHistory, quantity: str) -> np.ndarray:
    """A per-step, per-layer record of a TrainingHistory, or a clear TypeError/ValueError."""
    if not hasattr(history, quantity):
        raise TypeError(f"history must be a TrainingHistory (from vanishing.train.fit), "
                        f"got {type(history).__name__}")
    values = getattr(history, quantity)
    if values is None:
        raise ValueError(f"this history has no {quantity} record (a recurrent network has no "
                         "per-layer delta)")
    return np.asarray(values)


def baseline_loss(Y: npt.ArrayLike, loss: str = "bce_with_logits") -> float:
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


def speed_ratio(history: TrainingHistory, quantity: str = "grad_norm", first: int = 1,
                last: int | None = None) -> np.ndarray:
    r"""How many times faster layer ``last`` learns than layer ``first``, at every step.

    .. math:: r_k = \frac{\lVert \partial L/\partial W_{\text{last}}\rVert}
                         {\lVert \partial L/\partial W_{\text{first}}\rVert}\quad\text{at step } k

    (Nielsen's "speed of learning" of a layer is the norm of its gradient). ``quantity``
    "delta_rms" uses the RMS of :math:`\delta_l` instead. Layers are 1-based; ``last``
    defaults to the output layer L. A layer with an exactly zero gradient gives inf (or nan
    for 0/0). Returns an array of shape (steps,).
    """
    _check.choice(quantity, "quantity", ["grad_norm", "delta_rms"])
    values = _history_array(history, quantity).astype(np.float64)
    L = values.shape[1]
    last = L if last is None else last
    for value, name in ((first, "first"), (last, "last")):
        if _check.positive_int(value, name) > L:
            raise ValueError(f"{name} must be a layer in 1..{L}, got {value}")
    with np.errstate(divide="ignore", invalid="ignore"):     # a dead layer: inf or nan, on purpose
        return values[:, last - 1] / values[:, first - 1]


def unrolled_stats(net: RNN, X: npt.ArrayLike, y: npt.ArrayLike,
                   loss: str = "bce_with_logits") -> NetworkStats:
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
    if not isinstance(net, RNN):
        raise TypeError(f"net must be a vanilla vanishing.recurrent.RNN, got {type(net).__name__}")
    X = net._check_X(X)
    f = activation(net.activation)
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


@dataclass(frozen=True)
class Finding:
    """One thing a verdict found: its ``kind`` (one of :data:`KINDS`), the layer it is about
    (1-based, ``None`` when it is about the whole network), the number behind it and the sentence.

    ``str(finding)`` is the sentence; tests and callers compare ``kind``, ``layer`` and ``value``.
    """

    kind: str
    layer: int | None
    value: float
    text: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    def __str__(self) -> str:
        return self.text


@dataclass
class Diagnosis:
    """The numbers a verdict is based on, and the findings (the cause first), printed as a list."""

    first_to_last: float          # |dW_L| / |dW_1| (how many times slower layer 1 learns)
    max_dead: float
    max_saturated: float
    diverged: bool
    findings: list[Finding]
    delta_ratio: float = float("nan")        # rms delta_L / rms delta_1
    loss_change: float = float("nan")        # largest |loss_k - loss_0| / |loss_0| (with a history)
    min_update_ratio: float = float("nan")   # smallest per-layer median ||lr dW_l|| / ||W_l||

    @property
    def kinds(self) -> list[str]:
        """The kind of every finding, in order: ``["vanishing", "stuck"]``."""
        return [f.kind for f in self.findings]

    @property
    def healthy(self) -> bool:
        return self.kinds == ["healthy"]

    def __str__(self) -> str:
        return "\n".join(f"- {f}" for f in self.findings)

    __repr__ = __str__


def _last_over_first(values: np.ndarray) -> float:
    """values[-1] / values[0]: inf when only layer 1 is exactly zero, nan when both are."""
    first, last = float(values[0]), float(values[-1])
    if first == 0.0:
        return float("nan") if last == 0.0 else float("inf")
    return last / first


def _gradient_findings(L: int, ratio: float, dratio: float) -> list[Finding]:
    """Vanishing or exploding, by the weight gradients, the error signals delta, or both."""
    if np.isnan(ratio):
        return [Finding("no gradient", None, ratio,
                        f"no gradient: layers 1 and {L} both receive exactly zero gradient "
                        "(dead units or a saturated output)")]
    if ratio == 0.0:
        return [Finding("no gradient", L, ratio,
                        f"no gradient at layer {L}: its weight gradient is exactly zero")]
    names = ("weight gradients", "error signals delta")
    texts = (f"|dW_{L}|/|dW_1| = {ratio:.3g}", f"rms delta_{L}/rms delta_1 = {dratio:.3g}")
    findings = []
    for word, hit, side, threshold in (
            ("vanishing", (ratio > VANISHING_RATIO, dratio > VANISHING_RATIO), "above",
             VANISHING_RATIO),
            ("exploding", (ratio < EXPLODING_RATIO, dratio < EXPLODING_RATIO), "below",
             EXPLODING_RATIO)):
        if all(hit):
            findings.append(Finding(word, 1, ratio,
                                    f"{word}: {names[0]} and {names[1]}, {texts[0]} and "
                                    f"{texts[1]}, both {side} {threshold:g}"))
        elif any(hit):
            i = hit.index(True)
            findings.append(Finding(word, 1, (ratio, dratio)[i],
                                    f"{word}: {names[i]}, {texts[i]} {side} {threshold:g} "
                                    f"({names[1 - i]}: {texts[1 - i]})"))
    return findings


def _training_findings(history: TrainingHistory) -> tuple[list[Finding], float, float]:
    """Layers that barely move, and a loss that never leaves its first value (needs a history)."""
    findings: list[Finding] = []
    change, slowest = float("nan"), float("nan")
    ratios = history.update_ratio
    if ratios is not None and len(ratios):
        u = np.median(np.asarray(ratios, dtype=np.float64), axis=0)
        k, slowest = int(u.argmin()), float(u.min())
        if slowest < BARELY_MOVING_RATIO:
            n = int(np.count_nonzero(u < BARELY_MOVING_RATIO))
            findings.append(Finding("barely moving", k + 1, slowest,
                                    f"barely moving: layer {k + 1} barely moves (median "
                                    f"update-to-data ratio {slowest:.1e} over {len(ratios)} steps, "
                                    f"rule of thumb {UPDATE_RATIO_TARGET:g}); {n} of {len(u)} "
                                    f"layers are below {BARELY_MOVING_RATIO:g}"))
    loss = np.asarray(history.loss, dtype=np.float64)
    if len(loss) and loss[0] != 0.0:
        change = float(np.max(np.abs(loss - loss[0])) / abs(loss[0]))
        if len(loss) >= STUCK_MIN_STEPS and change < STUCK_CHANGE:
            findings.append(Finding("stuck", None, change,
                                    f"stuck: the loss moved {100 * change:.2g}% in {len(loss)} "
                                    f"steps (from {loss[0]:.4f} to {loss[-1]:.4f})"))
    return findings, change, slowest


def _stats_arrays(stats: NetworkStats) -> tuple[np.ndarray, np.ndarray]:
    """The weight-gradient norms and rms deltas of ``stats``, checked (one entry per layer)."""
    if not all(hasattr(stats, k) for k in ("grad_norm", "delta_rms", "dead", "saturated")):
        raise TypeError("stats must be a NetworkStats (from net.stats(...) or gradient_profile(...)), "
                        f"got {type(stats).__name__}")
    g = _check.float_array(stats.grad_norm, "stats.grad_norm")
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"stats must hold one value per layer (at least one layer), got shape {g.shape}")
    return g, _check.float_array(stats.delta_rms, "stats.delta_rms")


def verdict(stats: NetworkStats, history: TrainingHistory | None = None) -> Diagnosis:
    """Read a :class:`~vanishing.mlp.NetworkStats` (and optionally a training history) and say what is wrong.

    Thresholds are module constants. Findings, causes first:

    - the loss or the gradient became inf/NaN (history): "exploding";
    - more than 30% dead units (f' = 0 on the whole batch, ReLU family) or saturated
      pre-activations (f' below a tenth of its peak) in some layer;
    - layer L's weight-gradient norm *or* rms delta more than 100x layer 1's: "vanishing"
      (the finding says by which measure, and prints both ratios); 100x less: "exploding";
    - (history) some layer's median update-to-data ratio below 1e-5: "barely moving";
    - (history, at least 50 steps) the loss never more than 1% away from its first value: "stuck".
    """
    g, d = _stats_arrays(stats)
    if history is not None and not hasattr(history, "diverged_at"):
        raise TypeError(f"history must be a TrainingHistory (or None), got {type(history).__name__}")
    findings: list[Finding] = []
    diverged = history is not None and history.diverged_at is not None
    ratio, dratio = _last_over_first(g), _last_over_first(d)
    if history is not None and history.diverged_at is not None:     # diverged
        findings.append(Finding("exploding", None, float(history.diverged_at),
                                f"exploding: the {_what_diverged(history)} became inf/NaN at "
                                f"step {history.diverged_at}"))
    dead, sat = np.asarray(stats.dead), np.asarray(stats.saturated)
    if dead.max() > DEAD_FRACTION:
        l = int(dead.argmax())
        findings.append(Finding("dead units", l + 1, float(dead[l]),
                                f"dead units: {dead[l]:.0%} of layer {l + 1}'s units have "
                                "f' = 0 for the whole batch"))
    if sat.max() > SATURATED_FRACTION:
        l = int(sat.argmax())
        findings.append(Finding("saturation", l + 1, float(sat[l]),
                                f"saturation: {sat[l]:.0%} of layer {l + 1}'s pre-activations "
                                "sit where f' is below a tenth of its peak"))
    findings += _gradient_findings(len(g), ratio, dratio)
    change = slowest = float("nan")
    if history is not None and not diverged:
        more, change, slowest = _training_findings(history)
        findings += more
    if not findings:
        findings.append(Finding("healthy", None, ratio,
                                "healthy: no vanishing, exploding, dead or saturated layers"))
    return Diagnosis(first_to_last=ratio, max_dead=float(dead.max()),
                     max_saturated=float(sat.max()), diverged=diverged, findings=findings,
                     delta_ratio=dratio, loss_change=change, min_update_ratio=slowest)


def _what_diverged(history: TrainingHistory) -> str:
    """"loss" or "gradient": what the training loop found not finite first."""
    return "gradient" if "gradient" in getattr(history, "reason", "") else "loss"
