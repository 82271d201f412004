r"""The course's gradient diagnostics on any PyTorch model: :func:`watch`.

``watch(model)`` attaches hooks to a ``torch.nn.Module`` and records, at every training
step and for every watched layer :math:`l` (layer 1 is the first one registered in the model),
the statistics that :meth:`vanishing.mlp.MLP.stats` computes for the course's own networks:

.. math::
    \lVert \partial L/\partial W_l\rVert_F,\qquad
    \operatorname{rms}\,\delta_l = \frac{\lVert \partial L/\partial Z_l\rVert_F}{\sqrt{\#Z_l}},\qquad
    \text{mean and std of } H_l = f(U_l),

the saturated fraction (entries with :math:`f'(U_l)` below a tenth of the peak of
:math:`f'`, for sigmoid and tanh), the dead fraction (units whose :math:`f'(U_l)` is 0 for
every example of the batch, for the ReLU family) and the update-to-data ratio, measured on
the weights themselves,

.. math:: u_l = \frac{\lVert W_l^{\text{after}} - W_l^{\text{before}}\rVert_F}{\lVert W_l^{\text{before}}\rVert_F},

which is the size of the step whatever the optimiser (SGD, momentum, Adam). :math:`Z_l` is the
layer's output (before batch norm, as in the package), :math:`U_l` the input and :math:`H_l` the
output of the activation module that runs next (``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``, ...).

The history is a :class:`vanishing.train.TrainingHistory` and each step's statistics a
:class:`vanishing.mlp.NetworkStats`, so :func:`vanishing.diagnose.verdict`, the histograms and the
plots read them unchanged. One training step::

    from vanishing.torch import watch

    with watch(model) as watcher:              # hooks on; removed when the block ends
        for X, Y in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(X), Y)
            loss.backward()
            optimizer.step()
            watcher.step(loss)                 # after optimizer.step(): closes the step
    print(watcher.verdict())                   # diagnose.verdict(stats of step 0, history)

PyTorch is an optional extra (``pip install -e ".[torch]"``): ``import vanishing`` never imports
this module, and this module imports torch only when :func:`watch` is called.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:                                  # for annotations only: no import at run time
    from typing import TypeAlias

    from torch import Tensor
    from torch.nn import Module, Parameter
    from torch.utils.hooks import RemovableHandle

    from .diagnose import Diagnosis
    from .mlp import NetworkStats
    from .train import TrainingHistory

    #: One value of a step before its conversion to float: a 0-d tensor, a number, or a fraction
    #: as (count tensor, size), divided in float64 (see :func:`_floats`).
    _Slot: TypeAlias = Tensor | float | tuple[Tensor, int]

__all__ = ["watch", "Watcher", "WEIGHT_LAYERS", "ACTIVATIONS", "INSTALL"]

INSTALL = 'pip install -e ".[torch]"'

#: The layer types :func:`watch` looks for (names in ``torch.nn``).
WEIGHT_LAYERS = ("Linear", "Conv1d", "Conv2d", "Conv3d", "RNN", "LSTM", "GRU")
#: The activation modules whose f' the statistics use (names in ``torch.nn``).
ACTIVATIONS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU")

_WATCHED: weakref.WeakSet[Module] = weakref.WeakSet()      # models with hooks on them right now


def _torch() -> ModuleType:
    """The torch module, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"vanishing.torch needs PyTorch ({error}); install the extra: {INSTALL}") from None
    return torch


# --- f' of each activation module, from its input U and output H ------------------------------

@dataclass(frozen=True)
class _Slope:
    """How to get f'(U) for one kind of activation module (see :data:`ACTIVATIONS`)."""

    prime: Callable[[Module, Tensor, Tensor], Tensor]     # (module, U, H) -> f'(U), U's shape
    peak: float                 # the largest value of f'
    saturates: bool             # f' -> 0 on both sides (sigmoid, tanh): count saturated, not dead


def _gelu_prime(module: Module, U: Tensor, H: Tensor) -> Tensor:
    torch = _torch()
    if getattr(module, "approximate", "none") != "none":      # the tanh approximation
        with torch.enable_grad():
            x = U.detach().requires_grad_(True)
            return torch.autograd.grad(torch.nn.functional.gelu(x, approximate="tanh").sum(), x)[0]
    cdf = 0.5 * (1.0 + torch.erf(U / math.sqrt(2.0)))
    return cdf + U * torch.exp(-0.5 * U * U) / math.sqrt(2.0 * math.pi)


def _elu_prime(module: Module, U: Tensor, H: Tensor) -> Tensor:
    # nn.ELU's alpha, a float (Module.__getattr__ is typed for tensors and submodules only)
    alpha: float = getattr(module, "alpha", 1.0)
    return _torch().where(H > 0, 1.0, H + alpha)


def _silu_prime(module: Module, U: Tensor, H: Tensor) -> Tensor:
    s = _torch().sigmoid(U)
    return s * (1.0 + U * (1.0 - s))


# f' written from H where the package does (sigma' = a(1 - a), tanh' = 1 - a^2): the same
# rounding as MLP.stats. ReLU, leaky ReLU and ELU use H > 0, which equals U > 0 and also holds
# for in-place modules (inplace=True overwrites U with H).
_SLOPES: dict[str, _Slope] = {
    "Sigmoid": _Slope(lambda m, U, H: H * (1.0 - H), 0.25, True),
    "Tanh": _Slope(lambda m, U, H: 1.0 - H * H, 1.0, True),
    "ReLU": _Slope(lambda m, U, H: H > 0, 1.0, False),
    "LeakyReLU": _Slope(lambda m, U, H: _torch().where(H > 0, 1.0, m.negative_slope), 1.0, False),
    "ELU": _Slope(_elu_prime, 1.0, False),
    "GELU": _Slope(_gelu_prime, 1.1289, False),       # max of Phi(z) + z phi(z), at z = sqrt 2
    "SiLU": _Slope(_silu_prime, 1.0998, False),       # max of s (1 + z (1 - s)), near z = 2.4
}


def _layer_types(nn: ModuleType) -> tuple[type[Module], ...]:
    return tuple(getattr(nn, name) for name in WEIGHT_LAYERS)


def _activation_kind(nn: ModuleType, module: Module) -> str | None:
    """The name in :data:`ACTIVATIONS` of an activation module (subclasses too), else None."""
    for name in ACTIVATIONS:
        if isinstance(module, getattr(nn, name)):
            return name
    return None


def _weights(layer: Module) -> list[Parameter]:
    """The weight matrices of a layer (``weight`` or, for RNN/LSTM/GRU, ``weight_ih_l0``, ...)."""
    return [p for name, p in layer.named_parameters(recurse=False)
            if name.startswith("weight") and p.requires_grad]


# --- the watcher ------------------------------------------------------------------------------

_FIELDS = ("grad_norm", "delta_rms", "act_mean", "act_std", "saturated", "dead", "update_ratio")


def _floats(torch: ModuleType, slots: Sequence[_Slot]) -> list[float]:
    """Floats from 0-d tensors, numbers and (count tensor, size) fractions, in order.

    All tensors go through one ``torch.stack(...).tolist()`` (and the counts through another):
    per-value conversions would cost more than the statistics themselves.
    """
    tensors = [v for v in slots if isinstance(v, torch.Tensor)]
    counts = [v[0] for v in slots if isinstance(v, tuple)]
    tensor_values: Iterator[float] = iter(torch.stack(tensors).tolist() if tensors else [])
    count_values: Iterator[int] = iter(torch.stack(counts).tolist() if counts else [])
    out = []
    for v in slots:
        if isinstance(v, torch.Tensor):
            out.append(float(next(tensor_values)))
        elif isinstance(v, tuple):
            out.append(next(count_values) / v[1])
        else:
            out.append(float(v))
    return out


def _mean_std(torch: ModuleType, H: Tensor) -> tuple[Tensor, Tensor]:
    r"""Mean and standard deviation over every entry, as MLP.stats computes them (two passes):
    :math:`\bar h = \sum h / N`, :math:`s = \lVert h - \bar h\rVert / \sqrt N`."""
    mean = H.mean()
    return mean, torch.linalg.vector_norm(H - mean) / math.sqrt(H.numel())


def _norms(torch: ModuleType, tensors: list[Tensor]) -> Sequence[Tensor]:
    """The Frobenius norm of each tensor (one fused call where torch offers it)."""
    foreach = getattr(torch, "_foreach_norm", None)
    return foreach(tensors) if foreach is not None else [torch.linalg.vector_norm(t) for t in tensors]


class Watcher:
    """Hooks on a model's layers and the statistics they recorded (made by :func:`watch`).

    Call :meth:`step` once per training step, after ``optimizer.step()``, with the step's
    loss. Then :meth:`history` is a :class:`~vanishing.train.TrainingHistory` (arrays of shape
    (steps, L), layer 1 first), :meth:`stats` one step's :class:`~vanishing.mlp.NetworkStats`
    and :meth:`verdict` what :func:`vanishing.diagnose.verdict` makes of both.

    Conventions. Layers are the watched modules in registration order, ``layer_names`` names
    them. A forward pass run without gradients (``torch.no_grad()``, evaluation) is not
    recorded. A layer called several times in one step keeps its last call. For RNN, LSTM and
    GRU modules the pre-activations live inside torch's kernel: delta is taken with respect to
    their output sequence, the activation statistics are those of that output, and a tanh
    (ReLU) ``nn.RNN`` counts saturated (dead) units from its output. With no activation module
    after a layer (a linear output layer, or an activation written as a function such as
    ``torch.relu``), the statistics are those of the layer's output, with f' = 1.

    ``grad_norm`` (and the global norm) are read when the backward pass ends, before
    ``backward()`` returns: so before any clipping, and with several backward passes in one step
    (gradient accumulation) the norm of their sum, the gradient the optimiser uses.

    A step whose loss or gradient is not finite ends the record: ``diverged_at`` is its index
    and ``reason`` says which (the hooks never raise), and later steps are not recorded.
    """

    def __init__(self, model: Module, layers: list[Module], names: list[str]) -> None:
        torch = self._torch = _torch()             # torch itself, kept: the hooks run often
        self.model = model
        self.layers = layers
        self.layer_names = names
        self._index = {id(layer): k for k, layer in enumerate(layers)}
        self._nn = torch.nn
        self._handles: list[RemovableHandle] = []
        self._records: dict[str, list[float]] = {k: [] for k in _FIELDS}
        self._loss: list[float] = []
        self._global: list[float] = []
        self.diverged_at: int | None = None
        self.reason = "loss not finite"
        self._before = [[w.detach().clone() for w in _weights(layer)] for layer in layers]
        self._pending: int | None = None          # the layer whose activation runs next
        self._kinds: dict[int, str] = {}          # id of an activation module -> its ACTIVATIONS name
        self._queued = False                      # the end-of-backward callback is queued
        self._reset()
        self._attach()

    # --- hooks ---------------------------------------------------------------------------
    def _attach(self) -> None:
        owner = {id(w): k for k, layer in enumerate(self.layers) for w in _weights(layer)}
        self._handles.append(self.model.register_forward_pre_hook(self._forward_starts))
        for layer in self.layers:
            self._handles.append(layer.register_forward_hook(self._layer_hook))
        for module in self.model.modules():
            kind = _activation_kind(self._nn, module)
            if kind is not None:
                self._kinds[id(module)] = kind
                self._handles.append(module.register_forward_hook(self._activation_hook))
        self._params = [p for p in self.model.parameters() if p.requires_grad]
        self._owner: list[int | None] = [owner.get(id(p)) for p in self._params]

    def _reset(self) -> None:
        """Forget the current step's values (called when a step is closed)."""
        L = len(self.layers)
        self._grad_norms: list[list[Tensor]] = [[] for _ in range(L)]   # per weight matrix of layer k
        # (delta tensor, its size), then (its norm, its size) after _backward_done
        self._delta: list[tuple[Tensor, int] | None] = [None] * L
        self._out: list[tuple[Tensor, Module] | None] = [None] * L      # (output, the layer)
        self._act: list[list[_Slot] | None] = [None] * L
        self._param_norms: Sequence[Tensor] = []                          # every parameter: the global norm

    def _backward_done(self) -> None:
        """Runs once at the end of each backward pass (queued by the first delta hook), before
        ``backward()`` returns and so before any clipping: the norm of every parameter's gradient
        as the optimiser will see it (with several backward passes per step, their sum), and of
        every delta the hooks kept (all in one fused call: one Python hook per layer is what
        costs most)."""
        self._queued = False
        torch = self._torch
        found = [(k, p.grad) for k, p in zip(self._owner, self._params) if p.grad is not None]
        grads = [g.to_dense() if g.is_sparse else g for _, g in found]
        deltas = [(k, d) for k, d in enumerate(self._delta) if d is not None and d[0].dim() > 0]
        tensors = grads + [d[0] for _, d in deltas]
        norms = _norms(torch, tensors) if tensors else []
        for (k, (_, size)), norm in zip(deltas, norms[len(grads):]):
            self._delta[k] = (norm, size)
        norms = norms[:len(grads)]
        self._param_norms = list(norms)
        self._grad_norms = [[] for _ in self.layers]
        for (owner, _), norm in zip(found, norms):
            if owner is not None:
                self._grad_norms[owner].append(norm)

    def _forward_starts(self, module: Module, inputs: tuple[Any, ...]) -> None:
        self._pending = None

    def _layer_hook(self, module: Module, inputs: tuple[Any, ...], output: Tensor | tuple[Tensor, ...]) -> None:
        torch = self._torch
        if not torch.is_grad_enabled():
            return
        k = self._index[id(module)]
        Z = output[0] if isinstance(output, tuple) else output      # RNN/LSTM/GRU: the sequence
        self._out[k] = (Z.detach(), module)
        self._act[k] = None
        self._pending = k
        if Z.requires_grad:
            def delta_hook(grad: Tensor, k: int = k) -> None:
                self._delta[k] = (grad.detach(), grad.numel())    # its norm: in _backward_done
                if not self._queued:           # the first layer reached in this backward pass
                    self._queued = True
                    torch.autograd.Variable._execution_engine.queue_callback(self._backward_done)
            Z.register_hook(delta_hook)

    def _activation_hook(self, module: Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        k = self._pending
        if k is None or not self._torch.is_grad_enabled():
            return
        self._pending = None
        self._act[k] = self._activation_stats(module, inputs[0].detach(), output.detach())

    def _activation_stats(self, module: Module, U: Tensor, H: Tensor) -> list[_Slot]:
        """[mean, std, saturated, dead] of H = f(U) (see MLP.stats): 0-d tensors, and fractions
        as (count, size) pairs, so that the division happens in float64 whatever H's dtype.
        U and H are detached: nothing here enters the autograd graph."""
        torch = self._torch
        mean, std = _mean_std(torch, H)
        kind = self._kinds[id(module)]
        slope = _SLOPES[kind]
        if slope.saturates:
            fp = slope.prime(module, U, H)
            return [mean, std, (torch.count_nonzero(fp < 0.1 * slope.peak), fp.numel()), 0.0]
        # dead: f' = 0 on every row. ReLU: f' = [H > 0] with H >= 0, so max over rows of H is 0
        fp = H if kind == "ReLU" else slope.prime(module, U, H).abs()
        per_unit = fp.reshape(fp.shape[0], -1) if fp.dim() > 1 else fp.reshape(-1, 1)
        alive = torch.count_nonzero(per_unit.amax(dim=0))
        return [mean, std, 0.0, (per_unit.shape[1] - alive, per_unit.shape[1])]

    def _output_stats(self, Z: Tensor, module: Module) -> list[_Slot]:
        """Statistics of a layer's own output Z when no activation module followed it."""
        torch = _torch()
        with torch.no_grad():
            mean, std = _mean_std(torch, Z)
            if type(module) is self._nn.RNN and module.nonlinearity == "tanh":
                return [mean, std, (torch.count_nonzero(1.0 - Z * Z < 0.1), Z.numel()), 0.0]
            if type(module) is self._nn.RNN:                # ReLU: a unit per hidden index
                dead = torch.logical_not((Z > 0).reshape(-1, Z.shape[-1]).any(dim=0))
                return [mean, std, 0.0, (torch.count_nonzero(dead), dead.numel())]
            return [mean, std, 0.0, 0.0]

    # --- one step --------------------------------------------------------------------------
    def step(self, loss: Tensor | float) -> None:
        """Close one training step: call it after ``optimizer.step()`` with the step's loss.

        Reads what the hooks recorded since the last call and the change of every watched
        weight. ``loss`` is a number or a 0-d tensor. After a step whose loss or gradient is
        not finite, nothing more is recorded (``diverged_at`` says where it happened).
        """
        torch = _torch()
        if not self._handles:
            raise ValueError("step: this Watcher is closed (its hooks were removed)")
        if isinstance(loss, torch.Tensor):
            if loss.numel() != 1:
                raise ValueError(f"loss must be one number (a 0-d tensor), got shape {tuple(loss.shape)}")
            loss = loss.detach().item()
        if isinstance(loss, bool) or not isinstance(loss, (int, float)):
            raise TypeError(f"loss must be a number or a 0-d tensor, got {type(loss).__name__}")
        if self.diverged_at is None:
            self._record(float(loss))
        self._reset()

    def _record(self, loss: float) -> None:
        torch = _torch()
        L = len(self.layers)
        for k in range(L):
            out = self._out[k]
            if self._act[k] is None and out is not None:
                self._act[k] = self._output_stats(*out)
        # every value of the step in one list, turned into floats with two conversions in all
        slots: list[_Slot] = [*self._param_norms]
        for k in range(L):
            recorded = self._delta[k]
            slots += [*self._grad_norms[k], recorded[0] if recorded else math.nan,
                      *(self._act[k] or [math.nan] * 4)]
        values = iter(_floats(torch, slots))
        g = math.hypot(*(next(values) for _ in self._param_norms)) if self._param_norms else math.nan
        if not math.isfinite(loss) or not math.isfinite(g):
            self.diverged_at = len(self._loss)
            self.reason = "loss not finite" if not math.isfinite(loss) else "gradient not finite"
            return
        ratios = self._update_ratios()
        for k in range(L):
            grads = [next(values) for _ in self._grad_norms[k]]
            delta, recorded = next(values), self._delta[k]
            row = {"grad_norm": math.hypot(*grads) if grads else math.nan,
                   "delta_rms": delta / math.sqrt(recorded[1]) if recorded else math.nan,
                   "act_mean": next(values), "act_std": next(values), "saturated": next(values),
                   "dead": next(values), "update_ratio": ratios[k]}
            for name in _FIELDS:
                self._records[name].append(row[name])
        self._loss.append(loss)
        self._global.append(g)

    def _update_ratios(self) -> list[float]:
        """Per layer ||W_after - W_before|| / ||W_before|| over its weight matrices; then W_before <- W."""
        torch = _torch()
        weights = [_weights(layer) for layer in self.layers]
        flat_w = [w.detach() for ws in weights for w in ws]
        flat_b = [b for bs in self._before for b in bs]
        with torch.no_grad():                    # in place: no new arrays the size of the weights
            size = [float(n) for n in _norms(torch, flat_b)]
            torch._foreach_sub_(flat_b, flat_w)
            change = [float(n) for n in _norms(torch, flat_b)]
            torch._foreach_copy_(flat_b, flat_w)
        ratios: list[float] = []
        i = 0
        for ws in weights:
            n = len(ws)
            ratios.append(math.hypot(*change[i:i + n]) / max(math.hypot(*size[i:i + n]), 1e-300))
            i += n
        return ratios

    # --- results ---------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        """The number of steps recorded (up to, not including, a step that diverged)."""
        return len(self._loss)

    def history(self) -> TrainingHistory:
        """Every recorded step as a :class:`~vanishing.train.TrainingHistory` (layer 1 first)."""
        from .train import TrainingHistory
        L = len(self.layers)
        arrays = {k: np.array(v, dtype=np.float64).reshape(-1, L) for k, v in self._records.items()}
        return TrainingHistory(loss=np.array(self._loss, dtype=np.float64),
                               grad_norm=arrays["grad_norm"], delta_rms=arrays["delta_rms"],
                               update_ratio=arrays["update_ratio"],
                               global_norm=np.array(self._global, dtype=np.float64),
                               diverged_at=self.diverged_at, reason=self.reason,
                               act_mean=arrays["act_mean"], act_std=arrays["act_std"],
                               saturated=arrays["saturated"], dead=arrays["dead"],
                               layers=tuple(self.layer_names))

    def stats(self, step: int = 0, title: str | None = None) -> NetworkStats:
        """The per-layer statistics of one recorded step (default the first: the network as
        initialised), as a :class:`~vanishing.mlp.NetworkStats`."""
        from .mlp import NetworkStats
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise TypeError(f"step must be an integer, got {type(step).__name__}")
        if not -self.steps <= step < self.steps:
            raise ValueError(f"step must be a recorded step in 0..{self.steps - 1} (or negative, from "
                             f"the end), got {step}" if self.steps else
                             "step: no step recorded yet: call watcher.step(loss) after optimizer.step()")
        L, index = len(self.layers), step % self.steps
        values = {k: np.array(self._records[k][index * L:(index + 1) * L], dtype=np.float64)
                  for k in _FIELDS[:-1]}
        if title is None:
            title = f"watch({type(self.model).__name__}), step {index}, {L} layers"
        return NetworkStats(**values, title=title)

    def verdict(self, step: int = 0) -> Diagnosis:
        """:func:`vanishing.diagnose.verdict` of :meth:`stats` (step ``step``) and :meth:`history`.

        A run that diverged at its very first step has no statistics to read: the verdict then
        rests on the history alone, with one row of zeros standing in for the statistics.
        """
        from . import diagnose
        from .mlp import NetworkStats
        if self.steps == 0 and self.diverged_at is not None:
            zeros, ones = np.zeros(len(self.layers)), np.ones(len(self.layers))
            stats = NetworkStats(grad_norm=ones, delta_rms=ones, act_mean=zeros, act_std=zeros,
                                 saturated=zeros, dead=zeros)
            return diagnose.verdict(stats, self.history())
        return diagnose.verdict(self.stats(step), self.history())

    # --- hooks off -------------------------------------------------------------------------
    def close(self) -> None:
        """Remove every hook (the recorded statistics stay readable). Calling it twice is harmless."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        _WATCHED.discard(self.model)

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if not self._handles else "watching"
        end = f", diverged at step {self.diverged_at}" if self.diverged_at is not None else ""
        return (f"Watcher({type(self.model).__name__}: {len(self.layers)} layers, {self.steps} steps"
                f"{end}, {state})")


def watch(model: Module, layers: Iterable[Module | str] | None = None) -> Watcher:
    """Attach the course's gradient diagnostics to a PyTorch model; returns a :class:`Watcher`.

    ``layers``: the modules to watch (modules of ``model``, or their names as in
    ``model.named_modules()``), layer 1 first; by default every ``Linear``, ``Conv1d/2d/3d``,
    ``RNN``, ``LSTM`` and ``GRU`` in registration order. Activation modules
    (:data:`ACTIVATIONS`) are found as the forward pass runs: the first one after a watched
    layer belongs to it.

    Use it as a context manager, or call ``close()``; a model can have one watcher at a time.
    Example (a complete step; see the module docstring)::

        with watch(model) as watcher:
            loss = torch.nn.functional.mse_loss(model(X), Y)
            loss.backward()
            optimizer.step()
            watcher.step(loss)
        print(watcher.stats())
    """
    torch = _torch()
    nn = torch.nn
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if model in _WATCHED:
        raise ValueError(f"model {type(model).__name__} is already watched: close() its Watcher (or "
                         "leave its with block) before calling watch(model) again")
    named = dict(model.named_modules())
    if layers is None:
        chosen = [m for m in named.values() if isinstance(m, _layer_types(nn)) and _weights(m)]
        if not chosen:
            raise ValueError(f"model {type(model).__name__} has no layer to watch: watch looks for "
                             f"{', '.join(WEIGHT_LAYERS)} modules with trainable weights (and the "
                             f"activations {', '.join(ACTIVATIONS)} after them)")
    else:
        chosen = _chosen_layers(nn, named, layers)
    names = {id(m): name for name, m in named.items()}
    watcher = Watcher(model, chosen, [names[id(m)] or type(m).__name__ for m in chosen])
    _WATCHED.add(model)
    return watcher


def _chosen_layers(nn: ModuleType, named: dict[str, Module], layers: Iterable[Module | str]) -> list[Module]:
    """The modules that ``layers`` names, checked: each one a watchable layer of the model."""
    if isinstance(layers, (str, nn.Module)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a list of modules or module names (or None), got {type(layers).__name__}")
    members = {id(m) for m in named.values()}
    chosen: list[Module] = []
    for i, item in enumerate(layers):
        module = named.get(item) if isinstance(item, str) else item
        if isinstance(item, str) and module is None:
            raise ValueError(f"layers[{i}] = {item!r} is not a module name of the model; "
                             f"names: {[n for n in named if n]}")
        if not isinstance(module, _layer_types(nn)) or id(module) not in members:
            raise ValueError(f"layers[{i}] must be one of the model's {', '.join(WEIGHT_LAYERS)} "
                             f"modules, got {type(module).__name__}")
        if not _weights(module):
            raise ValueError(f"layers[{i}] ({type(module).__name__}) has no trainable weight")
        if any(module is m for m in chosen):
            raise ValueError(f"layers[{i}] ({type(module).__name__}) is listed twice")
        chosen.append(module)
    if not chosen:
        raise ValueError("layers must name at least one layer (or be None: every layer)")
    return chosen
