r"""Recurrent networks with backpropagation through time (BPTT) written out by hand.

Shapes. A batch of sequences is batch-first: ``X`` has shape ``(batch, T, n_in)`` and
the input at time t = 1..T is ``x_t = X[:, t-1]``. Hidden states are rows of shape
``(batch, n_h)`` and start at :math:`h_0 = 0` (and :math:`c_0 = 0` for the LSTM).
Weight matrices have shape ``(fan_out, fan_in)`` as everywhere in the package, so the
textbook's column-vector :math:`W_{hh} h_{t-1}` is the code's ``h_prev @ W_hh.T``.

Three cells (column-vector notation, :math:`\odot` is the elementwise product):

* vanilla RNN (:class:`RNN`)

  .. math:: z_t = W_{hh} h_{t-1} + W_{xh} x_t + b_h,\qquad h_t = \tanh(z_t)

* LSTM (:class:`LSTM`): input, forget and output gates and a candidate

  .. math::
      i_t = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i),\quad
      f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f),\quad
      o_t = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o),

      g_t = \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g),\qquad
      c_t = f_t \odot c_{t-1} + i_t \odot g_t,\qquad h_t = o_t \odot \tanh(c_t)

* GRU (:class:`GRU`, Cho et al. 2014): update gate z and reset gate r

  .. math::
      z_t = \sigma(W_{xz} x_t + W_{hz} h_{t-1} + b_z),\quad
      r_t = \sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r),

      \tilde h_t = \tanh(W_{xh} x_t + W_{hh}(r_t \odot h_{t-1}) + b_h),\qquad
      h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t

  (here :math:`z_t` near 1 *keeps* the old state; some texts swap z and 1 - z).
  ``GRU(reset="after")`` is the variant of ``torch.nn.GRU`` and cuDNN,
  :math:`\tilde h_t = \tanh(W_{xh} x_t + b_h + r_t \odot (W_{hh} h_{t-1} + b_{hh}))`.

Every network reads its last hidden state with a linear layer,
:math:`y = W_{hy} h_T + b_y` (logits for binary cross-entropy, or values for MSE).

Backward. :meth:`RecurrentNetwork.backward` takes :math:`G = \partial\,\mathrm{Out}/\partial y`
and returns a :class:`BPTTGradients`: every parameter's gradient, and
:math:`\partial\,\mathrm{Out}/\partial h_t` for every t (the *total* derivative, through
every later step), so "gradient norm versus time lag" is a direct read-out. The lag of
step t is :math:`k = T - t`. For the vanilla RNN one step back multiplies by the Jacobian

.. math:: \frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}(\tanh'(z_t))\, W_{hh},\qquad
          \Big\lVert \frac{\partial h_t}{\partial h_{t-1}} \Big\rVert_2
          \le \max_j \tanh'(z_{t,j})\; \sigma_{\max}(W_{hh}) \le \sigma_{\max}(W_{hh}),

so a largest singular value below 1 makes the gradient vanish geometrically with the lag.
:func:`vanishing.lags.gradient_vs_lag` reads these norms for one batch.

Recurrent matrices are drawn by :func:`vanishing.matrices.recurrent_matrix` (scaled
orthogonal, a given spectral radius, or Gaussian), so a lesson can put a network in the
vanishing or the exploding regime; :mod:`vanishing.lags` reads the gradient against the
time lag, and :func:`vanishing.train.fit` trains these networks like any other.

>>> import numpy as np
>>> from vanishing.losses import bce_with_logits
>>> net = LSTM(n_in=1, n_hidden=4, seed=0)
>>> X, y = np.ones((2, 5, 1)), np.array([[1.0], [0.0]])
>>> value, G = bce_with_logits(net.forward(X), y)
>>> grads = net.backward(G)
>>> grads.dh.shape, grads.params["W_hf"].shape
((2, 5, 4), (4, 4))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _check, losses, optim
from . import init as init_
from .matrices import RECURRENT_INITS, recurrent_matrix
from .table import Table

__all__ = ["RNN", "LSTM", "GRU", "RecurrentNetwork", "BPTTGradients", "gate", "make_network",
           "accuracy", "CELLS"]

# a step's state (h_t, or h_t and c_t) and what its backward pass needs, as tuples of arrays
_State = tuple[np.ndarray, ...]


def gate(a: np.ndarray) -> np.ndarray:
    r"""The logistic sigmoid of a gate's pre-activation, :math:`\sigma(a) = (1 + \tanh(a/2))/2`.

    The same function as :func:`vanishing.activations.sigmoid`, written with one ``tanh``
    (no overflow for any a): gates are evaluated at every step of every sequence, so this
    is the hot loop.
    """
    return 0.5 + 0.5 * np.tanh(0.5 * a)


# --- results ---------------------------------------------------------------------------

@dataclass(repr=False)
class BPTTGradients(Table):
    r"""Everything one backward pass through time computes.

    ``params``: name -> dOut/d(parameter), same names and shapes as the network's ``params``.
    ``dh``: shape (batch, T, n_h); ``dh[:, t-1]`` is :math:`\partial\,\mathrm{Out}/\partial h_t`,
    the total derivative through every later step (t = 1..T).
    ``dc``: the same for the LSTM's cell state :math:`c_t` (``None`` for RNN and GRU).
    ``gates``: per-step gate values the lessons read, shape (batch, T, n_h) each:
    ``{"f": forget gate}`` for the LSTM, ``{"z": update gate}`` for the GRU,
    ``{"fprime": f'(z_t)}`` (tanh' or relu') for the RNN.
    """

    params: dict[str, np.ndarray]
    dh: np.ndarray
    dc: np.ndarray | None
    gates: dict[str, np.ndarray] = field(default_factory=dict)

    def as_list(self) -> list[np.ndarray]:
        """The parameter gradients in the order of :meth:`RecurrentNetwork.parameters`."""
        return list(self.params.values())

    @property
    def W(self) -> list[np.ndarray]:
        """The gradients of :attr:`RecurrentNetwork.weights`: stacked W_x, stacked W_h, W_hy."""
        def stacked(prefix: str) -> np.ndarray:
            return np.concatenate([g for name, g in self.params.items()
                                   if name.startswith(prefix) and name != "W_hy"])
        return [stacked("W_x"), stacked("W_h"), self.params["W_hy"]]

    @property
    def T(self) -> int:
        return self.dh.shape[1]

    def dh_norm(self) -> np.ndarray:
        r""":math:`\lVert\partial\,\mathrm{Out}/\partial h_t\rVert` (Frobenius over batch and units), t = 1..T."""
        return np.sqrt(np.einsum("btj,btj->t", self.dh, self.dh))

    def dc_norm(self) -> np.ndarray | None:
        r""":math:`\lVert\partial\,\mathrm{Out}/\partial c_t\rVert` for t = 1..T (LSTM only, else None)."""
        return None if self.dc is None else np.sqrt(np.einsum("btj,btj->t", self.dc, self.dc))

    def global_norm(self) -> float:
        """The L2 norm of all parameter gradients together."""
        return optim.global_norm(self.as_list())

    _COLUMNS = ("parameter", "shape", "||dOut/dparam||")

    def rows(self) -> list[list[str]]:
        return [[name, "x".join(map(str, g.shape)), f"{float(np.linalg.norm(g)):.4e}"]
                for name, g in self.params.items()]

    def _title(self) -> str:
        return f"BPTT gradients over T = {self.T} steps; global norm {self.global_norm():.4e}"


# --- the shared structure: a cell unrolled over time plus a linear readout -------------

class RecurrentNetwork:
    r"""A recurrent cell unrolled over T steps, with a linear readout of :math:`h_T`.

    Every cell here has the same shape of computation: each gate's pre-activation is an
    input term plus a recurrent term, :math:`a_t = (W_x x_t + b) + W_h h_{t-1}`. The input
    terms :math:`u_t = W_x x_t + b` do not depend on the past, so they are computed for all
    t in one matrix product (``_input_terms``); the loop over time then only does the
    recurrent part (``_step``). Backward runs the loop in reverse (``_step_backward``,
    which returns :math:`\partial\,\mathrm{Out}/\partial u_t`), and since the same weights
    are used at every step their gradients are sums over t, again one matrix product
    each (``_weight_gradients``).

    Parameters
    ----------
    n_in, n_hidden, n_out : sizes of x_t, h_t and y.
    recurrent_init : "orthogonal", "spectral_radius" or "normal" (see :func:`recurrent_matrix`),
        used for every matrix that multiplies :math:`h_{t-1}`.
    recurrent_scale : the spectrum's scale (the gain of the orthogonal matrix, the target
        spectral radius, or the std times sqrt(n_hidden)).
    input_init : scheme for the input matrices and the readout (a :mod:`vanishing.init` name
        or callable).
    seed : seed of the weight draw.

    ``params`` is a dict name -> array with the textbook names (for the gated cells these
    arrays are views into one stacked array per kind, so all gates are computed in one
    matrix product). The optimisers update them in place; replace one with :meth:`set_param`.
    ``parameters()`` lists them in the dict's order.
    """

    cell: str = "recurrent"
    gates: tuple[str, ...] = ("h",)    # the blocks of the stacked arrays, in order
    cell_state: bool = False                 # the LSTM also carries c_t
    weight_names: tuple[str, ...] = ("W_x", "W_h", "W_hy")   # the "layers" of `weights`
    extra_names: tuple[str, ...] = ()        # parameters beyond the gates' blocks (GRU: b_hh)

    def __init__(self, n_in: int, n_hidden: int, n_out: int = 1,
                 recurrent_init: str = "orthogonal", recurrent_scale: float = 1.0,
                 input_init: str | init_.Initializer = "xavier_normal", seed: int = 0) -> None:
        self.n_in = _check.positive_int(n_in, "n_in")
        self.n_hidden = _check.positive_int(n_hidden, "n_hidden")
        self.n_out = _check.positive_int(n_out, "n_out")
        self.recurrent_init = _check.choice(recurrent_init, "recurrent_init", RECURRENT_INITS)
        self.recurrent_scale = _check.finite_float(recurrent_scale, "recurrent_scale")
        if self.recurrent_scale < 0:
            raise ValueError(f"recurrent_scale must be >= 0, got {self.recurrent_scale}")
        self.input_init = input_init
        scheme = init_.initializer(input_init)
        rng = np.random.default_rng(_check.seed(seed))
        n_h, k = self.n_hidden, len(self.gates)
        _check.budget(f"{type(self).__name__}(n_in={self.n_in}, n_hidden={n_h}, n_out={self.n_out})",
                      nbytes=8 * k * n_h * (self.n_in + 3 * n_h + self.n_out),
                      work=10 * k * n_h ** 3)
        # stacked arrays: block j (rows j*n_h .. (j+1)*n_h) belongs to gate self.gates[j]
        self.W_x = np.concatenate([init_.draw(scheme, self.n_in, n_h, rng, "input_init")
                                   for _ in self.gates])                  # (k n_h, n_in)
        self.W_h = np.concatenate([recurrent_matrix(n_h, self.recurrent_init,
                                                    self.recurrent_scale, rng)
                                   for _ in self.gates])                  # (k n_h, n_h)
        self.b = np.zeros(k * n_h)
        self.W_hy = init_.draw(scheme, n_h, self.n_out, rng, "input_init")
        self.b_y = np.zeros(self.n_out)
        self._init_biases()
        self.params = self._named(self.W_x, self.W_h, self.b, self.W_hy, self.b_y,
                                  *self._extra_params())
        self._cache: tuple[np.ndarray, list[_State], np.ndarray] | None = None   # X, caches, h_T

    def _init_biases(self) -> None:
        """Cells with a special gate bias (the LSTM's forget gate) set it here."""

    def _extra_params(self) -> tuple[np.ndarray, ...]:
        """Parameters beyond the stacked W_x, W_h, b (the reset-after GRU's b_hh), in order."""
        return ()

    def _named(self, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray, W_hy: np.ndarray,
               b_y: np.ndarray, *extra: np.ndarray) -> dict[str, np.ndarray]:
        """Textbook names -> views into the stacked arrays (W_x* , W_h*, b_* per gate)."""
        n = self.n_hidden
        out: dict[str, np.ndarray] = {}
        for j, gate in enumerate(self.gates):
            rows = slice(j * n, (j + 1) * n)
            out[f"W_x{gate}"] = W_x[rows]
            out[f"W_h{gate}"] = W_h[rows]
            out[f"b_{gate}"] = b[rows]
        out.update(zip(self.extra_names, extra))
        out["W_hy"], out["b_y"] = W_hy, b_y
        return out

    # the cell: subclasses fill these in
    def _step(self, u: np.ndarray, state: _State) -> tuple[_State, _State]:
        raise NotImplementedError

    def _step_backward(self, d_state: _State,
                       cache: _State) -> tuple[_State, _State, np.ndarray, dict[str, np.ndarray]]:
        raise NotImplementedError

    def _zero_state(self, batch: int) -> _State:
        return (np.zeros((batch, self.n_hidden)),)

    def _du_blocks(self) -> int:
        """How many (batch, n_h) blocks ``_step_backward``'s third result has (one per gate)."""
        return len(self.gates)

    def _input_terms(self, X: np.ndarray) -> np.ndarray:
        r""":math:`u_t = W_x x_t + b` for every t at once, time-major: shape (T, batch, k n_h).

        ``U[t-1]`` is :math:`u_t` for the whole batch, one contiguous block (the loop reads it).
        """
        U = _time_major(X) @ self.W_x.T
        U += self.b                                        # in place: U can be large
        return U

    def _weight_gradients(self, X: np.ndarray, dU: np.ndarray,
                          caches: list[_State]) -> tuple[np.ndarray, ...]:
        r"""Sums over t of the per-step outer products: dW_x, dW_h, db (stacked), then any extra.

        :math:`\partial\,\mathrm{Out}/\partial W_x = \sum_t \bar u_t x_t^\top`,
        :math:`\partial\,\mathrm{Out}/\partial W_h = \sum_t \bar u_t h_{t-1}^\top`,
        :math:`\partial\,\mathrm{Out}/\partial b = \sum_t \bar u_t`, each also summed over the
        batch: one matrix product over all (example, step) pairs.
        """
        H_prev = np.stack([c[0] for c in caches])                         # (T, batch, n_h)
        return _sum_outer(dU, _time_major(X)), _sum_outer(dU, H_prev), dU.sum(axis=(0, 1))

    # parameters
    def parameters(self) -> list[np.ndarray]:
        """Every trainable array, in the order of :meth:`BPTTGradients.as_list`."""
        return list(self.params.values())

    def set_param(self, name: str, value: npt.ArrayLike) -> None:
        """Overwrite parameter ``name`` with ``value`` (same shape, finite entries), in place."""
        _check.choice(name, "name", list(self.params))
        arr = _check.finite_array(value, name)
        if arr.shape != self.params[name].shape:
            raise ValueError(f"{name} must have shape {self.params[name].shape}, got {arr.shape}")
        self.params[name][...] = arr                       # in place: optimisers keep working

    def recurrent_weights(self, gate: str | None = None) -> np.ndarray:
        """The matrix multiplying h_{t-1} for ``gate`` (default: the first gate), a copy."""
        gate = self.gates[0] if gate is None else _check.choice(gate, "gate", self.gates)
        return self.params[f"W_h{gate}"].copy()

    # forward and backward through time
    def _check_X(self, X: npt.ArrayLike) -> np.ndarray:
        X = _check.finite_array(X, "X", ndim=3)
        if X.shape[2] != self.n_in or X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X must have shape (batch, T, n_in={self.n_in}) with batch, T >= 1, "
                             f"got {X.shape}")
        return X

    def bptt_bytes(self, batch: int, T: int) -> float:
        """About the memory a forward and backward pass over ``batch`` sequences of T steps keep."""
        return 8.0 * batch * T * (self.n_in + self.n_hidden * (3 * len(self.gates) + 8))

    def forward(self, X: npt.ArrayLike, overflow: str = "allow") -> np.ndarray:
        r"""The readout :math:`y = W_{hy} h_T + b_y` of shape (batch, n_out); keeps what BPTT needs.

        An exploding network's readout may overflow to inf (the honest answer):
        ``overflow="raise"`` turns that into a ValueError instead.
        """
        X = self._check_X(X)
        check = _check.choice(overflow, "overflow", ["raise", "allow"]) == "raise"
        batch, T, k = X.shape[0], X.shape[1], len(self.gates)
        _check.budget(f"{self.cell} over batch={batch} sequences of T={T} steps",
                      nbytes=self.bptt_bytes(batch, T),
                      work=T * (4 * batch * k * self.n_hidden * (self.n_hidden + self.n_in)
                                + _check.LOOP_COST))
        U = self._input_terms(X)
        state = self._zero_state(X.shape[0])
        caches: list[_State] = []
        for t in range(X.shape[1]):                        # t = 1..T in the math
            state, cache = self._step(U[t], state)
            caches.append(cache)
        h_T = state[0]
        self._cache = (X, caches, h_T)
        y = h_T @ self.W_hy.T + self.b_y
        if check and not np.isfinite(y).all():
            raise ValueError("the readout overflows float64: the hidden state exploded; "
                             "reduce recurrent_scale, the input or T")
        return y

    __call__ = forward

    def backward(self, grad_output: npt.ArrayLike, overflow: str = "raise") -> BPTTGradients:
        r"""Backpropagation through time from :math:`G = \partial\,\mathrm{Out}/\partial y`.

        The readout gives :math:`\partial\,\mathrm{Out}/\partial h_T = G W_{hy}`; then each
        step, from t = T down to 1, turns the derivatives with respect to its output
        state into derivatives with respect to its input state and its input terms
        :math:`u_t`. The weight gradients are sums over t (:meth:`_weight_gradients`).
        ``overflow="allow"`` accepts an inf or NaN ``grad_output`` (an overflowed readout).
        """
        if self._cache is None:
            raise ValueError("call forward(X) before backward(grad_output)")
        X, caches, h_T = self._cache
        if _check.choice(overflow, "overflow", ["raise", "allow"]) == "raise":
            G = _check.finite_array(grad_output, "grad_output", ndim=2)
        else:                            # gradient_vs_lag: an exploding profile, inf allowed
            G = _check.float_array(grad_output, "grad_output")
        if G.shape != (h_T.shape[0], self.n_out):
            raise ValueError(f"grad_output must have the output's shape "
                             f"{(h_T.shape[0], self.n_out)}, got {G.shape}")
        batch, T = X.shape[:2]
        # per-step results are stored time-major (row t is one contiguous block) and handed
        # back batch-first as transposed views: shape (batch, T, n_h), as documented
        dh = np.empty((T, batch, self.n_hidden))
        dc = np.empty_like(dh) if self.cell_state else None
        dU = np.empty((T, batch, self._du_blocks() * self.n_hidden))
        gates: dict[str, np.ndarray] = {}
        d_state: _State = ((G @ self.W_hy,)
                           + tuple(np.zeros_like(h_T) for _ in self._zero_state(1)[1:]))
        for t in range(T - 1, -1, -1):                     # dOut/dh_T first, then back in time
            d_state, d_total, dU[t], step_gates = self._step_backward(d_state, caches[t])
            dh[t] = d_total[0]
            if dc is not None:
                dc[t] = d_total[1]
            for name, value in step_gates.items():
                if name not in gates:
                    gates[name] = np.empty_like(dh)
                gates[name][t] = value
        dW_x, dW_h, db, *extra = self._weight_gradients(X, dU, caches)
        params = self._named(dW_x, dW_h, db, G.T @ h_T, G.sum(axis=0), *extra)
        return BPTTGradients(params=params, dh=_batch_first(dh),
                             dc=None if dc is None else _batch_first(dc),
                             gates={name: _batch_first(g) for name, g in gates.items()})

    def _check_y(self, y: npt.ArrayLike, batch: int) -> np.ndarray:
        y = _check.finite_array(y, "y", ndim=2)
        if y.shape != (batch, self.n_out):
            raise ValueError(f"y must have shape (batch, n_out) = {(batch, self.n_out)}, "
                             f"got {y.shape}")
        return y

    def loss_and_gradients(self, X: npt.ArrayLike, y: npt.ArrayLike,
                           loss: str = "bce_with_logits") -> tuple[float, BPTTGradients]:
        """Forward, the loss against ``y`` (shape (batch, n_out)) and BPTT: (value, BPTTGradients)."""
        out = self.forward(X)
        value, G = losses.get(loss)(out, self._check_y(y, len(out)))
        return value, self.backward(G)

    @property
    def weights(self) -> list[np.ndarray]:
        """The weight matrices, one per "layer": stacked W_x, stacked W_h and W_hy (no copies)."""
        return [self.W_x, self.W_h, self.W_hy]

    def check_data(self, X: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) as float64 arrays of shapes (batch, T, n_in) and (batch, n_out), or a clear error."""
        X = self._check_X(X)
        return X, self._check_y(y, X.shape[0])

    def training_cost(self, rows: int, shape: tuple[int, ...]) -> tuple[float, float]:
        """(bytes, operations) of one training step on ``rows`` sequences (for the budget check)."""
        T, k, n_h = shape[1], len(self.gates), self.n_hidden
        return (self.bptt_bytes(rows, T),
                T * (12 * rows * k * n_h * (n_h + self.n_in) + 2 * _check.LOOP_COST))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_in={self.n_in}, n_hidden={self.n_hidden}, "
                f"n_out={self.n_out}, recurrent_init={self.recurrent_init!r}, "
                f"recurrent_scale={self.recurrent_scale:g})")


def _sum_outer(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r""":math:`\sum_{t,b} A_{tb}^\top B_{tb}` for A (T, batch, m) and B (T, batch, n): shape (m, n)."""
    return A.reshape(-1, A.shape[-1]).T @ B.reshape(-1, B.shape[-1])


def _time_major(X: np.ndarray) -> np.ndarray:
    """A batch-first (batch, T, n) array as a contiguous time-major (T, batch, n) copy."""
    return np.ascontiguousarray(X.transpose(1, 0, 2))


def _batch_first(A: np.ndarray) -> np.ndarray:
    """A time-major (T, batch, n) array as a batch-first (batch, T, n) view."""
    return A.transpose(1, 0, 2)


class RNN(RecurrentNetwork):
    r"""The vanilla (Elman) RNN: :math:`h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b_h)`.

    Backward through one step, with :math:`\bar h_t = \partial\,\mathrm{Out}/\partial h_t`
    (the total derivative, through every later step):

    .. math::
        \bar z_t = \bar h_t \odot (1 - h_t^2),\qquad \bar h_{t-1} = W_{hh}^\top \bar z_t,

        \frac{\partial\,\mathrm{Out}}{\partial W_{hh}} = \sum_t \bar z_t h_{t-1}^\top,\quad
        \frac{\partial\,\mathrm{Out}}{\partial W_{xh}} = \sum_t \bar z_t x_t^\top,\quad
        \frac{\partial\,\mathrm{Out}}{\partial b_h} = \sum_t \bar z_t.

    So :math:`\bar h_{t-1} = W_{hh}^\top \mathrm{diag}(\tanh'(z_t))\, \bar h_t`: one factor per step.
    ``activation="relu"`` gives :math:`h_t = \max(0, z_t)` instead (the IRNN of Le et al.
    2015): nothing bounds its state, so a large spectral radius overflows for real.
    Parameters: W_xh (n_h, n_in), W_hh (n_h, n_h), b_h (n_h,), then the readout W_hy, b_y.
    """

    cell = "rnn"
    gates = ("h",)

    def __init__(self, n_in: int, n_hidden: int, n_out: int = 1, activation: str = "tanh",
                 **kwargs: Any) -> None:
        self.activation = _check.choice(activation, "activation", ["tanh", "relu"])
        super().__init__(n_in, n_hidden, n_out, **kwargs)

    def _step(self, u: np.ndarray, state: _State) -> tuple[_State, _State]:
        (h_prev,) = state                                  # u = W_xh x_t + b_h
        z = u + h_prev @ self.W_h.T
        h = np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)
        return (h,), (h_prev, h)

    def _step_backward(self, d_state: _State,
                       cache: _State) -> tuple[_State, _State, np.ndarray, dict[str, np.ndarray]]:
        (dh,) = d_state                                    # dOut/dh_t, total
        h_prev, h = cache
        fprime = 1.0 - h * h if self.activation == "tanh" else (h > 0).astype(np.float64)
        dz = dh * fprime                                   # dOut/dz_t
        dh_prev = dz @ self.W_h                            # dOut/dh_{t-1}
        return (dh_prev,), (dh,), dz, {"fprime": fprime}

    def __repr__(self) -> str:
        extra = "" if self.activation == "tanh" else f", activation={self.activation!r}"
        return super().__repr__()[:-1] + extra + ")"


class LSTM(RecurrentNetwork):
    r"""Long short-term memory (Hochreiter and Schmidhuber 1997; forget gate: Gers et al. 2000).

    Forward: see the module docstring. Backward through one step, with bars for
    derivatives of Out and :math:`\bar c_t` collecting both paths out of :math:`c_t`
    (into the next cell state and into this step's output):

    .. math::
        \bar c_t = \bar c_{t+1} \odot f_{t+1} + \bar h_t \odot o_t \odot (1 - \tanh^2 c_t),

        \bar o_t = \bar h_t \odot \tanh c_t,\quad \bar f_t = \bar c_t \odot c_{t-1},\quad
        \bar i_t = \bar c_t \odot g_t,\quad \bar g_t = \bar c_t \odot i_t,

    then through each gate's nonlinearity (:math:`\sigma' = \sigma(1-\sigma)`,
    :math:`\tanh' = 1 - \tanh^2`) to its pre-activation :math:`\bar a`, and
    :math:`\bar h_{t-1} = \sum_{\text{gates}} W_{h\cdot}^\top \bar a`,
    :math:`\bar c_{t-1} \ni \bar c_t \odot f_t`.

    The cell-state path: :math:`\partial c_t / \partial c_{t-1} = \mathrm{diag}(f_t)` (no
    weight matrix, no tanh'), so along it the gradient is multiplied by the forget gate.

    ``forget_bias`` initialises :math:`b_f` (default +1, Gers et al. 2000; Jozefowicz et
    al. 2015): :math:`f = \sigma(1) \approx 0.73` at the start instead of 0.5.
    Parameters: W_x*, W_h*, b_* for * in i, f, o, g (views into the stacked W_x, W_h, b
    whose blocks are in that order), then W_hy, b_y.
    """

    cell = "lstm"
    gates = ("i", "f", "o", "g")
    cell_state = True

    def __init__(self, n_in: int, n_hidden: int, n_out: int = 1, forget_bias: float = 1.0,
                 **kwargs: Any) -> None:
        self.forget_bias = _check.finite_float(forget_bias, "forget_bias")
        super().__init__(n_in, n_hidden, n_out, **kwargs)

    def _init_biases(self) -> None:
        n = self.n_hidden
        self.b[n:2 * n] = self.forget_bias                 # block 1 is the forget gate

    def _zero_state(self, batch: int) -> _State:
        return (np.zeros((batch, self.n_hidden)), np.zeros((batch, self.n_hidden)))

    def _step(self, u: np.ndarray, state: _State) -> tuple[_State, _State]:
        h_prev, c_prev = state
        n = self.n_hidden
        a = u + h_prev @ self.W_h.T                        # pre-activations of i, f, o, g
        ifo = gate(a[:, :3 * n])
        i, f, o = ifo[:, :n], ifo[:, n:2 * n], ifo[:, 2 * n:]
        g = np.tanh(a[:, 3 * n:])
        c = f * c_prev + i * g
        tanh_c = np.tanh(c)
        h = o * tanh_c
        return (h, c), (h_prev, c_prev, i, f, o, g, tanh_c)

    def _step_backward(self, d_state: _State,
                       cache: _State) -> tuple[_State, _State, np.ndarray, dict[str, np.ndarray]]:
        dh, dc_next = d_state          # dOut/dh_t (total), dOut/dc_t through c_{t+1} only
        h_prev, c_prev, i, f, o, g, tanh_c = cache
        dc = dc_next + dh * o * (1.0 - tanh_c * tanh_c)   # dOut/dc_t, total
        da = np.concatenate([dc * g * i * (1.0 - i),       # dOut/d(pre-activation): i
                             dc * c_prev * f * (1.0 - f),  # f
                             dh * tanh_c * o * (1.0 - o),  # o
                             dc * i * (1.0 - g * g)],      # g
                            axis=1)
        dh_prev = da @ self.W_h
        dc_prev = dc * f                                   # the cell-state path
        return (dh_prev, dc_prev), (dh, dc), da, {"f": f}

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", forget_bias={self.forget_bias:g})"


class GRU(RecurrentNetwork):
    r"""Gated recurrent unit (Cho et al. 2014): :math:`h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t`.

    Backward through one step, with bars for derivatives of Out:

    .. math::
        \bar a_z = \bar h_t \odot (h_{t-1} - \tilde h_t) \odot z_t(1 - z_t),\qquad
        \bar a_h = \bar h_t \odot (1 - z_t) \odot (1 - \tilde h_t^2),

        \bar q = W_{hh}^\top \bar a_h \ \ (q = r_t \odot h_{t-1}),\qquad
        \bar a_r = \bar q \odot h_{t-1} \odot r_t(1 - r_t),

        \bar h_{t-1} = \underbrace{\bar h_t \odot z_t}_{\text{direct path}}
          + \bar q \odot r_t + W_{hz}^\top \bar a_z + W_{hr}^\top \bar a_r.

    Along the direct path the gradient is multiplied by the update gate :math:`z_t`.
    ``update_bias`` initialises :math:`b_z` (positive: start by keeping the state).

    ``reset="after"`` is the other common variant, the one of ``torch.nn.GRU`` and cuDNN:
    the reset gate scales the recurrent product instead of the state that enters it,

    .. math:: \tilde h_t = \tanh\big(W_{xh} x_t + b_h + r_t \odot (W_{hh} h_{t-1} + b_{hh})\big),

    so all three recurrent products :math:`W_{h\cdot} h_{t-1}` are one matrix product
    before the gates are known. Its recurrent term has its own bias :math:`b_{hh}` (torch's
    ``b_hn``; zero at the start), which the reset gate scales too. Backward, with
    :math:`m_t = W_{hh} h_{t-1} + b_{hh}`: :math:`\bar m = \bar a_h \odot r_t`,
    :math:`\bar a_r = \bar a_h \odot m_t \odot r_t(1 - r_t)`, and
    :math:`\bar h_{t-1} = \bar h_t \odot z_t + W_{hz}^\top \bar a_z + W_{hr}^\top \bar a_r + W_{hh}^\top \bar m`.
    Both variants keep the old state with weight :math:`z_t`, as torch does.

    Parameters: W_x*, W_h*, b_* for * in z, r, h (blocks of the stacked arrays in that
    order), then b_hh (``reset="after"`` only), then W_hy, b_y.

    >>> GRU(1, 3, reset="after").params["b_hh"].shape
    (3,)
    """

    cell = "gru"
    gates = ("z", "r", "h")

    def __init__(self, n_in: int, n_hidden: int, n_out: int = 1, update_bias: float = 0.0,
                 reset: str = "before", **kwargs: Any) -> None:
        self.update_bias = _check.finite_float(update_bias, "update_bias")
        self.reset = _check.choice(reset, "reset", ["before", "after"])
        self.extra_names = ("b_hh",) if self.reset == "after" else ()
        super().__init__(n_in, n_hidden, n_out, **kwargs)

    def _init_biases(self) -> None:
        self.b[:self.n_hidden] = self.update_bias           # block 0 is the update gate
        self.b_hh = np.zeros(self.n_hidden) if self.reset == "after" else None

    def _extra_params(self) -> tuple[np.ndarray, ...]:
        return () if self.b_hh is None else (self.b_hh,)

    def _du_blocks(self) -> int:
        return 3 if self.reset == "before" else 4          # reset after: also dOut/dm_t

    def _step(self, u: np.ndarray, state: _State) -> tuple[_State, _State]:
        if self.reset == "after":
            return self._step_reset_after(u, state)
        (h_prev,) = state
        n = self.n_hidden
        zr = gate(u[:, :2 * n] + h_prev @ self.W_h[:2 * n].T)
        z, r = zr[:, :n], zr[:, n:]
        q = r * h_prev
        h_cand = np.tanh(u[:, 2 * n:] + q @ self.W_h[2 * n:].T)
        h = z * h_prev + (1.0 - z) * h_cand
        return (h,), (h_prev, z, r, q, h_cand)

    def _step_backward(self, d_state: _State,
                       cache: _State) -> tuple[_State, _State, np.ndarray, dict[str, np.ndarray]]:
        if self.reset == "after":
            return self._step_backward_reset_after(d_state, cache)
        (dh,) = d_state                                    # dOut/dh_t, total
        h_prev, z, r, q, h_cand = cache
        n = self.n_hidden
        W_hz_hr, W_hh = self.W_h[:2 * n], self.W_h[2 * n:]
        da_z = dh * (h_prev - h_cand) * z * (1.0 - z)
        da_h = dh * (1.0 - z) * (1.0 - h_cand * h_cand)
        dq = da_h @ W_hh                                   # dOut/d(r * h_prev)
        da_r = dq * h_prev * r * (1.0 - r)
        da = np.concatenate([da_z, da_r, da_h], axis=1)   # dOut/du_t, gates z, r, h
        dh_prev = dh * z + dq * r + da[:, :2 * n] @ W_hz_hr
        return (dh_prev,), (dh,), da, {"z": z}

    def _step_reset_after(self, u: np.ndarray, state: _State) -> tuple[_State, _State]:
        r"""One step of the reset-after variant: one product :math:`W_h h_{t-1}` for all gates."""
        (h_prev,) = state
        n = self.n_hidden
        a = h_prev @ self.W_h.T                            # recurrent terms of z, r and h
        zr = gate(u[:, :2 * n] + a[:, :2 * n])
        z, r = zr[:, :n], zr[:, n:]
        m = a[:, 2 * n:] + self.b_hh                       # m_t = W_hh h_{t-1} + b_hh
        h_cand = np.tanh(u[:, 2 * n:] + r * m)
        h = z * h_prev + (1.0 - z) * h_cand
        return (h,), (h_prev, z, r, m, h_cand)

    def _step_backward_reset_after(self, d_state: _State, cache: _State
                                   ) -> tuple[_State, _State, np.ndarray, dict[str, np.ndarray]]:
        """Backward through :meth:`_step_reset_after`; the blocks of dU are (z, r, m, h)."""
        (dh,) = d_state
        h_prev, z, r, m, h_cand = cache
        n = self.n_hidden
        da_z = dh * (h_prev - h_cand) * z * (1.0 - z)
        da_h = dh * (1.0 - z) * (1.0 - h_cand * h_cand)
        dm = da_h * r                                      # dOut/dm_t
        da_r = da_h * m * r * (1.0 - r)
        da = np.concatenate([da_z, da_r, dm, da_h], axis=1)
        dh_prev = dh * z + da[:, :3 * n] @ self.W_h        # da_z, da_r, dm multiply W_h h_{t-1}
        return (dh_prev,), (dh,), da, {"z": z}

    def _weight_gradients(self, X: np.ndarray, dU: np.ndarray,
                          caches: list[_State]) -> tuple[np.ndarray, ...]:
        r"""As for the other cells, except that :math:`W_{hh}` multiplies :math:`r_t \odot h_{t-1}`
        (reset before); reset after, dU's blocks are (z, r, m, h) and :math:`b_{hh}` gets
        :math:`\sum_t \bar m_t`."""
        n = self.n_hidden
        H_prev = np.stack([c[0] for c in caches])                         # (T, batch, n_h)
        if self.reset == "after":            # one product for all four blocks, then pick z, r, h
            z_r_h = np.r_[0:2 * n, 3 * n:4 * n]
            dW_x, db = _sum_outer(dU, _time_major(X)), dU.sum(axis=(0, 1))
            return (dW_x[z_r_h], _sum_outer(dU[..., :3 * n], H_prev), db[z_r_h], db[2 * n:3 * n])
        Q = np.stack([c[3] for c in caches])                             # r_t * h_{t-1}
        dW_h = np.concatenate([_sum_outer(dU[..., :2 * n], H_prev),
                               _sum_outer(dU[..., 2 * n:], Q)])
        return _sum_outer(dU, _time_major(X)), dW_h, dU.sum(axis=(0, 1))

    def __repr__(self) -> str:
        extra = "" if self.reset == "before" else f", reset={self.reset!r}"
        return super().__repr__()[:-1] + f", update_bias={self.update_bias:g}{extra})"


CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def make_network(cell: str, n_in: int = 1, n_hidden: int = 8, n_out: int = 1,
                 **kwargs: Any) -> RecurrentNetwork:
    """Build an :class:`RNN`, :class:`LSTM` or :class:`GRU` by name ("rnn", "lstm", "gru")."""
    _check.choice(cell, "cell", list(CELLS))
    return CELLS[cell](n_in, n_hidden, n_out, **kwargs)


def accuracy(net: RecurrentNetwork, X: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Fraction of sequences whose logit has the label's sign (logit > 0 means 1).

    NaN when the network's output is not finite (a diverged network has no accuracy).
    """
    with np.errstate(over="ignore", invalid="ignore"):     # a diverged net may hold inf/NaN
        logits = net.forward(X)
    y = net._check_y(y, len(logits))
    if not np.all(np.isfinite(logits)):
        return float("nan")
    return float(np.mean((logits > 0) == (y > 0.5)))
