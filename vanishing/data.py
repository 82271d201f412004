r"""Small deterministic datasets; nothing is ever downloaded.

Every function takes a ``seed`` and returns float64 arrays: inputs ``X`` of
shape (n, features) (or (n, T, features) for sequences) and targets ``y`` of
shape (n, 1) with labels 0.0 / 1.0.

Why the package draws its own moons rather than calling scikit-learn's ``make_moons``:
:func:`two_moons` fixes what a lesson relies on, and ``make_moons`` does not promise it:
exactly n/2 points per class, ``y`` as a float column (n, 1) for the losses, and the same
numbers from a ``seed`` on every platform and version (scikit-learn may change its sampling
between releases, which would change every stored output). scikit-learn is used for one
thing only, the 8x8 handwritten digits of :func:`digits`, which it ships inside its wheel:
a real dataset that needs no download.

>>> X, y = two_moons(100, seed=0)
>>> X.shape, y.shape, float(y.mean())
((100, 2), (100, 1), 0.5)
"""

from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from . import _check

__all__ = ["two_moons", "spirals", "memory_task", "digits"]


def _noise(value: float, name: str = "noise") -> float:
    value = _check.finite_float(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _points(n: int, seed: int, per_point: int, call: str) -> tuple[int, np.random.Generator]:
    """n and a random generator, after checking n, the seed and the memory the data need.

    ``call`` names the call, with ``{n}`` where n goes: "two_moons(n={n})".
    """
    n = _check.positive_int(n, "n")
    _check.budget(call.format(n=n), nbytes=8 * per_point * n)
    return n, np.random.default_rng(_check.seed(seed))


def two_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, n // 2 points each (class 0 upper, class 1 lower)."""
    n, rng = _points(n, seed, 12, "two_moons(n={n})")
    noise = _noise(noise)
    n0 = n // 2
    t0, t1 = np.pi * rng.random(n0), np.pi * rng.random(n - n0)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])[:, None]
    return X, y


def spirals(n: int = 200, turns: float = 1.5, noise: float = 0.05,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals (a harder task: a deep net needs to bend space a lot)."""
    n, rng = _points(n, seed, 12, "spirals(n={n})")
    turns = _check.finite_float(turns, "turns")
    if turns <= 0:
        raise ValueError(f"turns must be > 0, got {turns}")
    noise = _noise(noise)
    n0 = n // 2
    labels = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    r = rng.random(n)
    angle = 2 * np.pi * turns * r + np.pi * labels
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)]) + noise * rng.standard_normal((n, 2))
    return X, labels[:, None]


def memory_task(n: int = 256, lag: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Remember a bit for ``lag`` steps.

    Each sequence has length ``lag``: at step 1 the input is the bit, coded as
    +1 or -1; every later step carries small distractor noise. The target, read
    after the last step, is the bit (1.0 or 0.0). Solving it needs the gradient
    to travel back ``lag - 1`` steps.

    Returns X of shape (n, lag, 1) and y of shape (n, 1).
    """
    lag = _check.positive_int(lag, "lag")
    n, rng = _points(n, seed, 2 * lag + 2, "memory_task(n={n}, lag=%d)" % lag)
    bits = rng.integers(0, 2, size=n).astype(np.float64)
    X = 0.1 * rng.standard_normal((n, lag, 1))
    X[:, 0, 0] = 2.0 * bits - 1.0
    return X, bits[:, None]


def digits(classes: Sequence[int] = (0, 1), seed: int = 0, test_fraction: float = 0.25
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits (installed with the package, no download).

    Keeps the two ``classes`` as a binary task (label 1.0 for the second),
    scales pixels to [0, 1] and splits deterministically.
    Returns (X_train, y_train, X_test, y_test).
    """
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__len__"):
        raise TypeError(f"classes must be two different digits in 0..9, got {classes!r}")
    if (len(classes) != 2
            or not all(isinstance(c, numbers.Integral) and not isinstance(c, bool)
                       and 0 <= int(c) <= 9 for c in classes)
            or classes[0] == classes[1]):
        raise ValueError(f"classes must be two different digits (integers) in 0..9, got {classes}")
    classes = tuple(int(c) for c in classes)
    seed = _check.seed(seed)
    test_fraction = _check.finite_float(test_fraction, "test_fraction")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    from sklearn.datasets import load_digits  # the one use of scikit-learn: imported here,
    data = load_digits()                          # so that `import vanishing.data` stays light
    keep = np.isin(data.target, classes)
    X = data.data[keep].astype(np.float64) / 16.0
    y = (data.target[keep] == classes[1]).astype(np.float64)[:, None]
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    if not 0 < n_test < len(X):
        raise ValueError(f"test_fraction={test_fraction} leaves {n_test} of {len(X)} examples "
                         "for testing: both sets must be non-empty")
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]
