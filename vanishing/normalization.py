r"""Layer normalisation, the per-example cousin of batch norm, with its backward pass.

Batch norm (in :mod:`vanishing.mlp`) normalises each *unit* over the batch
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


def standardise(X: np.ndarray, axis: int,
                eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""(X - mu) / sqrt(var + eps) along ``axis``; returns (X_hat, mu, var, 1/sqrt(var + eps)).

    Scaled before squaring, as ``np.linalg.norm`` does: where some :math:`|X|` along the
    axis exceeds 1e150 (its square could overflow), X is divided by its largest entry s
    and eps by :math:`s^2` first, so ``[1e200, -1e200]`` standardises to [1, -1].
    ``mu`` and ``var`` come back in X's units (``var`` is inf if it does not fit in float64).
    Batch norm uses it over the batch (axis 0), layer norm over the features (axis 1).
    """
    s = np.max(np.abs(X), axis=axis, keepdims=True)
    if not np.any(s > 1e150):                      # ordinary values: the textbook formula
        mu = X.mean(axis=axis, keepdims=True)
        var = X.var(axis=axis, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + eps)
        return (X - mu) * inv_std, mu, var, inv_std
    s = np.where(s > 1e150, s, 1.0)
    Xs = X / s
    mu = Xs.mean(axis=axis, keepdims=True)
    var = Xs.var(axis=axis, keepdims=True)
    t = np.hypot(np.sqrt(var), np.sqrt(eps) / s)   # sqrt(var + eps / s^2) without underflow
    with np.errstate(over="ignore"):               # var beyond float64 is inf: the honest value
        var_X = var * s * s
    return (Xs - mu) / t, mu * s, var_X, 1.0 / (s * t)


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
    g = G * gamma
    dX = inv_std * (g - g.mean(axis=1, keepdims=True)
                    - Xhat * np.mean(g * Xhat, axis=1, keepdims=True))
    return LayerNormGradients(input=dX, gamma=np.sum(G * Xhat, axis=0), beta=G.sum(axis=0))
