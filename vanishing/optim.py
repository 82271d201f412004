r"""Gradient descent and gradient clipping.

Gradients and parameters are lists of arrays in the same order (for an
:class:`~vanishing.mlp.MLP`: ``net.parameters()`` and ``grads.as_list()``).

Clipping by global norm rescales every gradient by the same factor, so the
direction is kept:

.. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g\rVert_2}\right),
          \qquad \lVert g\rVert_2 = \sqrt{\textstyle\sum_k \lVert g_k\rVert_2^2}

Clipping by value clamps each entry to [-c, c], which can change the direction.

>>> import numpy as np
>>> clipped, norm = clip_by_global_norm([np.array([3.0, 4.0])], max_norm=1.0)
>>> float(norm), clipped[0].tolist()
(5.0, [0.6000000000000001, 0.8])
"""

from __future__ import annotations

import numpy as np

from . import _check

__all__ = ["global_norm", "clip_by_global_norm", "clip_by_value", "SGD"]


def global_norm(grads) -> float:
    """The L2 norm of all gradients together, as if concatenated into one vector."""
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))


def clip_by_global_norm(grads, max_norm: float):
    """Rescale all gradients so that their global norm is at most ``max_norm``.

    Returns (clipped gradients, the global norm before clipping).
    """
    max_norm = _check.finite_float(max_norm, "max_norm")
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    norm = global_norm(grads)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in grads], norm


def clip_by_value(grads, clip_value: float):
    """Clamp every gradient entry to [-clip_value, clip_value]."""
    clip_value = _check.finite_float(clip_value, "clip_value")
    if clip_value <= 0:
        raise ValueError(f"clip_value must be > 0, got {clip_value}")
    return [np.clip(g, -clip_value, clip_value) for g in grads]


class SGD:
    r"""Stochastic gradient descent, optionally with momentum.

    .. math:: v \leftarrow \mu v + g,\qquad \theta \leftarrow \theta - \eta\, v

    Parameters are updated in place, so a network holding them sees the change.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0):
        self.params = list(params)
        self.lr = _check.finite_float(lr, "lr")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        self.momentum = _check.finite_float(momentum, "momentum")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        self.velocity = [np.zeros_like(p) for p in self.params]

    def step(self, grads) -> None:
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"grads must hold {len(self.params)} arrays (one per parameter), "
                             f"got {len(grads)}")
        for p, v, g in zip(self.params, self.velocity, grads):
            v *= self.momentum
            v += g
            p -= self.lr * v
