r"""Gradient of what, with respect to what: the three per-layer gradients that sources mix up.

For the scalar chain of :mod:`vanishing.chain` (:math:`z_l = w_l a_{l-1} + b_l`,
:math:`a_l = f(z_l)`, :math:`a_0 = x`) three different numbers are all called
"the gradient at layer l" somewhere:

.. math::
    \frac{\partial\,\mathrm{Out}}{\partial a_l}\ \text{(the activation)},\qquad
    \delta_l = \frac{\partial\,\mathrm{Out}}{\partial z_l}\ \text{(the pre-activation: our convention)},\qquad
    \frac{\partial\,\mathrm{Out}}{\partial w_l}\ \text{(the weight: what an update uses)}.

They are tied together by

.. math::
    \delta_l = \frac{\partial\,\mathrm{Out}}{\partial a_l}\, f'(z_l),\qquad
    \frac{\partial\,\mathrm{Out}}{\partial a_l} = w_{l+1}\,\delta_{l+1}\ (l < L),\qquad
    \frac{\partial\,\mathrm{Out}}{\partial w_l} = \delta_l\, a_{l-1},

so they differ by a factor :math:`f'(z_l)` (about 1/4 for a sigmoid) or by
:math:`a_{l-1}`, and their ratios between the last and the first layer differ too.
:func:`compare_conventions` puts the three side by side, in log10 space so that
a 1000-layer chain still reports finite magnitudes.

>>> from vanishing.chain import trace_chain
>>> c = compare_conventions(trace_chain(4, 0.1))    # the anchor network, Out = a_4
>>> float(c.grad_a[-1])                             # dOut/da_4 = 1 when Out = a_4
1.0
>>> f"{c.ratio('z'):.4g}", f"{c.ratio('w'):.4g}"    # delta ratio vs weight-gradient ratio
('6.425e+04', '3.295e+04')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import activations as act
from .chain import ChainTrace, format_power, log10_ratio
from .table import Table

__all__ = ["QUANTITIES", "Conventions", "compare_conventions"]

#: the three "gradients at layer l": with respect to a_l, z_l or w_l
QUANTITIES = {"a": "dOut/da_l", "z": "delta_l = dOut/dz_l", "w": "dOut/dw_l"}


def _quantity(quantity: str) -> str:
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {list(QUANTITIES)} (gradient with respect to "
                         f"a_l, z_l or w_l), got {quantity!r}")
    return quantity


@dataclass(frozen=True, repr=False)
class Conventions(Table):
    """dOut/da_l, dOut/dz_l and dOut/dw_l of one chain, side by side (layer 1 first).

    ``log10(q)`` and ``sign(q)`` give the exact magnitude and sign of quantity
    ``q`` in {"a", "z", "w"} for every layer; ``value(q)`` the float64 values
    (0.0 where they underflow); ``log10_ratio(q)`` and ``ratio(q)`` compare
    the last layer with the first: :math:`|g_L| / |g_1|`.
    """

    trace: ChainTrace
    log10_grad_a: np.ndarray
    sign_grad_a: np.ndarray

    @property
    def grad_a(self) -> np.ndarray:
        """dOut/da_l as float64 (0.0 where it underflows; see ``log10('a')``)."""
        return self.value("a")

    def log10(self, quantity: str) -> np.ndarray:
        """log10 of the magnitude of dOut/da_l ("a"), dOut/dz_l ("z") or dOut/dw_l ("w")."""
        q = _quantity(quantity)
        return {"a": self.log10_grad_a, "z": self.trace.log10_delta, "w": self.trace.log10_grad_w}[q]

    def sign(self, quantity: str) -> np.ndarray:
        """The sign (-1, 0 or 1) of each layer's gradient of that quantity."""
        q = _quantity(quantity)
        return {"a": self.sign_grad_a, "z": self.trace.sign_delta, "w": self.trace.sign_grad_w}[q]

    def value(self, quantity: str) -> np.ndarray:
        """The gradients as float64: exact where they fit, 0.0 below about 1e-308."""
        with np.errstate(under="ignore", over="ignore"):   # underflow to 0.0 is documented above
            return self.sign(quantity) * 10.0 ** self.log10(quantity)

    def log10_ratio(self, quantity: str) -> float:
        """log10(|g_L| / |g_1|) for the chosen quantity: the powers of ten layer 1 lost."""
        logs = self.log10(quantity)
        return log10_ratio(logs[-1], logs[0])

    def ratio(self, quantity: str) -> float:
        """|g_L| / |g_1| as a float (raises beyond float64's range: read ``log10_ratio``)."""
        log10 = self.log10_ratio(quantity)
        if math.isnan(log10):
            raise ValueError(f"the {QUANTITIES[quantity]} ratio is 0/0 (both are exactly 0): undefined")
        if abs(log10) > 300:
            raise ValueError(f"the {QUANTITIES[quantity]} ratio is 10^{log10:.2f}, beyond float64's "
                             "range; read log10_ratio")
        return 10.0 ** log10

    # --- the readable table ----------------------------------------------------
    def rows(self, max_rows: int | None = None) -> list[list[str]]:
        """Table rows of strings (layer, then the three gradients), plus a ratio row."""
        depth = self.trace.depth
        rows = self.head_and_tail(depth, lambda i: [str(i + 1)] + [
            format_power(self.log10(q)[i], self.sign(q)[i]) for q in QUANTITIES], max_rows)
        rows.append([f"|layer {depth}| / |layer 1|"]
                    + [format_power(self.log10_ratio(q)) if np.isfinite(self.log10_ratio(q)) else "undefined"
                       for q in QUANTITIES])
        return rows

    def _columns(self) -> list[str]:
        return ["layer l"] + list(QUANTITIES.values())

    def _title(self) -> str:
        return f"Three gradients per layer; {self.trace.out_description}"




def _log10_grad_a_last(trace: ChainTrace) -> tuple[float, float]:
    r"""log10 |dOut/da_L| and its sign.

    Out = a_L: 1. Squared error :math:`(a_L - y)^2`: :math:`2(a_L - y)`.
    Binary cross-entropy: :math:`(a_L - y) / (a_L (1 - a_L)) = (a_L - y) / \sigma'(z_L)`.
    """
    if trace.out == "activation":
        return 0.0, 1.0
    z_L, y = float(trace.z[-1]), trace.y
    assert y is not None, "trace_chain requires a label y when Out is a loss"
    if trace.out == "mse":
        diff = float(trace.a[-1]) - y
    else:       # a_L - y written as (1 - y) sigma(z_L) - y sigma(-z_L): exact even when a_L rounds to 1
        diff = (1.0 - y) * float(act.sigmoid(z_L)) - y * float(act.sigmoid(-z_L))
    if diff == 0.0:
        return -math.inf, 0.0
    if trace.out == "mse":
        return math.log10(2.0 * abs(diff)), math.copysign(1.0, diff)
    log10_sigma_prime = float(act.get(trace.activation[-1]).log10_prime(z_L))
    return math.log10(abs(diff)) - log10_sigma_prime, math.copysign(1.0, diff)


def compare_conventions(trace: ChainTrace) -> Conventions:
    r"""dOut/da_l next to delta_l = dOut/dz_l and dOut/dw_l for every layer of ``trace``.

    .. math::
        \frac{\partial\,\mathrm{Out}}{\partial a_L} = \begin{cases}
            1 & \mathrm{Out} = a_L\\ 2(a_L - y) & \text{squared error}\\
            (a_L - y)/(a_L(1 - a_L)) & \text{binary cross-entropy}\end{cases},\qquad
        \frac{\partial\,\mathrm{Out}}{\partial a_l} = w_{l+1}\,\delta_{l+1}\quad (l < L).

    Parameters
    ----------
    trace : a :class:`~vanishing.chain.ChainTrace` from :func:`~vanishing.chain.trace_chain`
        (its "Out" is the one every column differentiates).

    >>> from vanishing.chain import trace_chain
    >>> c = compare_conventions(trace_chain(4, 0.1))
    >>> print(format_power(c.log10("a")[0]), format_power(c.log10("z")[0]))
    1.559e-05 3.889e-06
    """
    if not isinstance(trace, ChainTrace):
        raise TypeError("trace must be a ChainTrace (from vanishing.chain.trace_chain), "
                        f"got {type(trace).__name__}")
    depth = trace.depth
    log_a = np.empty(depth)
    sign_a = np.empty(depth)
    log_a[-1], sign_a[-1] = _log10_grad_a_last(trace)
    with np.errstate(divide="ignore"):               # log10(0) = -inf marks a zero weight
        log_w = np.log10(np.abs(trace.weights))
    log_a[:-1] = trace.log10_delta[1:] + log_w[1:]   # dOut/da_l = w_{l+1} delta_{l+1}
    sign_a[:-1] = trace.sign_delta[1:] * np.sign(trace.weights[1:])
    sign_a[np.isneginf(log_a)] = 0.0
    return Conventions(trace=trace, log10_grad_a=log_a, sign_grad_a=sign_a)
