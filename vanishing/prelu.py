r"""PReLU: a rectifier whose negative slope is learned (He et al. 2015, "Delving deep into rectifiers").

.. math::
    f(z) = \begin{cases} z & z > 0 \\ a\,z & z \le 0 \end{cases},\qquad
    \frac{\partial f}{\partial z} = \begin{cases} 1 & z > 0 \\ a & z \le 0 \end{cases},\qquad
    \frac{\partial f}{\partial a} = \begin{cases} 0 & z > 0 \\ z & z \le 0 \end{cases} = \min(z, 0).

The slope is learned like a weight. Here, as in He et al.'s *channel-wise* variant, every unit of a
layer has its own slope: ``a`` has shape ``(units,)`` and the gradient of a slope sums over the batch,

.. math:: \frac{\partial\,\mathrm{Out}}{\partial a_j} = \sum_{\text{examples } i} G_{ij}\,\min(z_{ij}, 0),
          \qquad G = \partial\,\mathrm{Out}/\partial f(Z).

The *channel-shared* variant has one slope per layer: pass ``a`` of shape ``(1,)`` (or a float), and
its gradient sums over the units as well. He et al. start every slope at 0.25 and train it without
weight decay.

>>> import numpy as np
>>> Z = np.array([[2.0, -1.0], [-3.0, 0.5]])
>>> prelu(Z, np.array([0.25, 0.5]))
array([[ 2.  , -0.5 ],
       [-0.75,  0.5 ]])
>>> grad_z, grad_a = prelu_backward(np.ones_like(Z), Z, np.array([0.25, 0.5]))
>>> grad_a                                  # sum of min(z, 0) down each column
array([-3., -1.])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _check, losses
from . import init as init_

__all__ = ["prelu", "prelu_backward", "PReLUGradients", "PReLUNet", "INITIAL_SLOPE"]

#: He et al.'s starting value of every slope.
INITIAL_SLOPE = 0.25


def _slope(a: ArrayLike, z: np.ndarray) -> np.ndarray:
    """``a`` as a float64 array that broadcasts over the last axis of ``z``: shape (), (1,) or (units,)."""
    a_arr = _check.finite_array(a, "a")
    if a_arr.ndim > 1 or (a_arr.ndim == 1 and a_arr.size not in (1, z.shape[-1] if z.ndim else 1)):
        raise ValueError(f"a must be a number, shape (1,) (one slope per layer) or shape (units,) with "
                         f"units = the last axis of z, {z.shape[-1] if z.ndim else 1} (one per unit); "
                         f"got a of shape {a_arr.shape} for z of shape {z.shape}")
    return a_arr


def _finite(value: np.ndarray, what: str) -> np.ndarray:
    """``value`` if every entry is finite; else a ValueError (z, a or grad_output is too large)."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} overflows float64: z, a or grad_output is too large")
    return value


def prelu(z: ArrayLike, a: ArrayLike) -> np.ndarray:
    r"""PReLU of the pre-activations ``z`` (any shape, units on the last axis) with slopes ``a``.

    .. math:: f(z) = \max(z, 0) + a\,\min(z, 0)

    >>> float(prelu(-2.0, 0.25))
    -0.5
    """
    z = _check.finite_array(z, "z")
    a = _slope(a, z)
    with np.errstate(over="ignore"):
        out = np.maximum(z, 0.0) + a * np.minimum(z, 0.0)
    return _finite(out, "prelu(z, a)")


def prelu_backward(grad_output: ArrayLike, z: ArrayLike, a: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""``(dOut/dz, dOut/da)`` from ``grad_output`` :math:`= \partial\,\mathrm{Out}/\partial f(z)`.

    .. math:: \frac{\partial\,\mathrm{Out}}{\partial z} = G \odot \begin{cases} 1 & z > 0 \\ a & z \le 0
              \end{cases},\qquad
              \frac{\partial\,\mathrm{Out}}{\partial a} = \textstyle\sum G \odot \min(z, 0)

    where the sum runs over every axis that ``a`` does not have: the batch for a slope per unit,
    everything for a single slope. ``dOut/da`` has the shape of ``a``. At the kink z = 0 the
    derivative in z is taken as ``a`` (the left side), in ``a`` as 0 (both sides agree there).

    >>> gz, ga = prelu_backward(np.array([[1.0, 1.0]]), np.array([[-2.0, 3.0]]), 0.25)
    >>> gz, float(ga)
    (array([[0.25, 1.  ]]), -2.0)
    """
    z = _check.finite_array(z, "z")
    G = _check.finite_array(grad_output, "grad_output")
    if G.shape != z.shape:
        raise ValueError(f"grad_output must have the shape of z, {z.shape}, got {G.shape}")
    a = _slope(a, z)
    with np.errstate(over="ignore", invalid="ignore"):
        grad_z = np.where(z > 0, G, a * G)
        per_entry = G * np.minimum(z, 0.0)              # df/da = min(z, 0)
        if a.ndim == 0:
            grad_a = np.sum(per_entry)
        elif a.size == 1 and z.ndim and z.shape[-1] != 1:
            grad_a = np.sum(per_entry).reshape(a.shape)  # one slope for the layer: sum everything
        else:
            grad_a = per_entry.reshape(-1, a.size).sum(axis=0)   # one per unit: sum over the batch
    return _finite(grad_z, "dOut/dz"), _finite(grad_a, "dOut/da")


@dataclass
class PReLUGradients:
    """Gradients of a :class:`PReLUNet`: per layer ``W`` (n_out, n_in), ``b`` (n_out,), ``delta``
    (batch, n_out) = dOut/dZ_l, and per hidden layer ``a`` (the slopes' shape)."""

    W: list[np.ndarray]
    b: list[np.ndarray]
    a: list[np.ndarray]
    delta: list[np.ndarray]

    def as_list(self) -> list[np.ndarray]:
        """In the order of :meth:`PReLUNet.parameters`: every W, every b, every slope."""
        return [*self.W, *self.b, *self.a]


class PReLUNet:
    r"""A fully connected network with PReLU hidden layers and a linear output layer.

    .. math:: z_l = W_l a_{l-1} + b_l,\quad a_l = \mathrm{prelu}(z_l; s_l)\ (l < L),\quad a_L = z_L

    ``slope`` is the starting value of every slope (:data:`INITIAL_SLOPE`, 0.25, as He et al.);
    ``shared=True`` gives one slope per layer instead of one per unit. Weights are drawn with
    ``init`` (a scheme name or an initializer, as for :class:`vanishing.mlp.MLP`), biases start at 0.

    >>> net = PReLUNet([2, 3, 1], seed=0)
    >>> value, grads = net.loss_and_gradients(np.ones((4, 2)), np.zeros((4, 1)))
    >>> [a.shape for a in grads.a]
    [(3,)]
    """

    def __init__(self, sizes: list[int], slope: float = INITIAL_SLOPE, shared: bool = False,
                 init: str | init_.Initializer = "he_normal", seed: int = 0) -> None:
        if isinstance(sizes, (str, bytes)) or np.ndim(sizes) != 1 or len(sizes) < 2:
            raise ValueError(f"sizes must be a list of at least two layer widths, got {sizes!r}")
        self.sizes = [_check.positive_int(n, "sizes[%d]" % i) for i, n in enumerate(sizes)]
        _check.budget(f"PReLUNet(sizes={self.sizes})",
                      nbytes=2 * 8 * sum(m * n for m, n in zip(self.sizes, self.sizes[1:])))
        slope = _check.finite_float(slope, "slope")
        if not isinstance(shared, (bool, np.bool_)):
            raise TypeError(f"shared must be True (one slope per layer) or False (one per unit), "
                            f"got {type(shared).__name__}")
        self.shared = bool(shared)
        scheme = init_.initializer(init)
        rng = np.random.default_rng(_check.seed(seed))
        self.weights = [init_.draw(scheme, n_in, n_out, rng, f"init for layer {l}")
                        for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), 1)]
        self.biases = [np.zeros(n) for n in self.sizes[1:]]
        self.slopes = [np.full(1 if self.shared else n, slope) for n in self.sizes[1:-1]]
        self._cache: list[tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def depth(self) -> int:
        return len(self.sizes) - 1

    def parameters(self) -> list[np.ndarray]:
        """Every trainable array, updated in place by an optimizer: every W, every b, every slope."""
        return [*self.weights, *self.biases, *self.slopes]

    def forward(self, X: ArrayLike) -> np.ndarray:
        """The output (batch, n_L) for X of shape (batch, n_0); keeps what backward needs."""
        X = _check.finite_array(X, "X", ndim=2)
        if X.shape[1] != self.sizes[0] or X.shape[0] < 1:
            raise ValueError(f"X must have shape (batch, {self.sizes[0]}) with batch >= 1, got {X.shape}")
        A, cache = X, []
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            with np.errstate(over="ignore", invalid="ignore"):
                Z = A @ W.T + b
            if not np.all(np.isfinite(Z)):
                raise ValueError(f"the pre-activations overflow float64 at layer {l + 1}: "
                                 "the weights or X are too large (a diverging run?)")
            cache.append((A, Z))
            A = prelu(Z, self.slopes[l]) if l < self.depth - 1 else Z
        self._cache = cache
        return A

    def backward(self, grad_output: ArrayLike) -> PReLUGradients:
        r"""Backpropagate :math:`G = \partial\,\mathrm{Out}/\partial a_L`:
        :math:`\delta_l = \partial\,\mathrm{Out}/\partial z_l`, then :math:`\partial W_l = \delta_l^\top a_{l-1}`."""
        if self._cache is None:
            raise ValueError("call forward(X) before backward(grad_output)")
        G = _check.finite_array(grad_output, "grad_output", ndim=2)
        if G.shape != self._cache[-1][1].shape:
            raise ValueError(f"grad_output must have the output's shape {self._cache[-1][1].shape}, "
                             f"got {G.shape}")
        L = self.depth
        dW: list[np.ndarray] = []
        db: list[np.ndarray] = []
        da: list[np.ndarray] = []
        deltas: list[np.ndarray] = []
        for l in range(L - 1, -1, -1):                       # output layer first; reversed below
            A_prev, Z = self._cache[l]
            if l < L - 1:
                delta, grad_a = prelu_backward(G, Z, self.slopes[l])
                da.append(grad_a)
            else:
                delta = G                                    # the output layer is linear
            deltas.append(delta)
            dW.append(delta.T @ A_prev)
            db.append(delta.sum(axis=0))
            G = delta @ self.weights[l]
        return PReLUGradients(W=dW[::-1], b=db[::-1], a=da[::-1], delta=deltas[::-1])

    def activation_std(self) -> np.ndarray:
        """The std of each hidden layer's activations :math:`a_l` in the last forward pass, layer 1 first."""
        if self._cache is None:
            raise ValueError("call forward(X) before activation_std()")
        return np.array([float(np.std(A)) for A, _ in self._cache[1:]])

    def loss_and_gradients(self, X: ArrayLike, Y: ArrayLike, loss: str = "mse") -> tuple[float, PReLUGradients]:
        """Forward, the loss against ``Y`` ("mse" or "bce_with_logits") and backward: ``(value, grads)``."""
        out = self.forward(X)
        Y = _check.finite_array(Y, "Y", ndim=2)
        if Y.shape != out.shape:
            raise ValueError(f"Y must have the output's shape (rows of X, n_L) = {out.shape}, got {Y.shape}")
        value, G = losses.get(loss)(out, Y)
        return value, self.backward(G)

    def __repr__(self) -> str:
        return (f"PReLUNet(sizes={self.sizes}, {'shared' if self.shared else 'per-unit'} slopes)")
