r"""One-dimensional slices of a loss landscape: where a gradient step lands.

Stack every parameter array of a model into one vector :math:`\theta`. Along a
direction :math:`d` (a list of arrays shaped like the parameters) the slice is

.. math:: \ell(\alpha) = \mathrm{Loss}(\theta + \alpha\, d), \qquad \alpha \in \mathbb R .

Along the unit gradient direction :math:`d = g / \lVert g\rVert` its slope at 0 is
the directional derivative :math:`\ell'(0) = g \cdot d = \lVert g\rVert`, and an SGD
step :math:`\theta - \eta g` is the point :math:`\alpha = -\eta\lVert g\rVert` of the
slice (clipped by global norm at :math:`c`: :math:`\alpha = -\eta\min(\lVert g\rVert, c)`).
Pascanu, Mikolov and Bengio (2013), "On the difficulty of training recurrent neural
networks", drew such slices of an exploding RNN: steep walls, where one plain step
jumps far past the wall and clipping keeps the step short.

>>> import numpy as np
>>> from vanishing.mlp import MLP
>>> net = MLP([2, 3, 1], activation="tanh", init="xavier_normal", seed=0)
>>> X, Y = np.ones((4, 2)), np.zeros((4, 1))
>>> _, grads = net.loss_and_gradients(X, Y, "mse")
>>> d = unit_direction(grads.as_list())
>>> s = loss_slice(net, X, Y, d, [-0.1, 0.0, 0.1], loss="mse")
>>> bool(s.losses[0] < s.losses[1] < s.losses[2])     # downhill against the gradient
True
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _check, losses, optim
from .table import Table

__all__ = ["unit_direction", "directional_derivative", "loss_slice", "LossSlice"]

MAX_POINTS = 100_000      # a slice with more points than this is refused (each is a forward pass)


def unit_direction(grads: list[np.ndarray]) -> list[np.ndarray]:
    r"""The gradient divided by its global norm: :math:`d = g / \lVert g\rVert`, same shapes.

    >>> [a.tolist() for a in unit_direction([np.array([3.0]), np.array([[4.0]])])]
    [[0.6], [[0.8]]]
    """
    arrays = optim._arrays(grads, "grads")
    norm = optim.global_norm(arrays)
    if not np.isfinite(norm):
        raise ValueError(f"grads must be finite to give a direction, their global norm is {norm}")
    if norm == 0.0:
        raise ValueError("grads is zero everywhere: a zero gradient has no direction")
    return [g / norm for g in arrays]


def directional_derivative(grads: list[np.ndarray], direction: list[np.ndarray]) -> float:
    r"""The slope of the loss along ``direction``: :math:`g\cdot d = \sum_k \sum_i g_{k,i}\, d_{k,i}`.

    >>> directional_derivative([np.array([3.0, 4.0])], [np.array([0.6, 0.8])])
    5.0
    """
    g = _finite_arrays(grads, "grads")
    d = _finite_arrays(direction, "direction")
    _same_shapes(d, [a.shape for a in g], "direction", "grads")
    return float(sum(np.sum(a * b) for a, b in zip(g, d)))


@dataclass(repr=False)
class LossSlice(Table):
    r""":math:`\ell(\alpha) = \mathrm{Loss}(\theta + \alpha d)` at each ``alphas[i]`` (shape (points,)).

    ``losses[i]`` is inf where the forward pass overflowed float64.
    """

    alphas: np.ndarray
    losses: np.ndarray
    loss: str

    _COLUMNS = ("alpha", "loss")

    def _title(self) -> str:
        return f"{self.loss} along theta + alpha d, {len(self.alphas)} points"

    def rows(self) -> list[list[str]]:
        return [[f"{a:.4g}", f"{v:.4g}"] for a, v in zip(self.alphas, self.losses)]


def loss_slice(model: Any, X: npt.ArrayLike, Y: npt.ArrayLike, direction: list[np.ndarray],
               alphas: npt.ArrayLike, loss: str) -> LossSlice:
    r"""The loss of ``model`` on (X, Y) at :math:`\theta + \alpha d` for every ``alpha``.

    ``model`` has ``parameters()`` (its trainable arrays, in the order of ``direction``)
    and ``forward(X)``; ``loss`` is a name from :func:`vanishing.losses.get`. The
    parameters are moved in place for each point and always restored. A point whose
    forward pass overflows float64 gets the loss inf (a wall beyond float64).
    """
    if not (callable(getattr(model, "parameters", None)) and callable(getattr(model, "forward", None))):
        raise TypeError(f"model must have parameters() and forward(X), got {type(model).__name__}")
    loss_fn = losses.get(loss)
    params = model.parameters()
    d = _finite_arrays(direction, "direction")
    _same_shapes(d, [p.shape for p in params], "direction", "model.parameters()")
    alphas = _alphas(alphas)
    theta = [p.copy() for p in params]
    out = model.forward(X)                           # a bad X is refused here, by name
    Y = _check.finite_array(Y, "Y", ndim=2)
    if Y.shape != out.shape:
        raise ValueError(f"Y must have the output's shape {out.shape}, got {Y.shape}")
    base = float(loss_fn(out, Y)[0])
    try:
        value = [base if alpha == 0.0 else _loss_at(model, params, theta, d, alpha, loss_fn, X, Y)
                 for alpha in alphas]
    finally:
        for p, t in zip(params, theta):
            p[...] = t
        model.forward(X)                             # its cache describes theta again
    return LossSlice(alphas=alphas, losses=np.array(value, dtype=np.float64), loss=loss)


def _loss_at(model: Any, params: list[np.ndarray], theta: list[np.ndarray],
             d: list[np.ndarray], alpha: float, loss_fn: Callable, X: npt.ArrayLike,
             Y: np.ndarray) -> float:
    """The loss at theta + alpha d; inf where the parameters or the forward pass overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        for p, t, v in zip(params, theta, d):
            p[...] = t + alpha * v
        if not all(np.isfinite(p).all() for p in params):
            return float("inf")
        try:
            out = model.forward(X)
        except ValueError:                           # an MLP refuses to overflow: beyond float64
            return float("inf")
        if not np.all(np.isfinite(out)):
            return float("inf")
        value = float(loss_fn(out, Y)[0])
    return value if np.isfinite(value) else float("inf")


def _alphas(alphas: npt.ArrayLike) -> np.ndarray:
    if isinstance(alphas, numbers.Number) or isinstance(alphas, (str, bytes)):
        raise TypeError(f"alphas must be a 1-d sequence of numbers, got {type(alphas).__name__}")
    arr = _check.nonempty(_check.finite_array(alphas, "alphas", ndim=1), "alphas")
    if arr.size > MAX_POINTS:
        raise ValueError(f"alphas must hold at most {MAX_POINTS} points (one forward pass each), "
                         f"got {arr.size}")
    return arr.copy()


def _finite_arrays(arrays: Iterable[npt.ArrayLike], name: str) -> list[np.ndarray]:
    out = optim._arrays(arrays, name)
    for k, a in enumerate(out):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}[{k}] must contain only finite numbers (no inf or NaN)")
    return out


def _same_shapes(arrays: list, shapes: list, name: str, other: str) -> None:
    if [a.shape for a in arrays] != list(shapes):
        raise ValueError(f"{name} must have one array per parameter with the shapes of {other} "
                         f"{list(shapes)}, got {[a.shape for a in arrays]}")
