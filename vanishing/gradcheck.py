r"""Finite differences: the independent check of every hand-written backward pass.

The central difference

.. math:: \frac{\partial f}{\partial\theta_i} \approx
          \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h}

has error :math:`O(h^2)`; with float64 and h around 1e-6 it agrees with an
exact gradient to about 1e-9 relative error.

>>> import numpy as np

from . import _check
>>> theta = np.array([1.0, 2.0])
>>> numerical_gradient(lambda: float(np.sum(theta ** 2)), theta).round(6).tolist()
[2.0, 4.0]
"""

from __future__ import annotations

import numpy as np

from . import _check

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to the array ``theta``.

    ``theta`` is perturbed in place (and restored), so ``f`` must read it:
    pass a network's own weight array and a closure that runs the network.
    A view works too (``net.weights[0].T``, ``A[:, ::2]``): each entry is nudged
    through the view itself, so the nudge reaches the array that ``f`` reads.
    """
    if not isinstance(theta, np.ndarray) or theta.dtype != np.float64:
        raise TypeError("theta must be a float64 NumPy array that f reads (it is perturbed in place)")
    if not theta.flags.writeable:
        raise ValueError("theta must be writable: it is perturbed in place (pass the array f reads)")
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning a number, "
                        f"got {type(f).__name__}")
    h = _check.finite_float(h, "h")
    if not 1e-12 <= h <= 1.0:
        raise ValueError(f"h must be a small step in [1e-12, 1], got {h}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta must contain only finite numbers (no inf or NaN)")
    grad = np.empty(theta.shape)
    for i in np.ndindex(theta.shape):            # index the view itself: no copy, any strides
        old = theta[i]
        theta[i] = old + h
        plus = _value(f)
        theta[i] = old - h
        minus = _value(f)
        theta[i] = old
        grad[i] = (plus - minus) / (2.0 * h)
    return grad


def _value(f) -> float:
    """f() as a finite float, or a clear error."""
    value = f()
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return _check.finite_float(value, "f()")


def relative_error(a, b, floor: float = 1e-300) -> float:
    r"""Scale-free distance of two gradients, 0 when they are equal.

    .. math:: \frac{\lVert a - b\rVert_2}{\lVert a\rVert_2 + \lVert b\rVert_2}

    Norm-wise rather than entry by entry, so an entry that should be 0 and
    comes out as 1e-11 from rounding does not read as a 100% error.
    """
    a = _check.finite_array(a, "a")
    b = _check.finite_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    if 0.0 < scale < np.inf:          # the norm squares its entries: 1e-200 would underflow to 0
        a, b = a / scale, b / scale
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))
