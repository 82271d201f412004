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
           "he_uniform", "lecun_normal", "initializer", "names", "variance", "draw",
           "truncated_std_ratio", "truncated_normal"]

Initializer = Callable[[int, int, np.random.Generator], np.ndarray]


def variance(scheme: str, fan_in: int, fan_out: int) -> float:
    """The weight variance that a named scheme targets."""
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be a name such as 'he_normal', got {type(scheme).__name__}")
    fan_in = _check.positive_int(fan_in, "fan_in")
    fan_out = _check.positive_int(fan_out, "fan_out")
    family = scheme.split("_")[0]
    if family in ("xavier", "glorot"):
        return 2.0 / (fan_in + fan_out)
    if family in ("he", "kaiming"):
        return 2.0 / fan_in
    if family == "lecun":
        return 1.0 / fan_in
    raise ValueError(f"variance: scheme must be a xavier/glorot, he/kaiming or lecun scheme, "
                     f"got {scheme!r}")


def _named(draw: Callable[[tuple[int, int], np.random.Generator], np.ndarray],
           name: str) -> Initializer:
    """An initializer ``(fan_in, fan_out, rng) -> array`` that checks its arguments and calls
    ``draw(shape, rng)``, with a readable name (shown in an MLP's repr)."""
    def init(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        return draw(_shape(fan_in, fan_out, rng), rng)
    init.__name__ = init.__qualname__ = name
    return init


def _shape(fan_in: int, fan_out: int, rng: np.random.Generator) -> tuple[int, int]:
    """(fan_out, fan_in), checked, and a checked random generator."""
    shape = (_check.positive_int(fan_out, "fan_out"), _check.positive_int(fan_in, "fan_in"))
    _check.generator(rng, "rng")
    _check.budget(f"a weight matrix with fan_in={shape[1]}, fan_out={shape[0]}",
                  nbytes=8 * shape[0] * shape[1])
    return shape


def constant(value: float) -> Initializer:
    """Every weight equal to ``value`` (the anchor network's w = 0.1, as a matrix)."""
    value = _check.finite_float(value, "value")
    return _named(lambda shape, rng: np.full(shape, value), f"constant({value:g})")


def normal(std: float) -> Initializer:
    """w ~ N(0, std^2), the same std whatever the layer's size."""
    std = _check.finite_float(std, "std")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return _named(lambda shape, rng: std * rng.standard_normal(shape), f"normal({std:g})")


def uniform(limit: float) -> Initializer:
    """w ~ U(-limit, limit)."""
    limit = _check.finite_float(limit, "limit")
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return _named(lambda shape, rng: rng.uniform(-limit, limit, size=shape), f"uniform({limit:g})")


def _normal_scheme(name: str) -> Initializer:
    def init(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        shape = _shape(fan_in, fan_out, rng)
        std = math.sqrt(variance(name, fan_in, fan_out))
        return std * rng.standard_normal(shape)
    init.__name__ = name
    init.__doc__ = f"{name}: w ~ N(0, Var) with Var as in the module table."
    return init


def _uniform_scheme(name: str) -> Initializer:
    def init(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        shape = _shape(fan_in, fan_out, rng)
        limit = math.sqrt(3.0 * variance(name, fan_in, fan_out))
        return rng.uniform(-limit, limit, size=shape)
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


def initializer(init: str | Initializer) -> Initializer:
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


def draw(init: str | Initializer, fan_in: int, fan_out: int, rng: np.random.Generator,
         name: str = "init") -> np.ndarray:
    """``init(fan_in, fan_out, rng)`` checked: a finite float64 array of shape (fan_out, fan_in).

    Networks draw every weight matrix through it, so a custom initializer that returns
    NaN or the wrong shape is named at once instead of giving NaN outputs later.
    """
    W = _check.finite_array(initializer(init)(fan_in, fan_out, rng), f"{name}(...)")
    if W.shape != (fan_out, fan_in):
        raise ValueError(f"{name} must return an array of shape (fan_out, fan_in) = "
                         f"{(fan_out, fan_in)}, got {W.shape}")
    return W


# --- truncated normal ----------------------------------------------------------

def truncated_std_ratio(cut: float = 2.0) -> float:
    r"""The std of a standard normal cut to [-b, b] (b = ``cut``): how much truncation shrinks it.

    Integrating :math:`u^2\varphi(u)` by parts over [-b, b] and dividing by the mass
    inside gives the variance of the cut distribution:

    .. math::
        \mathrm{Var}(u \mid |u| \le b) = 1 - \frac{2b\,\varphi(b)}{2\Phi(b) - 1},\qquad
        \varphi(b) = \frac{e^{-b^2/2}}{\sqrt{2\pi}},\qquad
        2\Phi(b) - 1 = \operatorname{erf}(b/\sqrt{2}),

    and the function returns its square root. Only ``math.erf`` is needed (no scipy).
    For a very narrow cut the subtraction loses digits (relative error about
    :math:`10^{-16}/b^2`); the limit there is the uniform's :math:`b/\sqrt{3}`.

    >>> round(truncated_std_ratio(2.0), 6)      # cut at 2 std: 12% smaller than nominal
    0.879626
    """
    b = _check.finite_float(cut, "cut")
    if b < 1e-300:
        raise ValueError(f"cut must be > 0 (at least 1e-300, in units of the std), got {b}")
    if b < 1e-3:                                  # the series b^2/3 (1 - 2b^2/15 + O(b^4)) instead
        return b * math.sqrt((1.0 - 2.0 * b * b / 15.0) / 3.0)
    phi = math.exp(-0.5 * b * b) / math.sqrt(2.0 * math.pi)
    mass = math.erf(b / math.sqrt(2.0))
    return math.sqrt(1.0 - 2.0 * b * phi / mass)


def truncated_normal(std: float | str, cut: float = 2.0, corrected: bool = True) -> Initializer:
    r"""w ~ N(0, s^2) restricted to :math:`|w| \le \text{cut}\cdot s` (draws outside are redrawn).

    ``std`` is the standard deviation the weights should have: a number, or a
    scheme family ("xavier"/"glorot", "he"/"kaiming", "lecun") whose variance
    (:func:`variance`) is used for each layer's fans.

    Cutting the tails makes the weights narrower than the normal they came from:
    their std is :math:`r\,s` with :math:`r` = :func:`truncated_std_ratio` (cut),
    0.8796 at cut = 2. With ``corrected=True`` the untruncated scale is
    :math:`s = \text{std}/r`, so the weights really have std ``std``; with
    ``corrected=False``, :math:`s = \text{std}` and every layer is 12% too narrow
    (as in an initializer that takes the std before truncation), which a deep
    network compounds: :math:`0.8796^{L}`.

    Shape ``(fan_out, fan_in)``; the redraws use ``rng`` so the result is reproducible.

    >>> import numpy as np
    >>> W = truncated_normal(0.1)(fan_in=300, fan_out=300, rng=np.random.default_rng(0))
    >>> round(float(W.std()), 2), bool(np.abs(W).max() <= 2 * 0.1 / truncated_std_ratio(2.0))
    (0.1, True)
    """
    if isinstance(std, str):
        if std.split("_")[0] not in ("xavier", "glorot", "he", "kaiming", "lecun"):
            raise ValueError(f"std must be a number or a scheme family ('xavier', 'glorot', 'he', "
                             f"'kaiming', 'lecun'), got {std!r}")
        label = std
    else:
        std = _check.finite_float(std, "std")
        if std < 0:
            raise ValueError(f"std must be >= 0 or a scheme family such as 'he', got {std}")
        label = f"{std:g}"
    ratio = truncated_std_ratio(cut)
    cut = float(cut)
    corrected = bool(corrected)

    def init(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        shape = _shape(fan_in, fan_out, rng)
        target = math.sqrt(variance(std, fan_in, fan_out)) if isinstance(std, str) else std
        scale = target / ratio if corrected else target
        return scale * (_cut_normal(shape, cut, rng) if cut >= 1.0 else _cut_uniform(shape, cut, rng))

    init.__name__ = (f"truncated_normal({label}, cut={cut:g}"
                     f"{'' if corrected else ', uncorrected'})")
    return init


def _cut_normal(shape: tuple[int, int], cut: float, rng: np.random.Generator) -> np.ndarray:
    """N(0, 1) draws restricted to [-cut, cut]: redraw what falls outside (accepts >= 68% for cut >= 1)."""
    u = rng.standard_normal(shape)
    outside = np.abs(u) > cut
    while outside.any():                          # rejection: redraw only what fell outside
        u[outside] = rng.standard_normal(np.count_nonzero(outside))
        outside = np.abs(u) > cut
    return u


def _cut_uniform(shape: tuple[int, int], cut: float, rng: np.random.Generator) -> np.ndarray:
    r"""The same distribution for a narrow cut (< 1), where a normal draw would mostly fall outside.

    Propose u ~ U(-cut, cut) and keep it with probability :math:`e^{-u^2/2}` (at least
    :math:`e^{-1/2} \approx 0.61`): the kept draws have density proportional to :math:`\varphi(u)`.
    """
    u = np.empty(shape)
    todo = np.ones(shape, dtype=bool)
    while todo.any():
        n = np.count_nonzero(todo)
        proposal = rng.uniform(-cut, cut, size=n)
        keep = rng.random(n) < np.exp(-0.5 * proposal * proposal)
        idx = np.flatnonzero(todo)[keep]
        u.flat[idx] = proposal[keep]
        todo.flat[idx] = False
    return u
