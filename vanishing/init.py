r"""Weight initialisation schemes.

A weight matrix of a layer with ``fan_in`` inputs and ``fan_out`` outputs has
shape ``(fan_out, fan_in)`` (so that :math:`z = W a + b`). Each scheme picks the
variance of the entries so that a signal keeps its scale through many layers:

=================  ==============================================  ===========================
scheme             Var(w)                                          meant for
=================  ==============================================  ===========================
xavier / glorot    :math:`2 / (n_{in} + n_{out})`                  tanh, sigmoid (linear regime)
he / kaiming       :math:`2 / n_{in}`                              ReLU (half the units are off)
lecun              :math:`1 / n_{in}`                              SELU, tanh
=================  ==============================================  ===========================

A uniform distribution on :math:`[-r, r]` has variance :math:`r^2/3`, so the
uniform versions use :math:`r = \sqrt{3\,\mathrm{Var}(w)}`.

>>> import numpy as np
>>> from vanishing.init import initializer
>>> W = initializer("he_normal")(fan_in=64, fan_out=32, rng=np.random.default_rng(0))
>>> W.shape
(32, 64)
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import _check

__all__ = ["constant", "normal", "uniform", "xavier_normal", "xavier_uniform", "he_normal",
           "he_uniform", "lecun_normal", "initializer", "names", "variance"]

Initializer = Callable[[int, int, np.random.Generator], np.ndarray]


def variance(scheme: str, fan_in: int, fan_out: int) -> float:
    """The weight variance that a named scheme targets."""
    family = scheme.split("_")[0]
    if family in ("xavier", "glorot"):
        return 2.0 / (fan_in + fan_out)
    if family in ("he", "kaiming"):
        return 2.0 / fan_in
    if family == "lecun":
        return 1.0 / fan_in
    raise ValueError(f"variance: scheme must be a xavier/glorot, he/kaiming or lecun scheme, "
                     f"got {scheme!r}")


def constant(value: float) -> Initializer:
    """Every weight equal to ``value`` (the anchor network's w = 0.1, as a matrix)."""
    value = _check.finite_float(value, "value")
    return lambda fan_in, fan_out, rng: np.full((fan_out, fan_in), value)


def normal(std: float) -> Initializer:
    """w ~ N(0, std^2), the same std whatever the layer's size."""
    std = _check.finite_float(std, "std")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return lambda fan_in, fan_out, rng: std * rng.standard_normal((fan_out, fan_in))


def uniform(limit: float) -> Initializer:
    """w ~ U(-limit, limit)."""
    limit = _check.finite_float(limit, "limit")
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return lambda fan_in, fan_out, rng: rng.uniform(-limit, limit, size=(fan_out, fan_in))


def _normal_scheme(name):
    def init(fan_in, fan_out, rng):
        std = math.sqrt(variance(name, fan_in, fan_out))
        return std * rng.standard_normal((fan_out, fan_in))
    init.__name__ = name
    init.__doc__ = f"{name}: w ~ N(0, Var) with Var as in the module table."
    return init


def _uniform_scheme(name):
    def init(fan_in, fan_out, rng):
        limit = math.sqrt(3.0 * variance(name, fan_in, fan_out))
        return rng.uniform(-limit, limit, size=(fan_out, fan_in))
    init.__name__ = name
    init.__doc__ = f"{name}: w ~ U(-r, r), r = sqrt(3 Var) with Var as in the module table."
    return init


xavier_normal = _normal_scheme("xavier_normal")
xavier_uniform = _uniform_scheme("xavier_uniform")
he_normal = _normal_scheme("he_normal")
he_uniform = _uniform_scheme("he_uniform")
lecun_normal = _normal_scheme("lecun_normal")

_SCHEMES = {
    "xavier_normal": xavier_normal, "glorot_normal": xavier_normal,
    "xavier_uniform": xavier_uniform, "glorot_uniform": xavier_uniform,
    "he_normal": he_normal, "kaiming_normal": he_normal,
    "he_uniform": he_uniform, "kaiming_uniform": he_uniform,
    "lecun_normal": lecun_normal,
}


def names() -> list[str]:
    """Scheme names that :func:`initializer` accepts by name."""
    return sorted(_SCHEMES)


def initializer(init) -> Initializer:
    """A scheme by name, or a callable ``(fan_in, fan_out, rng) -> array`` passed through.

    For a fixed value or std use :func:`constant` or :func:`normal`:
    ``initializer(normal(0.05))``.
    """
    if callable(init):
        return init
    if not isinstance(init, str):
        raise TypeError(f"init must be a scheme name {names()} or a callable such as "
                        f"vanishing.init.normal(0.1); got {type(init).__name__}")
    try:
        return _SCHEMES[init]
    except KeyError:
        raise ValueError(f"init must be one of {names()} (or a callable such as "
                         f"vanishing.init.normal(0.1)); got {init!r}") from None
