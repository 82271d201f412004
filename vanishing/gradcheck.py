r"""Finite differences: the independent check of every hand-written backward pass.

The central difference

.. math:: \frac{\partial f}{\partial\theta_i} \approx
          \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h}

has error :math:`O(h^2)`; with float64 and h around 1e-6 it agrees with an
exact gradient to about 1e-9 relative error.

>>> import numpy as np
>>> theta = np.array([1.0, 2.0])
>>> numerical_gradient(lambda: float(np.sum(theta ** 2)), theta).round(6).tolist()
[2.0, 4.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to the array ``theta``.

    ``theta`` is perturbed in place (and restored), so ``f`` must read it:
    pass a network's own weight array and a closure that runs the network.
    """
    if not isinstance(theta, np.ndarray) or theta.dtype != np.float64:
        raise TypeError("theta must be a float64 NumPy array that f reads (it is perturbed in place)")
    grad = np.empty_like(theta)
    flat, gflat = theta.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2.0 * h)
    return grad


def relative_error(a, b, floor: float = 1e-300) -> float:
    r"""Scale-free distance of two gradients, 0 when they are equal.

    .. math:: \frac{\lVert a - b\rVert_2}{\lVert a\rVert_2 + \lVert b\rVert_2}

    Norm-wise rather than entry by entry, so an entry that should be 0 and
    comes out as 1e-11 from rounding does not read as a 100% error.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    if 0.0 < scale < np.inf:          # the norm squares its entries: 1e-200 would underflow to 0
        a, b = a / scale, b / scale
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))
