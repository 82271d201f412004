"""Activation functions and their derivatives.

Every function takes a number or a NumPy array ``z`` (the pre-activation) and
returns float64 of the same shape. The derivatives are written so that they
stay accurate and warning-free for any ``z``, including +-inf: no ``exp`` of a
large positive number is ever evaluated. A NaN entry gives NaN, as in NumPy;
a string or None is refused with a TypeError.

>>> from vanishing.activations import sigmoid, sigmoid_prime
>>> float(sigmoid(0.0)), float(sigmoid_prime(0.0))
(0.5, 0.25)
>>> float(sigmoid(-1e4))      # no overflow warning, the right limit
0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, cast

import numpy as np
import numpy.typing as npt

from . import _check

__all__ = [
    "Activation", "get", "names",
    "sigmoid", "sigmoid_prime", "log10_sigmoid_prime",
    "tanh", "tanh_prime", "log10_tanh_prime",
    "relu", "relu_prime", "leaky_relu", "leaky_relu_prime",
    "elu", "elu_prime", "linear", "linear_prime",
]

_LOG10_E = np.log10(np.e)


def _float(z: npt.ArrayLike) -> np.ndarray:
    """``z`` as a float64 array, or a TypeError that names ``z`` (a string or None is not a number)."""
    if isinstance(z, np.ndarray) and z.dtype == np.float64:
        return z                                 # the common cases, at no cost
    if isinstance(z, float):
        # a NumPy float64 scalar: it acts as a 0-d array in every function below
        return cast(np.ndarray, np.float64(z))
    return _check.float_array(z, "z")


# --- sigmoid -----------------------------------------------------------------

def sigmoid(z: npt.ArrayLike) -> np.ndarray:
    r"""The logistic sigmoid.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}
              = \frac{e^{\min(z, 0)}}{1 + e^{-|z|}}

    The last form is the first one for z >= 0 and the second for z < 0, so
    ``exp`` only ever sees a non-positive argument: no overflow, even at
    z = -1e4, and full relative precision in both tails. The work happens in two
    arrays, in place (each new array costs page faults on a large batch).
    """
    z = _float(z)
    e = np.abs(z, out=np.empty(np.shape(z)))
    np.exp(np.negative(e, out=e), out=e)         # one exp: e^{-|z|} in (0, 1], in place
    denominator = 1.0 + e
    # numerator e^{min(z, 0)}: max(e, 1) = 1 where z >= 0 (as e <= 1), max(e, 0) = e elsewhere
    np.maximum(e, z >= 0, out=e)
    return np.divide(e, denominator, out=e)[()]  # [()]: a number in, a number out


def sigmoid_prime(z: npt.ArrayLike) -> np.ndarray:
    r"""Derivative of the sigmoid.

    .. math:: \sigma'(z) = \sigma(z)\,(1 - \sigma(z)) = \frac{e^{-|z|}}{(1 + e^{-|z|})^2}

    The second form (equal because sigma' is even) keeps full relative
    precision in the tails, where ``1 - sigma(z)`` would round to 0.
    Its maximum is 1/4, at z = 0.
    """
    z = _float(z)
    e = np.exp(-np.abs(z))
    # near z = 0 rounding can land one ulp above the exact bound 1/4; clamp it back
    return np.minimum(e / (1.0 + e) ** 2, 0.25)


def log10_sigmoid_prime(z: npt.ArrayLike) -> np.ndarray:
    r"""``log10(sigma'(z))`` without underflow: :math:`(-|z| - 2\ln(1 + e^{-|z|}))\log_{10} e`."""
    z = _float(z)
    return (-np.abs(z) - 2.0 * np.log1p(np.exp(-np.abs(z)))) * _LOG10_E


# --- tanh --------------------------------------------------------------------

def tanh(z: npt.ArrayLike) -> np.ndarray:
    r"""Hyperbolic tangent, :math:`\tanh z = (e^{z} - e^{-z}) / (e^{z} + e^{-z})`."""
    return np.tanh(_float(z))


def tanh_prime(z: npt.ArrayLike) -> np.ndarray:
    r"""Derivative of tanh.

    .. math:: \tanh'(z) = 1 - \tanh^2 z = \frac{4 e^{-2|z|}}{(1 + e^{-2|z|})^2}

    Its maximum is 1, at z = 0 (four times the sigmoid's: tanh(z) = 2 sigma(2z) - 1).
    """
    z = _float(z)
    e = np.exp(-np.abs(z)) ** 2                  # e^{-2|z|}; -2|z| itself overflows near 1e308
    return 4.0 * e / (1.0 + e) ** 2


def log10_tanh_prime(z: npt.ArrayLike) -> np.ndarray:
    """``log10(tanh'(z))`` without underflow."""
    z = _float(z)
    e = np.exp(-np.abs(z)) ** 2                  # e^{-2|z|}; -2|z| itself overflows near 1e308
    log10 = (np.log(4.0) - 2.0 * np.log1p(e)) * _LOG10_E - (2.0 * _LOG10_E) * np.abs(z)
    return np.minimum(log10, 0.0)                # tanh' <= 1: rounding near z = 0 must not exceed it


# --- the rectifier family ------------------------------------------------------

def relu(z: npt.ArrayLike) -> np.ndarray:
    r"""Rectified linear unit, :math:`\max(0, z)`."""
    return np.maximum(_float(z), 0.0)


def relu_prime(z: npt.ArrayLike) -> np.ndarray:
    r"""Derivative of ReLU: 1 for z > 0 and 0 for z <= 0 (we choose 0 at the kink z = 0)."""
    return (_float(z) > 0).astype(np.float64)


def _slope(alpha: float) -> float:
    """Leaky ReLU's slope for z <= 0, a number in [0, 1]."""
    alpha = _check.finite_float(alpha, "alpha")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (the slope for z <= 0), got {alpha}")
    return alpha


def leaky_relu(z: npt.ArrayLike, alpha: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: :math:`z` for z > 0, :math:`\alpha z` otherwise."""
    z = _float(z)
    return np.where(z > 0, z, _slope(alpha) * z)


def leaky_relu_prime(z: npt.ArrayLike, alpha: float = 0.01) -> np.ndarray:
    r"""Derivative of leaky ReLU: 1 for z > 0, :math:`\alpha` otherwise."""
    return np.where(_float(z) > 0, 1.0, _slope(alpha))


def elu(z: npt.ArrayLike, alpha: float = 1.0) -> np.ndarray:
    r"""Exponential linear unit: :math:`z` for z > 0, :math:`\alpha (e^{z} - 1)` otherwise.

    ``expm1`` is evaluated at ``min(z, 0)`` so a large positive z never overflows.
    """
    z = _float(z)
    return np.where(z > 0, z, _check.finite_float(alpha, "alpha") * np.expm1(np.minimum(z, 0.0)))


def elu_prime(z: npt.ArrayLike, alpha: float = 1.0) -> np.ndarray:
    r"""Derivative of ELU: 1 for z > 0, :math:`\alpha e^{z}` otherwise."""
    z = _float(z)
    return np.where(z > 0, 1.0, _check.finite_float(alpha, "alpha") * np.exp(np.minimum(z, 0.0)))


def linear(z: npt.ArrayLike) -> np.ndarray:
    """The identity, f(z) = z (a "linear" layer has no activation)."""
    return _float(z).copy()


def linear_prime(z: npt.ArrayLike) -> np.ndarray:
    """Derivative of the identity: 1 everywhere."""
    return np.ones_like(_float(z))


# --- registry ------------------------------------------------------------------

@dataclass(frozen=True)
class Activation:
    """An activation function with everything backprop needs.

    ``prime(z)`` is f'(z) from the pre-activation. ``prime_from(a)`` is the
    same value computed from the output a = f(z) alone (sigma' = a(1 - a),
    tanh' = 1 - a^2, ReLU' = [a > 0]), as autograd frameworks do: a forward pass
    then needs to keep only f(z) for the backward pass.
    ``peak_prime`` is the largest value of f', ``saturates`` says whether f'
    tends to 0 on both sides (sigmoid, tanh).
    """

    name: str
    f: Callable[[npt.ArrayLike], np.ndarray]
    prime: Callable[[npt.ArrayLike], np.ndarray]
    prime_from: Callable[[np.ndarray], np.ndarray]
    log10_prime: Callable[[npt.ArrayLike], np.ndarray]
    peak_prime: float
    saturates: bool
    formula: str

    def __call__(self, z: npt.ArrayLike) -> np.ndarray:
        return self.f(z)

    def __repr__(self) -> str:
        return f"Activation({self.name!r}: {self.formula})"


def _log10_abs(prime: Callable[[npt.ArrayLike], np.ndarray]
               ) -> Callable[[npt.ArrayLike], np.ndarray]:
    def log10_prime(z: npt.ArrayLike) -> np.ndarray:
        with np.errstate(divide="ignore"):       # log10(0) = -inf is the honest answer
            return np.log10(np.abs(prime(z)))
    return log10_prime


def _sigmoid_prime_from(a: np.ndarray) -> np.ndarray:
    """sigma' = a (1 - a) from a = sigma(z), in one new array."""
    out = 1.0 - a
    out *= a
    return out


def _tanh_prime_from(a: np.ndarray) -> np.ndarray:
    """tanh' = 1 - a^2 from a = tanh(z), in one new array."""
    out = np.multiply(a, a, out=np.empty(np.shape(a)))
    return np.subtract(1.0, out, out=out)[()]      # [()]: a number in, a number out


_REGISTRY = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, _sigmoid_prime_from,
                          log10_sigmoid_prime, 0.25, True, "1 / (1 + exp(-z))"),
    "tanh": Activation("tanh", tanh, tanh_prime, _tanh_prime_from,
                       log10_tanh_prime, 1.0, True, "tanh(z)"),
    "relu": Activation("relu", relu, relu_prime, lambda a: (a > 0).astype(np.float64),
                       _log10_abs(relu_prime), 1.0, False, "max(0, z)"),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_prime,
                             lambda a: np.where(a > 0, 1.0, 0.01),
                             _log10_abs(leaky_relu_prime), 1.0, False, "max(0.01 z, z)"),
    "elu": Activation("elu", elu, elu_prime, lambda a: np.where(a > 0, 1.0, a + 1.0),
                      _log10_abs(elu_prime), 1.0, False, "z if z > 0 else exp(z) - 1"),
    "linear": Activation("linear", linear, linear_prime, lambda a: np.ones_like(a),
                         _log10_abs(linear_prime), 1.0, False, "z"),
}


def names() -> list[str]:
    """The names that :func:`get` accepts."""
    return sorted(_REGISTRY)


def get(name: str | Activation, parameter: str = "activation") -> Activation:
    """Look up an activation by name (or pass an :class:`Activation` through).

    >>> float(get("relu").prime(2.0))
    1.0
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{parameter} must be a name (str), one of {names()}; "
                        f"got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"{parameter} must be one of {names()}; got {name!r}") from None
