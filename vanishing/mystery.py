r"""Mystery networks: small broken (or not) training set-ups to diagnose with :mod:`vanishing.diagnose`.

Each :class:`Mystery` holds a network, its data, its loss and learning rate, and a one-line
story. What is wrong is stored in ``answer`` (one of :data:`LABELS`) and ``explanation``
(why, and the fix); neither is shown when a mystery is printed, so a lesson can show the
symptoms first and reveal later.

Everything is deterministic and cheap: :func:`mystery_networks` builds all of them in well
under a second, and :meth:`Mystery.run` retrains a *fresh* copy each time, so calling it
twice gives the same history.

>>> ms = mystery_networks()
>>> sorted(ms)
['A', 'B', 'C', 'D', 'E']
>>> m = ms["C"]
>>> m.diagnose().findings[0].kind in LABELS
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import _check, diagnose, init
from .data import memory_task, two_moons
from .mlp import MLP
from .recurrent import RNN, RecurrentNetwork
from .train import TrainingHistory, fit

if TYPE_CHECKING:
    from .diagnose import Diagnosis
    from .mlp import NetworkStats

__all__ = ["LABELS", "Mystery", "mystery_networks"]

LABELS = ("vanishing", "exploding", "saturated", "dead", "healthy")


@dataclass
class Mystery:
    """One training set-up: a network factory, data, loss, learning rate, steps, and a story.

    ``model`` is a freshly built network to look at; :meth:`gradient_stats`, :meth:`run` and
    :meth:`diagnose` always start from a new copy (``build()``), so they never depend on what
    was done to ``model``. ``options`` are extra keyword arguments of the training function
    (for example ``{"clip_norm": 1.0}``). ``answer`` and ``explanation`` are the hidden solution.
    """

    name: str
    story: str
    build: Callable[[], MLP | RNN] = field(repr=False)
    X: np.ndarray = field(repr=False)
    Y: np.ndarray = field(repr=False)
    loss: str = "bce_with_logits"
    lr: float = 0.5
    steps: int = 200
    options: dict[str, Any] = field(default_factory=dict)
    answer: str = field(default="", repr=False)
    explanation: str = field(default="", repr=False)
    fix: Callable[[], Mystery] | None = field(default=None, repr=False)
    model: MLP | RNN = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.model = self.build()

    @property
    def recurrent(self) -> bool:
        return isinstance(self.model, RecurrentNetwork)

    def gradient_stats(self) -> NetworkStats:
        """Per-layer statistics of one forward and backward pass of a fresh network on (X, Y).

        A :class:`~vanishing.mlp.NetworkStats`; for a recurrent network, one row per time step
        (:func:`vanishing.diagnose.unrolled_stats`).
        """
        net = self.build()
        # self.recurrent (the same build): a recurrent network's "layers" are its time steps
        if isinstance(net, RNN):
            return diagnose.unrolled_stats(net, self.X, self.Y, loss=self.loss)
        _, grads = net.loss_and_gradients(self.X, self.Y, self.loss)
        return net.stats(grads, title=f"mystery {self.name}: {net!r}, Out = {self.loss}")

    def run(self, steps: int | None = None) -> TrainingHistory:
        """Train a fresh network for ``steps`` (default ``self.steps``) with
        :func:`vanishing.train.fit` and return its history (it reports ``diverged_at``)."""
        steps = self.steps if steps is None else _check.positive_int(steps, "steps")
        return fit(self.build(), self.X, self.Y, steps=steps, lr=self.lr, loss=self.loss,
                   **self.options)

    def diagnose(self, history: TrainingHistory | None = None) -> Diagnosis:
        """:func:`vanishing.diagnose.verdict` of the fresh network's statistics and a training run."""
        return diagnose.verdict(self.gradient_stats(), self.run() if history is None else history)

    def fixed(self) -> Mystery:
        """The same task with the fix applied (part of the solution: look only after diagnosing)."""
        if self.fix is None:
            return self
        return self.fix()

    def reveal(self) -> str:
        """The hidden answer and its explanation."""
        return f"{self.name}: {self.answer}. {self.explanation}"

    def __str__(self) -> str:
        options = "".join(f", {k}={v}" for k, v in self.options.items())
        return (f"Mystery {self.name}: {self.story}\n  network: {self.model!r}\n"
                f"  data: X {tuple(self.X.shape)}, Y {tuple(self.Y.shape)}; Out = {self.loss}; "
                f"SGD lr {self.lr:g}, {self.steps} steps{options}")

    __repr__ = __str__


# --- the set-ups -----------------------------------------------------------------------------

def _moons() -> tuple[np.ndarray, np.ndarray]:
    return two_moons(200, seed=0)


def _mlp(sizes: list[int], activation: str, init_scheme: str | init.Initializer,
         hidden_bias: float = 0.0, batchnorm: bool = False) -> Callable[[], MLP]:
    def build() -> MLP:
        net = MLP(sizes, activation=activation, init=init_scheme, batchnorm=batchnorm, seed=0)
        if hidden_bias:
            L = len(sizes) - 1
            net.biases = [np.full(n, hidden_bias if l < L - 1 else 0.0)
                          for l, n in enumerate(sizes[1:])]
        return net
    return build


def _raw_units(fixed: bool = False) -> Mystery:
    X, Y = _moons()
    X_raw = 100.0 + 10.0 * X                    # uncentred, unscaled features
    X_used = (X_raw - X_raw.mean(axis=0)) / X_raw.std(axis=0) if fixed else X_raw
    return Mystery(
        name="A" + (" (fixed)" if fixed else ""),
        story="Two moons, but both features arrive in raw instrument units (around 100, spread "
              "about 10) and go straight into a small sigmoid network.",
        build=_mlp([2, 16, 16, 1], "sigmoid", "xavier_normal"), X=X_used, Y=Y, lr=0.5, steps=200,
        answer="saturated",
        explanation="Every first-layer pre-activation z = w . x is dominated by the large common "
                    "offset of the inputs, so most first-layer sigmoids sit far out in a flat tail "
                    "for every example: their outputs are the same 0 or 1 whatever the input, and "
                    "their f'(z) is tiny. The output ignores the input and the loss stays at the "
                    "constant-guess loss. Fix: standardise the inputs (subtract the mean, divide by "
                    "the standard deviation, per feature); batch norm on the first layer also works.",
        fix=None if fixed else (lambda: _raw_units(fixed=True)))


def _worried_owner() -> Mystery:
    X, Y = _moons()
    return Mystery(
        name="B",
        story="A ReLU network with He initialisation; its owner is worried because the loss "
              "starts well above ln 2.",
        build=_mlp([2, 32, 32, 32, 32, 1], "relu", "he_normal"), X=X, Y=Y, lr=0.5, steps=200,
        answer="healthy",
        explanation="Nothing is wrong. A loss above ln 2 at the start only means the random "
                    "initial logits are confidently wrong on some examples; the gradient norms "
                    "are comparable across layers, no layer is dead or saturated, and the loss "
                    "falls far below the constant-guess loss. Fix: none (do not fix what is not broken).")


def _old_tutorial(fixed: bool = False) -> Mystery:
    X, Y = _moons()
    sizes = [2] + [16] * 7 + [1]
    build = (_mlp(sizes, "sigmoid", "xavier_normal", batchnorm=True) if fixed
             else _mlp(sizes, "sigmoid", init.normal(0.1)))
    return Mystery(
        name="C" + (" (fixed)" if fixed else ""),
        story="An 8-layer sigmoid network whose weights are all drawn from N(0, 0.1^2), as an old "
              "tutorial did it.",
        build=build, X=X, Y=Y, lr=0.5, steps=200,
        answer="vanishing",
        explanation="Going down one layer, delta is multiplied by weights of size 0.1 and by "
                    "sigma'(z) <= 1/4; even summed over 16 units that is a factor far below 1, so "
                    "delta shrinks by a large factor per layer and the first layers get almost no "
                    "gradient. Nothing is saturated or dead: the small factors alone do it. Fix: "
                    "ReLU with He initialisation, or batch normalisation (used here); Xavier "
                    "initialisation alone is not enough for 8 sigmoid layers.",
        fix=None if fixed else (lambda: _old_tutorial(fixed=True)))


def _long_memory(fixed: bool = False) -> Mystery:
    X, Y = memory_task(64, lag=20, seed=0)
    return Mystery(
        name="D" + (" (fixed)" if fixed else ""),
        story="A ReLU recurrent network must remember a bit for 20 steps; its recurrent matrix was "
              "scaled up (orthogonal with gain 2) so that the bit would not be forgotten.",
        build=lambda: RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0),
        X=X, Y=Y, lr=0.1, steps=200, options={"clip_norm": 1.0} if fixed else {},
        answer="exploding",
        explanation="Unrolled over 20 steps the network multiplies by its recurrent matrix 20 times; "
                    "with every singular value equal to 2 and ReLU passing active units unchanged, "
                    "the state and the gradient grow by up to a factor 2 per step, the loss is huge "
                    "from the start and two SGD steps make it inf. Fix: clip the gradient by its "
                    "global norm (used here, with clip_norm = 1), and/or start with gain 1 or use "
                    "an LSTM/GRU.",
        fix=None if fixed else (lambda: _long_memory(fixed=True)))


def _sparse_start(fixed: bool = False) -> Mystery:
    X, Y = _moons()
    return Mystery(
        name="E" + (" (fixed)" if fixed else ""),
        story="A ReLU network with He initialisation whose hidden biases all start at -0.5, so "
              "that 'only strong features fire'.",
        build=_mlp([2, 16, 16, 16, 16, 1], "relu", "he_normal", hidden_bias=0.0 if fixed else -0.5),
        X=X, Y=Y, lr=0.5, steps=200,
        answer="dead",
        explanation="A negative bias pushes z below 0 for more units in every layer, and a unit "
                    "whose z < 0 for every example outputs 0 and has f' = 0: no gradient reaches "
                    "it or flows through it. Deep layers are almost entirely dead, so the output "
                    "is nearly constant and the loss sits at the constant-guess loss. Fix: biases "
                    "at 0 (used here) or slightly positive, a smaller learning rate where big "
                    "steps kill units; leaky ReLU keeps units technically alive, but with "
                    "alpha = 0.01 their gradient is 100 times smaller.",
        fix=None if fixed else (lambda: _sparse_start(fixed=True)))


def mystery_networks() -> dict[str, Mystery]:
    """The mystery set-ups, name -> :class:`Mystery` (fresh objects on every call, deterministic)."""
    return {m.name: m for m in (_raw_units(), _worried_owner(), _old_tutorial(), _long_memory(),
                                _sparse_start())}
