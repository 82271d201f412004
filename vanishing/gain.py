r"""The gain of an activation: the factor by which an initialisation's std is scaled for it.

A layer with weights of std :math:`g/\sqrt{n_{in}}` and inputs :math:`a = f(z)`, :math:`z \sim N(0, 1)`,
gives pre-activations of variance :math:`g^2\,\mathbb E[f(z)^2]` (lesson 05). The gain that keeps a
unit variance unit, layer after layer, is

.. math:: g(f) = \frac{1}{\sqrt{\mathbb E_{z \sim N(0,1)}\big[f(z)^2\big]}}.

For the rectifiers this is exact and is He's gain: :math:`\mathbb E[\mathrm{relu}(z)^2] = 1/2` gives
:math:`\sqrt 2`, and a leaky ReLU or PReLU with slope a keeps :math:`(1 + a^2)/2`, so
:math:`g = \sqrt{2/(1 + a^2)}` (He et al. 2015, "Delving deep into rectifiers"). For tanh and the
sigmoid the value depends on the variance the layer settles at, so libraries pick a convention
instead (PyTorch's ``calculate_gain``: 5/3 for tanh, 1 for the sigmoid); lesson 05 compares them.

The expectation is split at the kink z = 0 and folded onto the half-line, where every
activation here is smooth; a Gauss-Legendre sum on :math:`[0, 12]` integrates it (beyond 12 the
density is below :math:`10^{-31}`):

.. math:: \mathbb E[f(z)^2] = \int_0^{12} \big(f(x)^2 + f(-x)^2\big)\,\varphi(x)\,dx,\qquad
          \varphi(x) = e^{-x^2/2}/\sqrt{2\pi}.

>>> round(gain("relu"), 12), round(gain("linear"), 12)
(1.414213562373, 1.0)
>>> round(gain("prelu", slope=0.25), 12) == round((2 / (1 + 0.25**2)) ** 0.5, 12)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import _check
from . import activations as act
from . import init as init_
from .prelu import INITIAL_SLOPE

__all__ = ["gain", "gain_normal", "GAIN_NODES", "GAIN_CUTOFF"]

#: Gauss-Legendre nodes on the half-line [0, GAIN_CUTOFF] (the kink z = 0 is an end point).
GAIN_NODES = 120
GAIN_CUTOFF = 12.0

_SLOPED = ("leaky_relu", "prelu")


def _function(activation: str | act.Activation,
              slope: float | None) -> Callable[[np.ndarray], np.ndarray]:
    """f(z) for a registered activation, or a leaky ReLU / PReLU with the given slope."""
    if isinstance(activation, str) and activation in _SLOPED and slope is not None:
        slope = _check.finite_float(slope, "slope")
        return lambda z: np.where(z > 0, z, slope * z)
    if slope is not None:
        raise ValueError(f"slope is only for {list(_SLOPED)}, not for activation={activation!r}")
    return act.get(activation).f


def gain(activation: str | act.Activation, slope: float | None = None) -> float:
    r"""The gain :math:`g = 1/\sqrt{\mathbb E_{z \sim N(0,1)}[f(z)^2]}` of an activation.

    ``activation`` is a name that :func:`vanishing.activations.get` knows, or "prelu"; ``slope``
    is the negative-side slope of "leaky_relu" (default 0.01) or "prelu" (default 0.25, He et al.'s
    starting value).

    >>> round(gain("leaky_relu", slope=0.0), 12)     # slope 0: ReLU
    1.414213562373
    """
    if isinstance(activation, str) and activation == "prelu" and slope is None:
        slope = INITIAL_SLOPE
    f = _function(activation, slope)
    t, w = np.polynomial.legendre.leggauss(GAIN_NODES)            # nodes on [-1, 1]
    x, w = GAIN_CUTOFF / 2 * (t + 1), GAIN_CUTOFF / 2 * w           # moved to [0, cutoff]
    density = np.exp(-x * x / 2) / math.sqrt(2.0 * math.pi)
    with np.errstate(over="ignore", invalid="ignore"):
        moment = float(np.dot(w * density, f(x) ** 2 + f(-x) ** 2))
    if not math.isfinite(moment):
        raise ValueError(f"slope={slope} is too large: E[f(z)^2] overflows float64")
    if not moment > 0.0:
        raise ValueError(f"activation={activation!r} is 0 for every z: it has no gain")
    return 1.0 / math.sqrt(moment)


def gain_normal(g: float) -> init_.Initializer:
    r"""An initializer with :math:`w \sim N(0, g^2/n_{in})`, the std that :func:`gain` is made for.

    ``gain_normal(1)`` is LeCun's normal, ``gain_normal(gain("relu"))`` He's; PyTorch's
    ``kaiming_normal_`` with a gain, and ``xavier_normal_(gain=g)`` on a square layer, draw the same.

    >>> W = gain_normal(2.0)(fan_in=400, fan_out=300, rng=np.random.default_rng(0))
    >>> round(float(W.std() * 400 ** 0.5), 1)
    2.0
    """
    g = _check.finite_float(g, "g")
    if not 0.0 < g <= 1e6:
        raise ValueError(f"g must be a gain in (0, 1e6], got {g}")

    def draw(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        W = init_.draw("lecun_normal", fan_in, fan_out, rng)
        return g * W

    draw.__name__ = draw.__qualname__ = f"gain_normal({g:.4g})"
    return draw
