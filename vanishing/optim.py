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

from typing import Iterable

import numpy as np
import numpy.typing as npt

from . import _check

__all__ = ["global_norm", "clip_by_global_norm", "clip_by_value", "SGD", "Adam", "gradient_angle"]


def global_norm(grads: Iterable[npt.ArrayLike]) -> float:
    """The L2 norm of all gradients together, as if concatenated into one vector.

    Integer or float32 gradients are taken as float64. When the plain sum of squares
    would overflow (entries above about 1e154) or underflow (below about 1e-154), every
    entry is first divided by the largest one, as ``np.linalg.norm`` and ``math.hypot``
    do, so ``[1e200, 1e200]`` gives 1.414e200, not inf. inf or NaN entries give inf or nan.
    """
    arrays = _arrays(grads, "grads")
    with np.errstate(over="ignore"):             # the scaled sum below handles an overflow
        total = sum(float(np.sum(g * g)) for g in arrays)
    if 1e-280 < total < np.inf:                  # the plain formula has lost nothing
        return float(np.sqrt(total))
    if any(np.isnan(g).any() for g in arrays):
        return float("nan")
    scale = max((float(np.max(np.abs(g))) for g in arrays if g.size), default=0.0)
    if scale == 0.0 or scale == np.inf:
        return scale
    return scale * float(np.sqrt(sum(float(np.sum((g / scale) ** 2)) for g in arrays)))


def _arrays(grads: Iterable[npt.ArrayLike], name: str) -> list[np.ndarray]:
    """A list of gradients as float64 arrays (one per parameter)."""
    if isinstance(grads, np.ndarray) or not hasattr(grads, "__iter__"):
        raise TypeError(f"{name} must be a list of arrays (one per parameter), "
                        f"got {type(grads).__name__}")
    return [_check.float_array(g, f"{name}[{k}]") for k, g in enumerate(grads)]


def clip_by_global_norm(grads: Iterable[npt.ArrayLike],
                        max_norm: float) -> tuple[list[np.ndarray], float]:
    """Rescale all gradients so that their global norm is at most ``max_norm``.

    Returns (clipped gradients, the global norm before clipping). A gradient with
    an inf or NaN entry has no direction to keep: it is refused with a ValueError.
    """
    max_norm = _check.finite_float(max_norm, "max_norm")
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    grads = _arrays(grads, "grads")
    norm = global_norm(grads)
    if not np.isfinite(norm):
        raise ValueError(f"grads must be finite to be clipped, their global norm is {norm} "
                         "(an inf or NaN entry: the gradient overflowed before clipping)")
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    if 0.0 < scale < 1e-300:                     # the factor itself would lose digits
        return [(g / norm) * max_norm for g in grads], norm
    return [g * scale for g in grads], norm
def clip_by_value(grads: Iterable[npt.ArrayLike], clip_value: float) -> list[np.ndarray]:
    """Clamp every gradient entry to [-clip_value, clip_value]."""
    clip_value = _check.finite_float(clip_value, "clip_value")
    if clip_value <= 0:
        raise ValueError(f"clip_value must be > 0, got {clip_value}")
    return [np.clip(g, -clip_value, clip_value) for g in _arrays(grads, "grads")]


def _parameters(params: Iterable[np.ndarray]) -> list[np.ndarray]:
    """``params`` as a list, checked to hold float64 arrays that can be updated in place."""
    if isinstance(params, np.ndarray) or not hasattr(params, "__iter__"):
        raise TypeError(f"params must be a list of float64 NumPy arrays, got {type(params).__name__}")
    params = list(params)
    for k, p in enumerate(params):
        if not (isinstance(p, np.ndarray) and p.dtype == np.float64 and p.flags.writeable):
            raise TypeError(f"params[{k}] must be a writable float64 NumPy array (it is updated "
                            f"in place), got {type(p).__name__}"
                            f"{' of dtype ' + str(p.dtype) if isinstance(p, np.ndarray) else ''}")
    return params


def _matching(params: list[np.ndarray], grads: Iterable[npt.ArrayLike]) -> list[np.ndarray]:
    """``grads`` as float64 arrays, checked to hold one array of the right shape per parameter."""
    grads = _arrays(grads, "grads")
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

    def __init__(self, params: Iterable[np.ndarray], lr: float, momentum: float = 0.0) -> None:
        self.params = _parameters(params)
        self.lr = _check.finite_float(lr, "lr")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        self.momentum = _check.finite_float(momentum, "momentum")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        self.velocity = [np.zeros_like(p) for p in self.params]

    def step(self, grads: Iterable[npt.ArrayLike]) -> None:
        grads = _matching(self.params, grads)
        for p, v, g in zip(self.params, self.velocity, grads):
            v *= self.momentum
            v += g
            p -= self.lr * v


# --- Adam, and the angle between two gradients -----------------------------------------


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

    def __init__(self, params: Iterable[np.ndarray], lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.params = _parameters(params)
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
        self.rms = [np.zeros_like(p) for p in self.params]      # sqrt(v), see step()
        self.k = 0

    def step(self, grads: Iterable[npt.ArrayLike]) -> None:
        r"""One update. The second moment is kept as its square root :math:`r = \sqrt{v}`:

        .. math:: r \leftarrow \mathrm{hypot}\big(\sqrt{\beta_2}\, r,\ \sqrt{1-\beta_2}\, g\big)
                  = \sqrt{\beta_2 v + (1-\beta_2) g^2}

        so a gradient of 1e300 (whose square overflows float64) still gives a step of about lr.
        """
        grads = _matching(self.params, grads)
        self.k += 1
        c1, c2 = 1.0 - self.beta1 ** self.k, 1.0 - self.beta2 ** self.k
        for p, m, r, g in zip(self.params, self.m, self.rms, grads):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            np.hypot(np.sqrt(self.beta2) * r, np.sqrt(1.0 - self.beta2) * g, out=r)
            p -= self.lr * (m / c1) / (r / np.sqrt(c2) + self.eps)


def gradient_angle(grads_a: Iterable[npt.ArrayLike], grads_b: Iterable[npt.ArrayLike]) -> float:
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
    a = np.concatenate([np.ravel(g) for g in _arrays(grads_a, "grads_a")] or [np.empty(0)])
    b = np.concatenate([np.ravel(g) for g in _arrays(grads_b, "grads_b")] or [np.empty(0)])
    if a.shape != b.shape:
        raise ValueError(f"grads_a and grads_b must have the same number of entries, "
                         f"got {a.size} and {b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if not (np.isfinite(na) and np.isfinite(nb)) or na == 0 or nb == 0:
        raise ValueError("the angle needs two finite, nonzero gradients")
    ua, ub = a / na, b / nb
    return float(np.degrees(2.0 * np.arctan2(np.linalg.norm(ua - ub), np.linalg.norm(ua + ub))))
