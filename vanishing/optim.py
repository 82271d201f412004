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


def _matching(params, grads) -> list:
    """``grads`` as a list, checked to hold one array of the right shape per parameter."""
    grads = list(grads)
    if len(grads) != len(params):
        raise ValueError(f"grads must hold {len(params)} arrays (one per parameter), got {len(grads)}")
    for k, (p, g) in enumerate(zip(params, grads)):
        if np.shape(g) != p.shape:                 # NumPy would broadcast it silently
            raise ValueError(f"grads[{k}] must have the shape of params[{k}], {p.shape}, "
                             f"got {np.shape(g)}")
    return grads


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
        grads = _matching(self.params, grads)
        for p, v, g in zip(self.params, self.velocity, grads):
            v *= self.momentum
            v += g
            p -= self.lr * v


# --- appended: Adam and the angle between two gradients ----------------------------------

__all__ += ["Adam", "gradient_angle"]


class Adam:
    r"""Adam (Kingma and Ba 2015): per-entry step sizes from running moments of the gradient.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2,

        \hat m = \frac{m}{1-\beta_1^k},\quad \hat v = \frac{v}{1-\beta_2^k},\qquad
        \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}

    at step k = 1, 2, ... Each entry moves by at most about :math:`\eta` per step whatever
    the gradient's scale, which is why Adam copes with the small gradients of long
    sequences better than plain SGD. Parameters are updated in place.

    >>> import numpy as np
    >>> theta = np.array([1.0, -2.0])
    >>> opt = Adam([theta], lr=0.1)
    >>> opt.step([np.array([0.5, -40.0])])          # the first step is lr * sign(g)
    >>> theta.round(6).tolist()
    [0.9, -1.9]
    """

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.params = list(params)
        self.lr = _check.finite_float(lr, "lr")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        self.beta1 = _check.finite_float(beta1, "beta1")
        self.beta2 = _check.finite_float(beta2, "beta2")
        for name, b in (("beta1", self.beta1), ("beta2", self.beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {b}")
        self.eps = _check.finite_float(eps, "eps")
        if self.eps <= 0:
            raise ValueError(f"eps must be > 0, got {self.eps}")
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.k = 0

    def step(self, grads) -> None:
        grads = _matching(self.params, grads)
        self.k += 1
        c1, c2 = 1.0 - self.beta1 ** self.k, 1.0 - self.beta2 ** self.k
        for p, m, v, g in zip(self.params, self.m, self.v, grads):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def gradient_angle(grads_a, grads_b) -> float:
    r"""The angle in degrees between two gradients (lists of arrays, as if concatenated).

    .. math:: \theta = 2\,\mathrm{atan2}\big(\lVert \hat a - \hat b\rVert,\ \lVert \hat a + \hat b\rVert\big),
              \qquad \hat a = a / \lVert a\rVert

    equals :math:`\arccos(\hat a \cdot \hat b)` but stays accurate near 0 degrees, where
    arccos of a number rounded to 1 loses half the digits. Clipping by global norm gives
    0; clipping by value generally does not.

    >>> import numpy as np
    >>> round(gradient_angle([np.array([1.0, 0.0])], [np.array([1.0, 1.0])]), 6)
    45.0
    """
    a = np.concatenate([np.ravel(np.asarray(g, dtype=np.float64)) for g in grads_a])
    b = np.concatenate([np.ravel(np.asarray(g, dtype=np.float64)) for g in grads_b])
    if a.shape != b.shape:
        raise ValueError(f"the two gradients must have the same number of entries, "
                         f"got {a.size} and {b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if not (np.isfinite(na) and np.isfinite(nb)) or na == 0 or nb == 0:
        raise ValueError("the angle needs two finite, nonzero gradients")
    ua, ub = a / na, b / nb
    return float(np.degrees(2.0 * np.arctan2(np.linalg.norm(ua - ub), np.linalg.norm(ua + ub))))
