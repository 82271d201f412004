r"""Losses for a batch, each returning the value and its gradient with respect to the prediction.

Shapes: ``prediction`` and ``target`` are ``(batch, n_out)``; the loss is a mean,
so the gradient carries a ``1 / size`` factor.

>>> import numpy as np
>>> value, grad = mse(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
>>> float(value), grad.tolist()
(2.5, [[1.0, 2.0]])
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import numpy.typing as npt

from . import _check
from .activations import sigmoid

__all__ = ["mse", "bce_with_logits", "get", "names"]

#: a loss: (prediction, target) -> (value, dLoss/dprediction)
Loss = Callable[[npt.ArrayLike, npt.ArrayLike], tuple[float, np.ndarray]]


def _pair(prediction: npt.ArrayLike, target: npt.ArrayLike,
          name: str = "prediction") -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 arrays of the same, non-empty shape with finite entries.

    (The training loops stop at a non-finite prediction before they call a loss.)
    """
    p = _check.nonempty(_check.finite_array(prediction, name), name)
    t = _check.finite_array(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"target must have the {name}'s shape {p.shape}, got {t.shape}")
    return p, t


def mse(prediction: npt.ArrayLike, target: npt.ArrayLike) -> tuple[float, np.ndarray]:
    r"""Mean squared error over every entry.

    .. math:: L = \frac{1}{N}\sum_i (p_i - t_i)^2, \qquad \frac{\partial L}{\partial p_i} = \frac{2}{N}(p_i - t_i)
    """
    p, t = _pair(prediction, target)
    with np.errstate(over="ignore"):             # beyond float64 the loss is inf, honestly
        diff = p - t
        return float(np.mean(diff * diff)), 2.0 * diff / diff.size


def bce_with_logits(logits: npt.ArrayLike, target: npt.ArrayLike) -> tuple[float, np.ndarray]:
    r"""Binary cross-entropy of ``sigmoid(logits)`` against labels in [0, 1], averaged.

    .. math::
        L = \frac{1}{N}\sum_i \max(z_i, 0) - t_i z_i + \ln(1 + e^{-|z_i|}),\qquad
        \frac{\partial L}{\partial z_i} = \frac{\sigma(z_i) - t_i}{N}

    Written on the logits, it never takes the log of 0, whatever z is.
    """
    z, t = _pair(logits, target, "logits")
    if not np.all((t >= 0) & (t <= 1)):
        raise ValueError("target must hold labels in [0, 1] for binary cross-entropy")
    with np.errstate(over="ignore"):             # a mean of terms near 1e308 can overflow: inf
        value = np.mean(np.maximum(z, 0.0) - t * z + np.log1p(np.exp(-np.abs(z))))
    return float(value), (sigmoid(z) - t) / z.size


_LOSSES = {"mse": mse, "bce_with_logits": bce_with_logits}


def names() -> list[str]:
    return sorted(_LOSSES)


def get(name: str | Loss) -> Loss:
    """A loss by name (or a callable passed through)."""
    if callable(name):
        return name
    if not isinstance(name, str) or name not in _LOSSES:
        raise ValueError(f"loss must be one of {names()}; got {name!r}")
    return _LOSSES[name]
