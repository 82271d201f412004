r"""Symmetry between the units of a layer: how many of them are really different.

If two hidden units of a layer start with the same incoming weights and bias, and their outgoing
weights are equal too (a constant initialisation makes every weight equal), they compute the same
:math:`z`, receive the same :math:`\delta` and therefore the same gradient

.. math:: \frac{\partial\,\mathrm{Out}}{\partial W_{l,i\cdot}} = \delta_{l,i}\, a_{l-1}^\top,

so gradient descent moves them identically and they stay copies of each other forever: a layer of
width n behaves like a layer of width 1. :func:`distinct_rows` counts the different rows of a weight
matrix (one row per unit), and :func:`jitter` adds the tiny random perturbation that breaks the tie.

>>> import numpy as np
>>> distinct_rows(np.array([[0.5, 1.0], [0.5, 1.0], [0.5, 1.0 + 1e-15]]))   # rounding, not a new unit
1
>>> distinct_rows(np.array([[0.5, 1.0], [0.5, 1.0 + 1e-6]]))
2
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _check
from . import init as init_

__all__ = ["distinct_rows", "jitter", "ROW_TOLERANCE"]

#: Rows closer than this (relative to the largest |entry| of the matrix) are the same unit.
#: Units that start identical can only drift apart by rounding: about 1e-16 relative per operation,
#: which a few thousand training steps grow to 1e-13 at most; a deliberate perturbation of 1e-6
#: (:func:`jitter`) stays far above it. 1e-9 leaves three orders of magnitude on each side.
ROW_TOLERANCE = 1e-9


def distinct_rows(W: ArrayLike, tol: float = ROW_TOLERANCE) -> int:
    r"""The number of different rows of ``W`` (shape (units, inputs)): units that are not copies.

    Two rows are the same when :math:`\max_j |W_{ij} - W_{kj}| \le \text{tol}\cdot\max|W|`. Rows are
    taken in order, and a row that matches no earlier representative starts a new group.

    >>> distinct_rows(np.ones((4, 3)))
    1
    """
    W = _check.nonempty(_check.finite_array(W, "W", ndim=2), "W")
    tol = _check.finite_float(tol, "tol")
    if not 0.0 <= tol < 1.0:
        raise ValueError(f"tol must be in [0, 1) (relative to the largest |entry|), got {tol}")
    _check.budget(f"distinct_rows of a {W.shape} matrix", work=W.shape[0] ** 2 * W.shape[1])
    scale = tol * float(np.max(np.abs(W)))
    representatives: list[np.ndarray] = []
    with np.errstate(over="ignore"):              # rows 1e308 apart: inf, rightly distinct
        for row in W:
            if not any(np.max(np.abs(row - r)) <= scale for r in representatives):
                representatives.append(row)
    return len(representatives)


def jitter(init: str | init_.Initializer, size: float = 1e-6, seed: int = 0) -> init_.Initializer:
    r"""The initializer ``init`` plus independent noise :math:`\epsilon \sim N(0, \text{size}^2)` per weight.

    ``jitter(vanishing.init.constant(0.1))`` is a constant initialisation whose symmetry is broken
    by perturbations far too small to change anything else.

    >>> W = jitter(init_.constant(0.5), size=1e-6)(fan_in=3, fan_out=2, rng=np.random.default_rng(0))
    >>> bool(np.all(np.abs(W - 0.5) < 1e-5)), distinct_rows(W)
    (True, 2)
    """
    scheme = init_.initializer(init)
    size = _check.finite_float(size, "size")
    if not 0.0 <= size <= 1.0:
        raise ValueError(f"size must be in [0, 1] (the std of a small perturbation), got {size}")
    noise = np.random.default_rng(_check.seed(seed))

    def draw(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        W = init_.draw(scheme, fan_in, fan_out, rng)
        return W + size * noise.standard_normal(W.shape)

    draw.__name__ = draw.__qualname__ = f"jitter({getattr(scheme, '__name__', 'init')}, {size:g})"
    return draw
