r"""A fully connected network with backpropagation written out by hand.

A batch is a matrix with one example per row: ``X`` has shape ``(batch, n_0)``.
Layer :math:`l` (1..L) has weights :math:`W_l` of shape ``(n_l, n_{l-1})`` and

.. math::
    Z_l = A_{l-1} W_l^\top + b_l,\qquad
    U_l = \mathrm{BN}(Z_l)\ \text{(optional)},\qquad
    A_l = f(U_l)\quad\text{or, residual,}\quad A_l = A_{l-1} + s\,f(U_l).

Hidden layers 1..L-1 use ``activation``; the output layer L is
``Z_L W_L^T + b_L`` followed by ``output_activation`` (default linear: logits).
Batch norm and residual paths apply to hidden layers only (a residual path
needs equal widths, so it is used where :math:`n_{l-1} = n_l`).

The backward pass takes :math:`G = \partial\,\mathrm{Out}/\partial A_L` and returns,
for every layer, :math:`\delta_l = \partial\,\mathrm{Out}/\partial Z_l` and

.. math::
    \frac{\partial\,\mathrm{Out}}{\partial W_l} = \delta_l^\top A_{l-1},\qquad
    \frac{\partial\,\mathrm{Out}}{\partial b_l} = \textstyle\sum_{\text{batch}} \delta_l,\qquad
    \frac{\partial\,\mathrm{Out}}{\partial A_{l-1}} = \delta_l W_l\ (+\ G_l\ \text{if residual}).

>>> import numpy as np
>>> net = MLP([3, 4, 1], activation="tanh", init="xavier_normal", seed=0)
>>> out = net.forward(np.ones((2, 3)))
>>> grads = net.backward(np.ones_like(out))
>>> [g.shape for g in grads.W]
[(4, 3), (1, 4)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple, Sequence

import numpy as np
import numpy.typing as npt

from . import _check, losses
from . import activations as act
from . import init as init_
from .normalization import standardise, standardise_backward, sums, sums_of_products
from .table import Table

__all__ = ["MLP", "Gradients", "NetworkStats", "LayerCache", "gradient_profile", "compare_profiles",
           "layer_statistics"]

EPS = 1e-5          # batch norm's variance floor (PyTorch's default)
MOMENTUM = 0.1      # running statistics: r <- (1 - m) r + m * batch_statistic


@dataclass
class Gradients:
    """dOut/d(everything) from one backward pass; lists hold layer 1 first.

    ``W``, ``b``: parameter gradients. ``delta``: dOut/dZ_l, shape (batch, n_l).
    ``gamma``, ``beta``: batch-norm gradients (``None`` for layers without it).
    ``fprime``: f'(U_l) per layer (what the statistics read). ``input``: dOut/dX.
    """

    W: list[np.ndarray]
    b: list[np.ndarray]
    delta: list[np.ndarray]
    gamma: list[np.ndarray | None]
    beta: list[np.ndarray | None]
    fprime: list[np.ndarray]
    input: np.ndarray

    def as_list(self) -> list[np.ndarray]:
        """Gradients in the order of :meth:`MLP.parameters`."""
        return _in_parameter_order(self.W, self.b, self.gamma, self.beta)


def _in_parameter_order(W: list[np.ndarray], b: list[np.ndarray],
                        gamma: list[np.ndarray | None],
                        beta: list[np.ndarray | None]) -> list[np.ndarray]:
    """W_1, b_1, W_2, b_2, ...; a batch-normed layer has gamma_l, beta_l in place of b_l
    (its bias cancels in the normalisation). Parameters and gradients share this order."""
    out = []
    for l in range(len(W)):
        g, be = gamma[l], beta[l]                  # both None, or both arrays
        out += [W[l], b[l]] if g is None or be is None else [W[l], g, be]
    return out


class LayerCache(NamedTuple):
    """What the forward pass keeps of layer l for the backward pass."""

    A_prev: np.ndarray      # the layer's input A_{l-1}
    Z: np.ndarray           # A_{l-1} W_l^T + b_l
    U: np.ndarray           # the input of f: Z, or BN(Z)
    H: np.ndarray           # f(U)
    # batch norm's (Zhat, 1/sigma, batch statistics?) or None
    bn: tuple[np.ndarray, np.ndarray, bool] | None


#: the per-layer statistics, in the order of :class:`NetworkStats`'s fields
_STATISTICS = ("grad_norm", "delta_rms", "act_mean", "act_std", "saturated", "dead")


@dataclass(repr=False)
class NetworkStats(Table):
    """Per-layer statistics of one forward and backward pass (layer 1 first).

    grad_norm: ||dOut/dW_l|| (Frobenius). delta_rms: root mean square of
    delta_l. act_mean, act_std: of f(U_l). saturated: fraction of entries with
    f'(U) below a tenth of f's peak derivative (saturating activations only).
    dead: fraction of units with f'(U) = 0 for every example of the batch, for
    activations that do not saturate (ReLU family); a sigmoid or tanh unit whose f'
    rounds to 0 is saturated, not dead, and counts under ``saturated``.
    It behaves as the sequence of weight-gradient norms: ``list(stats)``.
    """

    grad_norm: np.ndarray
    delta_rms: np.ndarray
    act_mean: np.ndarray
    act_std: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    title: str = field(default="")

    def __len__(self) -> int:
        return len(self.grad_norm)

    def __getitem__(self, i: int) -> float:
        return self.grad_norm[i]

    def __iter__(self) -> Iterator[float]:
        return iter(self.grad_norm)

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self.grad_norm, dtype=dtype)

    def rows(self, max_rows: int | None = None) -> list[list[str]]:
        return self.head_and_tail(len(self), lambda i: [
            str(i + 1), f"{self.grad_norm[i]:.3e}", f"{self.delta_rms[i]:.3e}",
            f"{self.act_mean[i]:.4f}", f"{self.act_std[i]:.4f}", f"{self.saturated[i]:.3f}",
            f"{self.dead[i]:.3f}"], max_rows)

    _COLUMNS = ("layer", "|dW|", "rms delta", "act mean", "act std", "saturated", "dead")

    def _title(self) -> str:
        return self.title


class MLP:
    """A multilayer perceptron with manual backprop; see the module docstring for the math.

    Parameters
    ----------
    sizes : [n_0, n_1, ..., n_L], layer widths from input to output (at least two).
    activation : hidden-layer activation name (see :func:`vanishing.activations.names`).
    init : scheme name (see :func:`vanishing.init.names`) or a callable such as
        ``vanishing.init.normal(0.1)``.
    batchnorm : batch-normalise every hidden layer's pre-activation.
    residual : add an identity path around every hidden layer whose width is unchanged.
    residual_scale : s in A_l = A_{l-1} + s f(U_l) (branch scaling).
    output_activation : the last layer's activation (default "linear").
    seed : seed of the weight draw.
    """

    def __init__(self, sizes: Sequence[int], activation: str | act.Activation = "relu",
                 init: str | init_.Initializer = "he_normal", batchnorm: bool = False,
                 residual: bool = False, residual_scale: float = 1.0,
                 output_activation: str | act.Activation = "linear", seed: int = 0) -> None:
        if isinstance(sizes, (str, bytes)) or np.ndim(sizes) != 1 or len(sizes) < 2:
            raise ValueError(f"sizes must be a list of at least two layer widths, got {sizes!r}")
        self.sizes = [_check.positive_int(n, "sizes[%d]" % i) for i, n in enumerate(sizes)]
        n_weights = sum(a * b for a, b in zip(self.sizes, self.sizes[1:]))
        _check.budget(f"MLP(sizes={self.sizes})", nbytes=2 * 8 * n_weights, work=4 * n_weights)
        self.activation = act.get(activation)
        self.output_activation = act.get(output_activation, "output_activation")
        self.init = init
        scheme = init_.initializer(init)
        self.batchnorm = bool(batchnorm)
        self.residual_scale = _check.finite_float(residual_scale, "residual_scale")
        L = len(self.sizes) - 1
        self.residual = [bool(residual) and l < L - 1 and self.sizes[l] == self.sizes[l + 1]
                         for l in range(L)]
        rng = np.random.default_rng(_check.seed(seed))
        self._W = [init_.draw(scheme, n_in, n_out, rng, f"init for layer {l}")
                   for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), 1)]
        self._b = [np.zeros(n) for n in self.sizes[1:]]
        bn = [self.batchnorm and l < L - 1 for l in range(L)]
        self.gamma = [np.ones(n) if on else None for n, on in zip(self.sizes[1:], bn)]
        self.beta = [np.zeros(n) if on else None for n, on in zip(self.sizes[1:], bn)]
        self.running_mean = [np.zeros(n) if on else None for n, on in zip(self.sizes[1:], bn)]
        self.running_var = [np.ones(n) if on else None for n, on in zip(self.sizes[1:], bn)]
        self.training = True
        self._cache: list[LayerCache] | None = None

    # --- parameters ------------------------------------------------------------
    @property
    def depth(self) -> int:
        """L, the number of weight layers."""
        return len(self._W)

    @property
    def weights(self) -> list[np.ndarray]:
        """W_1..W_L, each of shape (n_l, n_{l-1}). Assign a list of arrays to set them."""
        return self._W

    @weights.setter
    def weights(self, values: Iterable[npt.ArrayLike]) -> None:
        self._W = self._checked(values, [(o, i) for i, o in zip(self.sizes, self.sizes[1:])],
                                "weights")

    @property
    def biases(self) -> list[np.ndarray]:
        """b_1..b_L, each of shape (n_l,). Assign a list of arrays to set them."""
        return self._b

    @biases.setter
    def biases(self, values: Iterable[npt.ArrayLike]) -> None:
        self._b = self._checked(values, [(n,) for n in self.sizes[1:]], "biases")

    def _checked(self, values: Iterable[npt.ArrayLike], shapes: list[tuple[int, ...]],
                 name: str) -> list[np.ndarray]:
        values = list(values)
        if len(values) != len(shapes):
            raise ValueError(f"{name} must be a list of {len(shapes)} arrays (one per layer), "
                             f"got {len(values)}")
        out = []
        for l, (v, shape) in enumerate(zip(values, shapes), start=1):
            arr = _check.finite_array(v, f"{name}[{l - 1}] (layer {l})")
            if arr.shape != shape:
                raise ValueError(f"{name}[{l - 1}] (layer {l}) must have shape {shape}, "
                                 f"got {arr.shape}")
            out.append(arr.copy())
        return out

    def parameters(self) -> list[np.ndarray]:
        """Every trainable array, in the order of :meth:`Gradients.as_list` (updated in place)."""
        return _in_parameter_order(self._W, self._b, self.gamma, self.beta)

    def activation_of(self, l: int) -> act.Activation:
        """The activation of layer l + 1 (0-based ``l``): hidden layers use ``activation``,
        the last one ``output_activation``."""
        return self.activation if l < self.depth - 1 else self.output_activation

    def train(self) -> MLP:
        """Batch norm uses batch statistics and updates its running averages."""
        self.training = True
        return self

    def eval(self) -> MLP:
        """Batch norm uses its running averages (the network is then a fixed function)."""
        self.training = False
        return self

    # --- forward ---------------------------------------------------------------
    def forward(self, X: npt.ArrayLike, overflow: str = "raise") -> np.ndarray:
        """A_L for a batch X of shape (batch, n_0); keeps what backward needs.

        A pre-activation beyond float64 (inf or NaN) raises a ValueError naming the layer.
        The training loop passes ``overflow="allow"``: it lets a diverging run overflow
        and stops at the first loss that is not finite.
        """
        X = _check.finite_array(X, "X", ndim=2)
        if X.shape[1] != self.sizes[0] or X.shape[0] < 1:
            raise ValueError(f"X must have shape (batch, {self.sizes[0]}) with batch >= 1, "
                             f"got {X.shape}")
        check = _check.choice(overflow, "overflow", ["raise", "allow"]) == "raise"
        _check.budget(f"forward of a batch of {X.shape[0]} rows",
                      nbytes=4 * 8 * X.shape[0] * sum(self.sizes),
                      work=2 * X.shape[0] * sum(W.size for W in self._W))
        cache: list[LayerCache] = []
        A = X
        for l in range(self.depth):
            Z = _affine(A, self._W[l], self._b[l], l, check)
            U, bn = (self._bn_forward(Z, l) if self.gamma[l] is not None else (Z, None))
            H = self.activation_of(l).f(U)
            cache.append(LayerCache(A, Z, U, H, bn))
            A = A + self.residual_scale * H if self.residual[l] else H
        if check:
            _check_output(A, self.depth)
        self._cache = cache
        return A

    __call__ = forward

    def _bn_forward(self, Z: np.ndarray,
                    l: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, bool]]:
        r"""U = gamma * (Z - mu) / sqrt(var + eps) + beta, per unit over the batch.

        Returns U and what the backward pass reads: (Zhat, 1/sqrt(var + eps), batch statistics?).
        """
        gamma, beta = self.gamma[l], self.beta[l]
        running_mean, running_var = self.running_mean[l], self.running_var[l]
        # only a batch-norm layer gets here, and it has all four arrays
        assert gamma is not None and beta is not None
        assert running_mean is not None and running_var is not None
        if self.training:
            if Z.shape[0] < 2:
                raise ValueError("batch norm in training mode needs a batch of at least 2 rows")
            Zhat, mu, var, inv_std = standardise(Z, axis=0, eps=EPS)
            if not np.isfinite(var).all():
                raise ValueError(f"batch norm of layer {l + 1}: the variance of Z_{l + 1} "
                                 "overflows float64: reduce the weights or the input")
            n = Z.shape[0]
            self.running_mean[l] = (1 - MOMENTUM) * running_mean + MOMENTUM * mu[0]
            self.running_var[l] = (1 - MOMENTUM) * running_var + MOMENTUM * var[0] * n / (n - 1)
        else:
            inv_std = 1.0 / np.sqrt(running_var + EPS)
            Zhat = (Z - running_mean) * inv_std
        return _scale_and_shift(Zhat, gamma, beta), (Zhat, inv_std, self.training)

    def preactivations(self, normalized: bool = True) -> list[np.ndarray]:
        r"""What each layer computed before its activation in the last forward pass, layer 1 first.

        ``normalized=True`` gives :math:`U_l`, the input of f (after batch norm
        where it is on); ``normalized=False`` gives
        :math:`Z_l = A_{l-1} W_l^\top + b_l` (before batch norm). Without batch
        norm the two are equal. Each array has shape (batch, n_l) and is a copy.

        >>> import numpy as np
        >>> net = MLP([3, 4, 4, 1], activation="sigmoid", batchnorm=True, seed=0)
        >>> _ = net.forward(np.random.default_rng(0).normal(size=(8, 3)))
        >>> [u.shape for u in net.preactivations()]
        [(8, 4), (8, 4), (8, 1)]
        >>> bool(np.allclose(net.preactivations()[0].mean(axis=0), 0.0))
        True
        """
        if self._cache is None:
            raise ValueError("call forward(X) before preactivations()")
        return [(c.U if normalized else c.Z).copy() for c in self._cache]

    # --- backward --------------------------------------------------------------
    def backward(self, grad_output: npt.ArrayLike) -> Gradients:
        """Backpropagate G = dOut/dA_L (shape of the last forward's output)."""
        if self._cache is None:
            raise ValueError("call forward(X) before backward(grad_output)")
        G = _check.finite_array(grad_output, "grad_output", ndim=2)
        expected = self._cache[-1].H.shape
        if G.shape != expected:
            raise ValueError(f"grad_output must have the output's shape {expected}, got {G.shape}")
        L = self.depth
        # per layer, appended from layer L down to layer 1, reversed at the end
        dW: list[np.ndarray] = []
        db: list[np.ndarray] = []
        deltas: list[np.ndarray] = []
        fprimes: list[np.ndarray] = []
        dgamma: list[np.ndarray | None] = []
        dbeta: list[np.ndarray | None] = []
        for l in range(L - 1, -1, -1):
            A_prev, Z, U, H, bn = self._cache[l]
            f = self.activation_of(l)
            dH = self.residual_scale * G if self.residual[l] else G
            fprime = f.prime_from(H)
            fprimes.append(fprime)
            dU = dH * fprime                               # dOut/dU_l
            gamma = self.gamma[l]
            if bn is None or gamma is None:                # both None, or neither
                delta = dU
                dgamma.append(None)
                dbeta.append(None)
            else:
                dgamma.append(sums_of_products(dU, bn[0], axis=0))   # bn[0] = Zhat
                dbeta.append(sums(dU, axis=0))
                delta = _through_batch_norm(dU, gamma, bn)
            deltas.append(delta)                           # dOut/dZ_l
            dW.append(weight_gradient(delta, A_prev))
            db.append(sums(delta, axis=0))
            G_prev = delta @ self._W[l]
            G = G_prev + G if self.residual[l] else G_prev
        return Gradients(W=dW[::-1], b=db[::-1], delta=deltas[::-1], gamma=dgamma[::-1],
                         beta=dbeta[::-1], fprime=fprimes[::-1], input=G)

    def loss_and_gradients(self, X: npt.ArrayLike, Y: npt.ArrayLike,
                           loss: str = "mse") -> tuple[float, Gradients]:
        r"""Forward, the loss against ``Y`` (shape (batch, n_L)) and backward: ``(value, grads)``.

        ``loss`` is a name from :func:`vanishing.losses.get` ("mse" or "bce_with_logits");
        the backward pass starts from :math:`G = \partial\,\mathrm{Loss}/\partial A_L`.
        Then ``net.stats(grads)`` reads the per-layer statistics of this pass.

        >>> import numpy as np
        >>> net = MLP([2, 4, 1], activation="tanh", init="xavier_normal", seed=0)
        >>> value, grads = net.loss_and_gradients(np.ones((3, 2)), np.zeros((3, 1)))
        >>> [g.shape for g in grads.W]
        [(4, 2), (1, 4)]
        """
        out = self.forward(X)
        Y = _check.finite_array(Y, "Y", ndim=2)
        if Y.shape != out.shape:
            raise ValueError(f"Y must have the output's shape (rows of X, n_L) = {out.shape}, "
                             f"got {Y.shape}")
        value, G = losses.get(loss)(out, Y)
        return value, self.backward(G)

    def check_data(self, X: npt.ArrayLike, Y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(X, Y) as float64 arrays of shapes (N, n_0) and (N, n_L), or a clear error."""
        X = _check.nonempty(_check.finite_array(X, "X", ndim=2), "X")
        Y = _check.nonempty(_check.finite_array(Y, "Y", ndim=2), "Y")
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (N, {self.sizes[0]}), got {X.shape}")
        if Y.shape != (len(X), self.sizes[-1]):
            raise ValueError(f"Y must have shape (rows of X, n_out) = {(len(X), self.sizes[-1])}, "
                             f"got {Y.shape}")
        return X, Y

    def training_cost(self, rows: int, shape: tuple[int, ...]) -> tuple[float, float]:
        """(bytes, operations) of one training step on ``rows`` examples (for the budget check)."""
        n_weights = sum(W.size for W in self._W)
        return 8.0 * n_weights, 6.0 * rows * n_weights + _check.LOOP_COST * self.depth

    # --- statistics ------------------------------------------------------------
    def stats(self, grads: Gradients, title: str = "") -> NetworkStats:
        """Per-layer statistics of the last forward pass and the given gradients."""
        if self._cache is None:
            raise ValueError("call forward(X) and backward(...) before stats(grads)")
        if not isinstance(grads, Gradients) or len(grads.W) != self.depth:
            raise TypeError(f"grads must be the Gradients that backward() returned for this "
                            f"network, got {type(grads).__name__}")
        L = self.depth
        out = {k: np.empty(L) for k in _STATISTICS}
        for l in range(L):
            f = self.activation_of(l)
            H, fp = self._cache[l].H, grads.fprime[l]
            out["grad_norm"][l] = _norm(grads.W[l])
            out["delta_rms"][l] = _rms(grads.delta[l])
            out["act_mean"][l], out["act_std"][l] = _mean_and_std(H)
            # a saturating activation's f' only rounds to 0 far out: saturated, not dead
            out["saturated"][l], out["dead"][l] = _saturated_and_dead(f, fp)
        return NetworkStats(**out, title=title)

    def __repr__(self) -> str:
        extras = [s for s, on in (("batchnorm", self.batchnorm), ("residual", any(self.residual)))
                  if on]
        init_name = self.init if isinstance(self.init, str) else getattr(self.init, "__name__",
                                                                          "custom")
        return (f"MLP(sizes={self.sizes}, activation={self.activation.name!r}, "
                f"init={init_name!r}{''.join(', ' + e for e in extras)})")


def _norm(M: np.ndarray) -> float:
    """The Frobenius norm sqrt(sum of squares), as one BLAS dot product."""
    flat = M.ravel()
    return float(np.sqrt(np.dot(flat, flat)))


def _rms(M: np.ndarray) -> float:
    """The root mean square of the entries of M."""
    return _norm(M) / np.sqrt(M.size)


def _mean_and_std(H: np.ndarray) -> tuple[float, float]:
    """Mean and (population) standard deviation of every entry of H."""
    mean = H.sum() / H.size
    return mean, _rms(H - mean)


def _affine(A: np.ndarray, W: np.ndarray, b: np.ndarray, l: int, check: bool = True) -> np.ndarray:
    """Z = A W^T + b of layer l + 1; with ``check``, a named ValueError where it is not finite."""
    # checked below, so no warning as well
    with np.errstate(over="ignore" if check else None, invalid="ignore" if check else None):
        Z = A @ W.T
        Z += b
    if check and not np.isfinite(Z).all():
        raise ValueError(f"the forward pass overflows float64 at layer {l + 1} "
                         f"(Z_{l + 1} = A_{l} W_{l + 1}^T + b_{l + 1} is not finite): "
                         "reduce the weights, the input or the depth")
    return Z


def _check_output(A: np.ndarray, depth: int) -> None:
    """A named ValueError when the network's output (after its residual sums) is not finite."""
    if not np.isfinite(A).all():
        raise ValueError(f"the forward pass overflows float64 at layer {depth} "
                         "(residual sums too large): reduce the weights or the depth")


def _through_batch_norm(dU: np.ndarray, gamma: np.ndarray,
                        bn: tuple[np.ndarray, np.ndarray, bool]) -> np.ndarray:
    """dOut/dZ from dOut/dU through U = gamma * Zhat + beta and the normalisation
    (no product with gamma while it is 1, as in a fresh network)."""
    Zhat, inv_std, batch_stats = bn
    dZhat = dU if np.all(gamma == 1.0) else dU * gamma
    return _bn_backward(dZhat, Zhat, inv_std, batch_stats)


def _bn_backward(dZhat: np.ndarray, Zhat: np.ndarray, inv_std: np.ndarray,
                 batch_stats: bool) -> np.ndarray:
    r"""dOut/dZ from dOut/dZhat.

    With batch statistics (training), mu and var depend on Z:

    .. math:: \frac{\partial L}{\partial Z} = \frac{1}{\sigma}\Big(\hat g - \overline{\hat g}
              - \hat Z\,\overline{\hat g \hat Z}\Big)

    where the bars are means over the batch. With running statistics (eval),
    the normalisation is a fixed affine map and the gradient is just g / sigma.
    """
    if not batch_stats:
        return dZhat * inv_std
    return standardise_backward(dZhat, Zhat, inv_std, axis=0)


def _scale_and_shift(Zhat: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """gamma * Zhat + beta; Zhat itself while gamma = 1 and beta = 0 (a fresh network)."""
    if np.all(gamma == 1.0) and not np.any(beta):
        return Zhat
    return gamma * Zhat + beta


def weight_gradient(delta: np.ndarray, A_prev: np.ndarray) -> np.ndarray:
    r"""dOut/dW_l = :math:`\delta_l^\top A_{l-1}`, shape (n_l, n_{l-1}).

    A sum of one outer product per example; at batch 1 it *is* one outer product,
    which NumPy forms several times faster than a matrix product with an inner
    dimension of 1 (the same numbers: each entry is a single product).

    >>> weight_gradient(np.array([[1.0], [2.0]]), np.array([[3.0], [4.0]])).tolist()
    [[11.0]]
    """
    if len(delta) == 1:
        return np.multiply.outer(delta[0], A_prev[0])
    return delta.T @ A_prev


def layer_statistics(net: MLP, X: npt.ArrayLike, Y: npt.ArrayLike,
                     title: str = "") -> NetworkStats:
    r"""The statistics of one forward pass, MSE against ``Y`` and backward pass, layer by layer.

    The same numbers as ``net.stats(net.loss_and_gradients(X, Y, "mse")[1])`` (up to
    rounding) in less time and memory, as :func:`gradient_profile` needs them:

    - the forward pass keeps per layer only what the backward pass reads: :math:`f(U_l)`
      (f' comes from the output, :attr:`Activation.prime_from`), the layer's input where a
      residual path makes it a separate array, and batch norm's :math:`\hat Z_l` and
      :math:`1/\sigma_l`;
    - a layer's statistics are taken while its arrays are fresh: the activations' as soon
      as :math:`f(U_l)` exists, the gradients' as soon as :math:`\delta_l` exists; then
      :math:`\delta_l`, :math:`f'(U_l)` and the layer's kept arrays are dropped;
    - :math:`\partial\,\mathrm{Out}/\partial W_l = \delta_l^\top A_{l-1}` is needed only for
      its norm, which :func:`weight_gradient_norm` takes without forming it when the batch
      is small next to the widths.

    Nothing is kept on ``net`` (``net.backward`` cannot follow it); batch norm's running
    averages are updated as ``net.forward`` does.

    >>> import numpy as np
    >>> net = MLP([4, 4, 4, 4], activation="tanh", init="xavier_normal", seed=0)
    >>> X, Y = np.ones((3, 4)), np.zeros((3, 4))
    >>> fast = layer_statistics(net, X, Y)
    >>> plain = net.stats(net.loss_and_gradients(X, Y)[1])
    >>> bool(np.allclose(fast.grad_norm, plain.grad_norm, rtol=1e-12))
    True
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an MLP, got {type(net).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    X, Y = net.check_data(X, Y)
    stats = {name: np.empty(net.depth) for name in _STATISTICS}
    kept = []                                      # (input, f(U), batch norm's) per layer
    A = X
    with np.errstate(over="ignore", invalid="ignore"):   # overflow is checked per layer
        for l in range(net.depth):
            H, bn = _forward_step(net, l, A)
            stats["act_mean"][l], stats["act_std"][l] = _mean_and_std(H)
            kept.append((A, H, bn))
            A = _residual_sum(A, H, net.residual_scale) if net.residual[l] else H
        _check_output(A, net.depth)
    _, G = losses.mse(A, Y)
    for l in range(net.depth - 1, -1, -1):
        A_prev, H, bn = kept.pop()                 # the last use of layer l's arrays
        G = _backward_step(net, l, G, A_prev, H, bn, stats)
    return NetworkStats(**stats, title=title)


def _residual_sum(A: np.ndarray, H: np.ndarray, scale: float) -> np.ndarray:
    """A + scale * H in one new array (no array for scale * H when scale is 1)."""
    return A + H if scale == 1.0 else A + scale * H


def _forward_step(net: MLP, l: int, A: np.ndarray
                  ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, bool] | None]:
    """Layer l + 1 of :func:`layer_statistics`'s forward pass: f(U) and batch norm's state."""
    Z = _affine(A, net.weights[l], net.biases[l], l)
    U, bn = net._bn_forward(Z, l) if net.gamma[l] is not None else (Z, None)
    return net.activation_of(l).f(U), bn


def _backward_step(net: MLP, l: int, G: np.ndarray, A_prev: np.ndarray, H: np.ndarray,
                   bn: tuple[np.ndarray, np.ndarray, bool] | None,
                   stats: dict[str, np.ndarray]) -> np.ndarray:
    """Layer l + 1 of :func:`layer_statistics`'s backward pass: its gradient statistics into
    ``stats``; returns dOut/dA_l (G of the layer below; not computed for layer 1)."""
    f = net.activation_of(l)
    fprime = f.prime_from(H)
    stats["saturated"][l], stats["dead"][l] = _saturated_and_dead(f, fprime)
    dH = net.residual_scale * G if net.residual[l] and net.residual_scale != 1.0 else G
    delta = np.multiply(fprime, dH, out=fprime)                 # dOut/dU_l
    gamma = net.gamma[l]
    if bn is not None and gamma is not None:
        delta = _through_batch_norm(delta, gamma, bn)                # dOut/dZ_l
    stats["delta_rms"][l] = _rms(delta)
    stats["grad_norm"][l] = weight_gradient_norm(delta, A_prev)
    if l == 0:
        return G                                   # dOut/dX is not a statistic
    G_prev = delta @ net.weights[l]
    if net.residual[l]:
        G_prev += G
    return G_prev


def weight_gradient_norm(delta: np.ndarray, A_prev: np.ndarray) -> float:
    r""":math:`\lVert\partial\,\mathrm{Out}/\partial W_l\rVert_F = \lVert\delta^\top A\rVert_F`
    for delta of shape (batch, n_l) and A of shape (batch, n_{l-1}).

    By the cyclic property of the trace, with Gram matrices of the examples,

    .. math:: \lVert\delta^\top A\rVert_F^2 = \operatorname{tr}(A^\top\delta\,\delta^\top A)
              = \sum_{i,j} (\delta\delta^\top)_{ij}\,(AA^\top)_{ij},

    which costs :math:`b^2(n_l + n_{l-1})` operations instead of :math:`b\,n_l n_{l-1}`: far
    less when the batch b is small next to the widths (at b = 1 it is
    :math:`\lVert\delta\rVert\,\lVert a\rVert`). The sum over pairs of examples loses accuracy
    when their outer products cancel: its rounding error is at most about
    :math:`(n_l + n_{l-1} + 2\log_2 b)\,\epsilon\,S^2` (dot products of the Gram matrices,
    then NumPy's pairwise sum) with :math:`S = \sum_i \lVert\delta_i\rVert\,\lVert a_i\rVert`;
    where that bound exceeds 1e-9 of the result, the product is formed instead.

    >>> delta, A = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0], [-1.0]])
    >>> weight_gradient_norm(delta, A) == float(np.linalg.norm(delta.T @ A))
    True
    """
    b, n_out, n_in = delta.shape[0], delta.shape[1], A_prev.shape[1]
    if b == 1:
        return _norm(delta) * _norm(A_prev)
    if 2 * b * (n_out + n_in) <= n_out * n_in:     # the Gram route is at least twice as cheap
        squared = float(np.sum((delta @ delta.T) * (A_prev @ A_prev.T)))
        S = np.sqrt(sums_of_products(delta, delta, 1)) @ np.sqrt(sums_of_products(A_prev, A_prev, 1))
        if (n_out + n_in + 2 * b.bit_length()) * np.finfo(float).eps * S * S <= 1e-9 * squared:
            return float(np.sqrt(squared))
    return _norm(weight_gradient(delta, A_prev))


def _saturated_and_dead(f: act.Activation, fprime: np.ndarray) -> tuple[float, float]:
    """Fraction of saturated entries (f' below a tenth of its peak; saturating f only) and of
    dead units (f' = 0 for every example; the others). f' >= 0 here, so a unit is dead
    exactly when its sum over the batch is 0."""
    if f.saturates:
        return np.count_nonzero(fprime < 0.1 * f.peak_prime) / fprime.size, 0.0
    return 0.0, np.count_nonzero(sums(fprime, axis=0) == 0.0) / fprime.shape[1]


def profile_budget(depth: int, width: int, batch: int) -> None:
    """Refuse a gradient profile whose memory or work is above the package's ceiling."""
    _check.budget(f"gradient_profile(depth={depth}, width={width}, batch={batch})",
                  nbytes=8 * depth * width * (width + 3 * batch),
                  work=8 * depth * width * width * batch)


def _profile_network(depth: int, width: int, batch: int, activation: str | act.Activation,
                     init: str | init_.Initializer, batchnorm: bool, residual: bool,
                     seed: int) -> tuple[MLP, np.ndarray, np.ndarray]:
    """The network, the batch X and the targets Y of :func:`gradient_profile`."""
    depth = _check.positive_int(depth, "depth")
    width = _check.positive_int(width, "width")
    batch = _check.positive_int(batch, "batch")
    seed = _check.seed(seed)
    profile_budget(depth, width, batch)
    net = MLP([width] * (depth + 1), activation=activation, init=init, batchnorm=batchnorm,
              residual=residual, seed=seed)
    rng = np.random.default_rng([seed, 1])
    return net, rng.standard_normal((batch, width)), rng.standard_normal((batch, width))


def _profile_title(net: MLP, batch: int) -> str:
    return f"{net!r}, batch {batch}, Out = MSE against N(0, 1) targets"


def gradient_profile(depth: int, width: int, batch: int,
                     activation: str | act.Activation = "sigmoid",
                     init: str | init_.Initializer = "xavier_normal", batchnorm: bool = False,
                     residual: bool = False, seed: int = 0) -> NetworkStats:
    """Per-layer gradient statistics of a freshly initialised network, layer 1 first.

    The network has ``depth`` layers of ``width`` units (the last one linear),
    a batch X ~ N(0, 1) of shape (batch, width), and Out = mean squared error
    against targets Y ~ N(0, 1). The result behaves as the sequence of
    weight-gradient norms ||dOut/dW_l|| and also carries the other statistics.
    It is ``net.stats`` after ``net.loss_and_gradients(X, Y)``, computed by
    :func:`layer_statistics` (faster, in less memory).

    >>> p = gradient_profile(depth=10, width=16, batch=32, activation="sigmoid")
    >>> len(p), bool(p[0] < p[-1])
    (10, True)
    """
    net, X, Y = _profile_network(depth, width, batch, activation, init, batchnorm, residual,
                                 seed)
    return layer_statistics(net, X, Y, title=_profile_title(net, len(X)))


def _panel_labels(activations: tuple[str, ...]) -> list[str]:
    """One label per panel: the activation's name ("relu (2)" when a name repeats)."""
    return [name if activations.count(name) == 1 else f"{name} ({i + 1})"
            for i, name in enumerate(activations)]


def compare_profiles(depth: int = 20, width: int = 64, batch: int = 64,
                     activations: str | Sequence[str] = ("sigmoid", "relu"),
                     init: str | init_.Initializer = "he_normal", batchnorm: bool = False,
                     residual: bool = False, seed: int = 0) -> dict[str, NetworkStats]:
    r"""Per-layer gradient statistics of the same network with different activations.

    Returns ``{label: NetworkStats}``, one entry per activation, in order; each
    value comes from :func:`vanishing.mlp.gradient_profile` with the same depth,
    width, batch, init, switches and seed, so only the activation differs.
    ``profile[0]`` is :math:`\lVert\partial\,\mathrm{Out}/\partial W_1\rVert` (layer 1,
    the input side), ``profile[-1]`` the output layer's.

    >>> p = compare_profiles(depth=10, width=16)
    >>> list(p), len(p["sigmoid"])
    (['sigmoid', 'relu'], 10)
    """
    if not isinstance(activations, str) and not hasattr(activations, "__iter__"):
        raise TypeError(f"activations must be a name or a list of names, "
                        f"got {type(activations).__name__}")
    names = (activations,) if isinstance(activations, str) else tuple(activations)
    if not names:
        raise ValueError("activations must name at least one activation")
    for name in names:
        act.get(name, "activations")
    batchnorm, residual = _check.flag(batchnorm, "batchnorm"), _check.flag(residual, "residual")
    # the weights do not depend on the activation: one draw serves every panel
    net, X, Y = _profile_network(depth, width, batch, names[0], init, batchnorm, residual, seed)
    profiles = {}
    for label, name in zip(_panel_labels(names), names):
        net.activation = act.get(name)
        profiles[label] = layer_statistics(net, X, Y, title=_profile_title(net, len(X)))
    return profiles
