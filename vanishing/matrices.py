r"""The recurrent weight matrix: how to draw it, and the two numbers that rule its powers.

A recurrent network multiplies by the same matrix :math:`W_{hh}` at every step, so its
gradients through k steps carry :math:`W_{hh}^k` (times the activations' slopes). Two
numbers of the matrix decide what happens:

- the spectral radius :math:`\rho(W) = \max_j |\lambda_j|`, the long-run growth rate
  (:math:`\lVert W^k\rVert^{1/k} \to \rho`);
- the largest singular value :math:`\sigma_{\max}(W) = \lVert W\rVert_2`, the most one
  step can stretch a vector (:math:`\sigma_{\max} \ge \rho`).

:func:`recurrent_matrix` draws a matrix whose spectrum is set: scaled orthogonal (every
singular value equal), a given spectral radius, or Gaussian.

>>> import numpy as np
>>> W = recurrent_matrix(4, "orthogonal", 0.5, np.random.default_rng(0))
>>> round(largest_singular_value(W), 12), round(spectral_radius(W), 12)
(0.5, 0.5)
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from . import _check

__all__ = ["orthogonal", "spectral_radius", "largest_singular_value", "recurrent_matrix",
           "RECURRENT_INITS"]

RECURRENT_INITS = ("orthogonal", "spectral_radius", "normal")

def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    r"""A random orthogonal ``(n, n)`` matrix Q (:math:`Q^\top Q = I`: every singular value is 1).

    QR of a Gaussian matrix, with the signs of R's diagonal moved into Q so that Q
    is uniformly distributed (Mezzadri 2007).
    """
    n = _check.positive_int(n, "n")
    _check.budget(f"orthogonal(n={n})", nbytes=4 * 8 * n * n, work=10 * n ** 3)
    A = _check.generator(rng, "rng").standard_normal((n, n))
    Q, R = np.linalg.qr(A)
    return Q * np.sign(np.diag(R))


def spectral_radius(W: npt.ArrayLike) -> float:
    r""":math:`\rho(W) = \max_j |\lambda_j(W)|`, the largest eigenvalue modulus.

    It rules the long run: :math:`\lVert W^k\rVert^{1/k} \to \rho(W)` as k grows.
    """
    W = _check.finite_array(W, "W", ndim=2)
    if W.shape[0] != W.shape[1] or W.size == 0:
        raise ValueError(f"W must be a non-empty square matrix, got shape {W.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def largest_singular_value(W: npt.ArrayLike) -> float:
    r""":math:`\sigma_{\max}(W) = \lVert W\rVert_2`, the most a single step can stretch a vector.

    Always :math:`\sigma_{\max} \ge \rho`; equal for normal matrices (symmetric ones, or a
    multiple of an orthogonal one), often far apart for others.
    """
    W = _check.nonempty(_check.finite_array(W, "W", ndim=2), "W")
    return float(np.linalg.norm(W, 2))


def recurrent_matrix(n: int, init: str = "orthogonal", scale: float = 1.0,
                     rng: np.random.Generator | None = None) -> np.ndarray:
    r"""An ``(n, n)`` recurrent matrix whose spectrum is set by ``init`` and ``scale``.

    ======================  ================================================  =====================
    init                    matrix                                            spectrum
    ======================  ================================================  =====================
    ``"orthogonal"``        ``scale * Q``, Q random orthogonal                every singular value
                                                                              and ``rho`` = scale
    ``"spectral_radius"``   Gaussian matrix rescaled to ``rho = scale``       ``sigma_max > rho``
    ``"normal"``            entries ~ N(0, scale^2 / n)                       ``rho`` about scale
                                                                              (circular law)
    ======================  ================================================  =====================

    ``scale < 1`` puts a vanilla RNN in the vanishing regime, ``scale > 1`` lets
    its gradients grow with the lag (as long as tanh does not saturate).
    ``rng=None`` draws from ``np.random.default_rng(0)`` (the same matrix every time).

    >>> W = recurrent_matrix(4, "orthogonal", 0.5, np.random.default_rng(0))
    >>> round(largest_singular_value(W), 12), round(spectral_radius(W), 12)
    (0.5, 0.5)
    """
    n = _check.positive_int(n, "n")
    _check.choice(init, "init", RECURRENT_INITS)
    scale = _check.finite_float(scale, "scale")
    if scale < 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    _check.budget(f"recurrent_matrix(n={n})", nbytes=4 * 8 * n * n, work=10 * n ** 3)
    rng = np.random.default_rng(0) if rng is None else _check.generator(rng, "rng")
    if init == "orthogonal":
        return scale * orthogonal(n, rng)
    A = rng.standard_normal((n, n))
    if init == "normal":
        return (scale / math.sqrt(n)) * A
    return scale * A / spectral_radius(A)                      # "spectral_radius"
