r"""The scalar chain: one neuron per layer, backpropagation by hand.

Layers are numbered 1..L from input to output:

.. math::
    a_0 = x,\qquad z_l = w_l\,a_{l-1} + b_l,\qquad a_l = f_l(z_l).

The backward pass computes :math:`\delta_l = \partial\,\mathrm{Out}/\partial z_l`:

.. math::
    \delta_L = \frac{\partial\,\mathrm{Out}}{\partial a_L} f_L'(z_L),\qquad
    \delta_l = \delta_{l+1}\, w_{l+1}\, f_l'(z_l),\qquad
    \frac{\partial\,\mathrm{Out}}{\partial w_l} = \delta_l\, a_{l-1}.

"Out" is either the last activation :math:`a_L`, or a loss with a label ``y``:
binary cross-entropy :math:`-y\ln a_L - (1-y)\ln(1-a_L)` (sigmoid output only) or
the squared error :math:`(a_L - y)^2`.

The deltas are also carried in log10 space (sign and exponent), so a
1000-layer chain whose gradient is far below float64's smallest number
(about 1e-308) still reports it as a power of ten instead of 0.0.

>>> from vanishing.chain import trace_chain
>>> t = trace_chain(depth=4, weight=0.1)          # the anchor network
>>> round(float(t.a[0]), 6)
0.524979
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence, Sized, cast

import numpy as np
import numpy.typing as npt

from . import _check
from . import activations as act
from .table import Table

__all__ = ["ChainTrace", "trace_chain", "chain_output", "format_power", "log10_ratio", "OUTS"]

OUTS = ("activation", "bce", "mse")


def format_power(log10: float, sign: float = 1.0, digits: int = 4) -> str:
    """Write ``sign * 10**log10`` in scientific notation, for any exponent.

    >>> format_power(-1602.06)
    '8.710e-1603'
    >>> format_power(float("-inf"))   # an exact zero (a dead ReLU, say)
    '0'
    """
    log10 = _check.real_float(log10, "log10")
    sign = _check.finite_float(sign, "sign")
    digits = _check.positive_int(digits, "digits")
    if digits > 17:
        raise ValueError(f"digits must be at most 17 (float64 holds about 17 digits), got {digits}")
    if math.isnan(log10) or log10 == math.inf:
        raise ValueError(f"log10 must be a finite number or -inf (an exact zero), got {log10}")
    if sign == 0 or log10 == -math.inf:
        return "0"
    exponent = math.floor(log10)
    mantissa = 10.0 ** (log10 - exponent)
    text = f"{mantissa:.{digits - 1}f}"
    if float(text) >= 10.0:                      # 9.9996 rounds up to 10.000
        exponent += 1
        text = f"{mantissa / 10:.{digits - 1}f}"
    return f"{'-' if sign < 0 else ''}{text}e{exponent:+03d}"


def _forward(w: np.ndarray, b: np.ndarray, x: float,
             fs: list[act.Activation]) -> tuple[np.ndarray, np.ndarray]:
    """z_l and a_l for l = 1..L (index 0 is layer 1)."""
    z = np.empty(len(w))
    a = np.empty(len(w))
    prev = x
    for i, (w_i, b_i, f) in enumerate(zip(w.tolist(), b.tolist(), fs)):   # Python floats: fast
        z_i = w_i * prev + b_i
        a_i = float(f.f(z_i))
        if not (math.isfinite(z_i) and math.isfinite(a_i)):
            raise ValueError(f"the forward pass overflows float64 at layer {i + 1} (z = {z_i}): "
                             "reduce the weights or the depth")
        z[i], a[i], prev = z_i, a_i, a_i
    return z, a


def _per_activation(fs: list[act.Activation],
                    z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f'(z_l) and log10 f'(z_l) for every layer, one vectorised call per distinct activation."""
    if all(f is fs[0] for f in fs):
        return fs[0].prime(z), fs[0].log10_prime(z)
    fprime, log_fprime = np.empty(len(z)), np.empty(len(z))
    names = np.array([f.name for f in fs])
    for f in {f.name: f for f in fs}.values():
        mask = names == f.name
        fprime[mask], log_fprime[mask] = f.prime(z[mask]), f.log10_prime(z[mask])
    return fprime, log_fprime


def _log10_bce_delta(z_L: float, y: float) -> tuple[float, float]:
    """log10 |delta_L| and its sign for binary cross-entropy, delta_L = sigma(z_L) - y.

    Written as (1 - y) sigma(z_L) - y sigma(-z_L): no cancellation when a_L rounds to 1.
    For y = 0 or 1 it is +-sigma(+-z_L), whose log10 is taken directly, so a delta below
    float64's range (z_L = 800: 10^-347.4) keeps its exponent.
    """
    d_L = (1.0 - y) * float(act.sigmoid(z_L)) - y * float(act.sigmoid(-z_L))
    if abs(d_L) > 1e-300 or y not in (0.0, 1.0):
        return np.log10(abs(d_L)), np.sign(d_L)
    u = z_L if y == 0.0 else -z_L                # d_L = sigma(z_L) or -sigma(-z_L)
    log10_sigma = (min(u, 0.0) - math.log1p(math.exp(-abs(u)))) / math.log(10.0)
    return log10_sigma, (1.0 if y == 0.0 else -1.0)


def _loss_and_seed(out: str, z_L: float, a_L: float,
                   y: float | None) -> tuple[float, float | None]:
    """Out itself and dOut/da_L (for BCE, delta_L directly: a_L - y)."""
    if out == "activation":
        return a_L, 1.0
    assert y is not None, "_checked_chain requires a label y when out is a loss"
    if out == "mse":
        with np.errstate(over="ignore"):         # beyond float64 the loss is inf, honestly
            return (a_L - y) ** 2, 2.0 * (a_L - y)
    # binary cross-entropy on the logit z_L, stable for any z_L:
    # -y ln s(z) - (1-y) ln(1-s(z)) = max(z, 0) - y z + ln(1 + e^{-|z|})
    loss = max(z_L, 0.0) - y * z_L + math.log1p(math.exp(-abs(z_L)))
    return loss, None


@dataclass(frozen=True, repr=False)
class ChainTrace(Table):
    """Everything the forward and backward pass of a scalar chain computed.

    Per-layer arrays have one entry per layer, layer 1 first:
    ``z``, ``a``, ``fprime`` (f'(z_l)), ``factor`` (w_l f'(z_l) = da_l/da_{l-1}),
    ``delta`` (dOut/dz_l), ``grad_w`` (dOut/dw_l) and their exact log10
    magnitudes ``log10_delta`` and ``log10_grad_w`` with signs ``sign_delta``,
    ``sign_grad_w``. ``delta`` and ``grad_w`` are float64 and so read 0.0 where
    the true value is below about 1e-308; the log10 versions never do.
    """

    depth: int
    weights: np.ndarray
    biases: np.ndarray
    x: float
    activation: tuple[str, ...]
    out: str
    y: float | None
    z: np.ndarray
    a: np.ndarray
    fprime: np.ndarray
    factor: np.ndarray
    log10_delta: np.ndarray
    sign_delta: np.ndarray
    log10_grad_w: np.ndarray
    sign_grad_w: np.ndarray
    output: float

    # --- values as float64 ---------------------------------------------------
    @property
    def delta(self) -> np.ndarray:
        """dOut/dz_l as float64 (0.0 where it underflows; see ``log10_delta``)."""
        with np.errstate(under="ignore", over="ignore"):
            return self.sign_delta * 10.0 ** self.log10_delta

    @property
    def grad_w(self) -> np.ndarray:
        """dOut/dw_l = delta_l * a_{l-1} as float64 (0.0 where it underflows)."""
        with np.errstate(under="ignore", over="ignore"):
            return self.sign_grad_w * 10.0 ** self.log10_grad_w

    @property
    def grad_b(self) -> np.ndarray:
        """dOut/db_l, which equals delta_l."""
        return self.delta

    # --- how much smaller is layer 1 than layer L? ---------------------------
    @property
    def log10_delta_ratio(self) -> float:
        """log10(|delta_L| / |delta_1|): how many powers of ten layer 1's delta lost.

        An exact zero counts: inf when only delta_1 is 0, -inf when only delta_L is,
        nan (0/0, undefined) when both are.
        """
        return log10_ratio(self.log10_delta[-1], self.log10_delta[0])

    @property
    def log10_grad_w_ratio(self) -> float:
        """log10(|dOut/dw_L| / |dOut/dw_1|), with exact zeros as in ``log10_delta_ratio``."""
        return log10_ratio(self.log10_grad_w[-1], self.log10_grad_w[0])

    @property
    def delta_ratio(self) -> float:
        """|delta_L| / |delta_1| (raises when it does not fit in a float64)."""
        return _ratio(self.log10_delta_ratio, "delta_ratio", "log10_delta_ratio")

    @property
    def grad_w_ratio(self) -> float:
        """|dOut/dw_L| / |dOut/dw_1| (raises when it does not fit in a float64)."""
        return _ratio(self.log10_grad_w_ratio, "grad_w_ratio", "log10_grad_w_ratio")

    @property
    def out_description(self) -> str:
        if self.out == "activation":
            return f"Out = a_{self.depth} (the last activation)"
        name = "binary cross-entropy" if self.out == "bce" else "squared error (a_L - y)^2"
        return f"Out = {name} with label y = {self.y:g}"

    # --- the readable table --------------------------------------------------
    _COLUMNS = ("layer", "z", "a", "f'(z)", "w*f'(z)", "delta=dOut/dz", "dOut/dw")

    def rows(self, max_rows: int | None = None) -> list[list[str]]:
        """The table as rows of strings, layer 1 first; long chains keep head and tail."""
        return self.head_and_tail(self.depth, self._row, max_rows)

    def _row(self, i: int) -> list[str]:
        return [str(i + 1), f"{self.z[i]:.6g}", f"{self.a[i]:.6g}", f"{self.fprime[i]:.6g}",
                f"{self.factor[i]:.6g}", format_power(self.log10_delta[i], self.sign_delta[i]),
                format_power(self.log10_grad_w[i], self.sign_grad_w[i])]

    def _title(self) -> str:
        names = sorted(set(self.activation))
        return (f"{self.depth}-layer {'/'.join(names)} chain, x = {self.x:g}; "
                f"{self.out_description}")


def log10_ratio(log10_last: float, log10_first: float) -> float:
    """log10(|last| / |first|) from the two log10 magnitudes (-inf is an exact zero).

    0/0 is undefined (nan), x/0 is inf and 0/x is -inf, all without a NumPy warning.
    """
    log10_last = _check.real_float(log10_last, "log10_last")
    log10_first = _check.real_float(log10_first, "log10_first")
    if log10_last == -math.inf or log10_first == -math.inf:
        if log10_last == log10_first:
            return math.nan
        return -math.inf if log10_last == -math.inf else math.inf
    return float(log10_last - log10_first)


def _ratio(log10: float, name: str, alternative: str) -> float:
    if math.isnan(log10):
        raise ValueError(f"{name} is 0/0 (both gradients are exactly 0): it is undefined")
    if abs(log10) > 300:
        raise ValueError(f"{name} is 10^{log10:.2f}, beyond float64's range; read {alternative}")
    return 10.0 ** log10


def _activations(activation: Any, depth: int) -> list[act.Activation]:
    if isinstance(activation, (str, act.Activation)) or not hasattr(activation, "__len__"):
        return [act.get(activation)] * depth      # one name (get() names a wrong type)
    activation = list(activation)
    if len(activation) != depth:
        raise ValueError(f"activation must be one name or a list of depth={depth} names "
                         f"(one per layer), got {len(activation)}")
    return [act.get(name) for name in activation]


def _checked_chain(depth: int, weight: npt.ArrayLike, bias: npt.ArrayLike, x: float,
                   activation: str | act.Activation | Sequence[str | act.Activation], out: str,
                   y: float | None) -> tuple[np.ndarray, np.ndarray, float, list[act.Activation],
                                             str, float | None]:
    """The chain's arguments checked: per-layer w and b, x, the activations, out and y."""
    w = _check.per_layer(weight, depth, "weight")
    b = _check.per_layer(bias, depth, "bias")
    x = _check.finite_float(x, "x")
    fs = _activations(activation, depth)
    out = _check.choice(out, "out", OUTS)
    if out == "activation":
        if y is not None:
            raise ValueError("y is only used when out is a loss ('bce' or 'mse'); got out='activation'")
    else:
        if y is None:
            raise ValueError(f"out={out!r} needs a label y")
        y = _check.finite_float(y, "y")
        if out == "bce":
            if not 0.0 <= y <= 1.0:
                raise ValueError(f"y must be in [0, 1] for out='bce', got {y}")
            if fs[-1].name != "sigmoid":
                raise ValueError("out='bce' needs a sigmoid last layer (activation[-1] == "
                                 f"'sigmoid'), got {fs[-1].name!r}")
    return w, b, x, fs, out, y


def trace_chain(depth: int, weight: npt.ArrayLike, bias: npt.ArrayLike = 0.0, x: float = 1.0,
                activation: str | act.Activation | Sequence[str | act.Activation] = "sigmoid",
                out: str = "activation", y: float | None = None) -> ChainTrace:
    """Run the scalar chain forward and backward and return the whole trace.

    Parameters
    ----------
    depth : int >= 1, the number of layers L.
    weight, bias : one number for every layer, or a sequence of ``depth`` numbers.
    x : the input a_0.
    activation : one name from :func:`vanishing.activations.names`, or one per layer.
    out : "activation" (Out = a_L), "bce" (binary cross-entropy with label ``y``;
        needs a sigmoid last layer) or "mse" (squared error (a_L - y)^2).
    y : the label, required when ``out`` is a loss.

    >>> t = trace_chain(4, 0.1)
    >>> print(format_power(t.log10_delta[0], t.sign_delta[0]))
    3.889e-06
    """
    depth = _check.positive_int(depth, "depth")
    _check.budget(f"trace_chain(depth={depth})", nbytes=20 * 8 * depth,
                  work=2 * _check.LOOP_COST * depth)        # a Python step and a call per layer
    w, b, x, fs, out, y = _checked_chain(depth, weight, bias, x, activation, out, y)
    z, a = _forward(w, b, x, fs)
    fprime, log_fprime = _per_activation(fs, z)
    output, seed = _loss_and_seed(out, z[-1], a[-1], y)

    with np.errstate(divide="ignore"):           # log10(0) = -inf marks an exact zero
        log_w = np.log10(np.abs(w))
        # the sign of f'(z_l) from its log: f'(z) can underflow to 0.0 while log10 f'(z) is finite
        sign_fp = np.where(np.isneginf(log_fprime), 0.0, np.where(fprime < 0, -1.0, 1.0))
        if seed is None:                         # BCE: delta_L = a_L - y
            assert y is not None, "_checked_chain requires a label y for out='bce'"
            log_d_L, sign_d_L = _log10_bce_delta(z[-1], y)
        else:
            log_d_L = np.log10(abs(seed)) + log_fprime[-1]
            sign_d_L = np.sign(seed) * sign_fp[-1]
        # delta_l = delta_{l+1} w_{l+1} f'(z_l), as running sums of logs and products of signs,
        # added in the order log_d[l+1] + log_w[l+1] + log_fprime[l], layer L-1 down to 1
        steps = np.empty(2 * depth - 1)
        steps[0], steps[1::2], steps[2::2] = log_d_L, log_w[:0:-1], log_fprime[-2::-1]
        log_d = np.cumsum(steps)[::2][::-1]
        sign_d = np.cumprod(np.concatenate([[sign_d_L], np.sign(w[:0:-1]) * sign_fp[-2::-1]]))[::-1]
        a_prev = np.concatenate([[x], a[:-1]])
        log_gw = log_d + np.log10(np.abs(a_prev))
        sign_gw = sign_d * np.sign(a_prev)
    sign_d[np.isneginf(log_d)] = 0.0
    sign_gw[np.isneginf(log_gw)] = 0.0

    return ChainTrace(depth=depth, weights=w, biases=b, x=x,
                      activation=tuple(f.name for f in fs), out=out, y=y, z=z, a=a,
                      fprime=fprime, factor=w * fprime, log10_delta=log_d, sign_delta=sign_d,
                      log10_grad_w=log_gw, sign_grad_w=sign_gw, output=float(output))


def chain_output(weight: npt.ArrayLike, bias: npt.ArrayLike = 0.0, x: float = 1.0,
                 activation: str | act.Activation | Sequence[str | act.Activation] = "sigmoid",
                 out: str = "activation", y: float | None = None,
                 depth: int | None = None) -> float:
    """Out for the given parameters, by the forward pass alone.

    This is what a finite-difference check perturbs:
    ``(chain_output(w + h e_l) - chain_output(w - h e_l)) / 2h`` should match
    ``trace_chain(...).grad_w[l]``.
    """
    if depth is None:
        depth = 1 if np.ndim(weight) == 0 else len(cast(Sized, weight))   # ndim >= 1: a sequence
        if depth == 0:
            raise ValueError("weight must be one number or a non-empty sequence (one per layer)")
    depth = _check.positive_int(depth, "depth")
    w, b, x, fs, out, y = _checked_chain(depth, weight, bias, x, activation, out, y)
    z, a = _forward(w, b, x, fs)
    return float(_loss_and_seed(out, z[-1], a[-1], y)[0])
