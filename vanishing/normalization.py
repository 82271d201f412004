r"""Layer normalisation, the per-example cousin of batch norm, with its backward pass.

Batch norm (in :mod:`vanishing.mlp`, with :func:`standardise` and
:func:`standardise_backward` from here) normalises each *unit* over the batch
(columns of ``Z``); layer norm normalises each *example* over its features
(rows of ``X``), so it needs no batch statistics, behaves the same in training
and evaluation, and works on a batch of one:

.. math::
    \mu_i = \frac{1}{n}\sum_j X_{ij},\qquad
    \sigma_i^2 = \frac{1}{n}\sum_j (X_{ij} - \mu_i)^2,\qquad
    \hat X_{ij} = \frac{X_{ij} - \mu_i}{\sqrt{\sigma_i^2 + \varepsilon}},\qquad
    Y_{ij} = \gamma_j \hat X_{ij} + \beta_j .

>>> import numpy as np
>>> Y = layer_norm(np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]))
>>> np.round(Y, 4).tolist()
[[-1.2247, 0.0, 1.2247], [-1.2247, 0.0, 1.2247]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from . import _check

__all__ = ["EPS", "layer_norm", "layer_norm_backward", "LayerNormGradients"]

EPS = 1e-5          # variance floor, as in batch norm (PyTorch's default)


class LayerNormGradients(NamedTuple):
    """dOut/dX (shape of X), dOut/dgamma and dOut/dbeta (shape (n_features,))."""

    input: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray


def _inputs(X: npt.ArrayLike, gamma: npt.ArrayLike | None, beta: npt.ArrayLike | None,
            eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    X = _check.finite_array(X, "X", ndim=2)
    n = X.shape[1]
    if n < 1 or X.shape[0] < 1:
        raise ValueError(f"X must have at least one row and one feature, got shape {X.shape}")
    gamma = np.ones(n) if gamma is None else _check.finite_array(gamma, "gamma", ndim=1)
    beta = np.zeros(n) if beta is None else _check.finite_array(beta, "beta", ndim=1)
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},) (one value per feature), got {v.shape}")
    eps = _check.finite_float(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    return X, gamma, beta, eps


def sums(X: np.ndarray, axis: int) -> np.ndarray:
    r"""The sums of a matrix along ``axis``, as a 1-D array: :math:`\mathbf 1^\top X` (axis 0,
    one per column) or :math:`X\mathbf 1` (axis 1, one per row).

    A matrix-vector product with a vector of ones: one BLAS pass over memory, several times
    faster than ``X.sum(axis=0)`` on a tall, narrow batch (the same sums, up to rounding).

    >>> sums(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0).tolist()
    [4.0, 6.0]
    """
    X = np.ascontiguousarray(X)                     # one memory order, one order of summation
    return np.ones(X.shape[0]) @ X if axis == 0 else X @ np.ones(X.shape[1])


def sums_of_products(A: np.ndarray, B: np.ndarray, axis: int) -> np.ndarray:
    r""":math:`\sum_i A_{ij} B_{ij}` along ``axis`` (0: per column, 1: per row), without
    forming the product array.

    >>> sums_of_products(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]), axis=1).tolist()
    [11.0]
    """
    return np.einsum("ij,ij->j" if axis == 0 else "ij,ij->i", np.ascontiguousarray(A),
                     np.ascontiguousarray(B))


def standardise(X: np.ndarray, axis: int,
                eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""(X - mu) / sqrt(var + eps) along ``axis``; returns (X_hat, mu, var, 1/sqrt(var + eps)).

    .. math:: \mu = \tfrac1n \textstyle\sum X,\qquad \sigma^2 = \tfrac1n \sum (X - \mu)^2,
              \qquad \hat X = (X - \mu)/\sqrt{\sigma^2 + \varepsilon}

    ``mu``, ``var`` and the inverse standard deviation keep X's dimensions (shape (1, n)
    along axis 0). Where the square of :math:`X - \mu` overflows (entries beyond about
    1e154), X is scaled before squaring, as ``np.linalg.norm`` does: divided by its largest
    entry s along the axis, and eps by :math:`s^2`, so ``[1e200, -1e200]`` standardises to
    [1, -1]. ``mu`` and ``var`` come back in X's units (``var`` is inf if it does not fit in
    float64). Batch norm uses it over the batch (axis 0), layer norm over the features (axis 1).
    """
    n = X.shape[axis]
    with np.errstate(over="ignore", invalid="ignore"):     # checked just below
        mu = np.expand_dims(sums(X, axis) / n, axis)
        Xc = X - mu
        var = np.expand_dims(sums_of_products(Xc, Xc, axis) / n, axis)
    if np.isfinite(var).all():                      # ordinary values: the textbook formula
        inv_std = 1.0 / np.sqrt(var + eps)
        return np.multiply(Xc, inv_std, out=Xc), mu, var, inv_std
    return _standardise_scaled(X, axis, eps)


def _standardise_scaled(X: np.ndarray, axis: int,
                        eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`standardise` for entries whose squares overflow: scaled by the largest first."""
    s = np.max(np.abs(X), axis=axis, keepdims=True)
    s = np.where(s > 1e150, s, 1.0)
    Xs = X / s
    mu = Xs.mean(axis=axis, keepdims=True)
    var = Xs.var(axis=axis, keepdims=True)
    t = np.hypot(np.sqrt(var), np.sqrt(eps) / s)   # sqrt(var + eps / s^2) without underflow
    with np.errstate(over="ignore"):               # var beyond float64 is inf: the honest value
        var_X = var * s * s
    return (Xs - mu) / t, mu * s, var_X, 1.0 / (s * t)


def standardise_backward(g: np.ndarray, Xhat: np.ndarray, inv_std: np.ndarray,
                         axis: int) -> np.ndarray:
    r"""dOut/dX through :func:`standardise`, given :math:`g = \partial\,\mathrm{Out}/\partial\hat X`.

    .. math:: \frac{\partial\,\mathrm{Out}}{\partial X} = \frac{1}{\sqrt{\sigma^2+\varepsilon}}
              \Big(g - \bar g - \hat X\,\overline{g\hat X}\Big)

    where the bars are means along ``axis`` (mu and sigma depend on X). Four passes over
    the array and one new array; the means are matrix-vector products (:func:`sums`).
    """
    n = g.shape[axis]
    mean_g = np.expand_dims(sums(g, axis) / n, axis)
    mean_g_xhat = np.expand_dims(sums_of_products(g, Xhat, axis) / n, axis)
    out = np.multiply(Xhat, mean_g_xhat)
    np.subtract(g, out, out=out)
    out -= mean_g
    out *= inv_std
    return out


def _normalise(X: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """X_hat and 1/sqrt(var + eps), statistics taken over each row."""
    Xhat, _, _, inv_std = standardise(X, axis=1, eps=eps)
    return Xhat, inv_std


def layer_norm(X: npt.ArrayLike, gamma: npt.ArrayLike | None = None,
               beta: npt.ArrayLike | None = None, eps: float = EPS) -> np.ndarray:
    r"""Y = gamma * (X - mu_row) / sqrt(var_row + eps) + beta for X of shape (batch, n).

    ``gamma`` defaults to ones and ``beta`` to zeros, shape (n,). Each row is
    normalised on its own: the result for one example never depends on the others.
    """
    X, gamma, beta, eps = _inputs(X, gamma, beta, eps)
    Xhat, _ = _normalise(X, eps)
    return gamma * Xhat + beta


def layer_norm_backward(grad_output: npt.ArrayLike, X: npt.ArrayLike,
                        gamma: npt.ArrayLike | None = None,
                        eps: float = EPS) -> LayerNormGradients:
    r"""Gradients of Out through :func:`layer_norm`, given G = dOut/dY (shape of X).

    With :math:`g = G\odot\gamma` (the gradient reaching :math:`\hat X`) and the
    bars meaning means over the features of each row,

    .. math::
        \frac{\partial\,\mathrm{Out}}{\partial X} = \frac{1}{\sqrt{\sigma_i^2+\varepsilon}}
        \Big(g - \bar g - \hat X\,\overline{g\hat X}\Big),\qquad
        \frac{\partial\,\mathrm{Out}}{\partial\gamma} = \sum_i G_i \odot \hat X_i,\qquad
        \frac{\partial\,\mathrm{Out}}{\partial\beta} = \sum_i G_i .

    It is batch norm's backward formula with rows and columns swapped.
    """
    X, gamma, _, eps = _inputs(X, gamma, None, eps)
    G = _check.finite_array(grad_output, "grad_output", ndim=2)
    if G.shape != X.shape:
        raise ValueError(f"grad_output must have the shape of X {X.shape}, got {G.shape}")
    Xhat, inv_std = _normalise(X, eps)
    dX = standardise_backward(G * gamma, Xhat, inv_std, axis=1)
    return LayerNormGradients(input=dX, gamma=sums_of_products(G, Xhat, axis=0),
                              beta=sums(G, axis=0))
