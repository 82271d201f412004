"""Input checks shared by the package: each error names the parameter and what is allowed."""

from __future__ import annotations

import numbers

import numpy as np


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1, or a clear TypeError / ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


def seed(value, name: str = "seed") -> int:
    """A random seed: an int >= 0, or a clear TypeError / ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value}")
    return int(value)


def finite_float(value, name: str) -> float:
    """``value`` as a finite float, or a clear TypeError / ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def per_layer(value, depth: int, name: str) -> np.ndarray:
    """One finite number, or a sequence of exactly ``depth`` finite numbers, as a float array."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or a sequence of {depth} numbers, got {value!r}")
    if np.ndim(value) == 0:
        return np.full(depth, finite_float(value, name))
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or a sequence of {depth} numbers") from None
    if arr.ndim != 1 or arr.size != depth:
        raise ValueError(f"{name} must be one number or a sequence of depth={depth} numbers "
                         f"(one per layer), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    return arr


def finite_array(value, name: str, ndim: int | None = None) -> np.ndarray:
    """``value`` as a float64 array of the given rank with only finite entries."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (no inf or NaN)")
    return arr


def choice(value, name: str, allowed) -> str:
    """``value`` if it is one of ``allowed`` (strings), else a clear error listing them."""
    allowed = list(allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {allowed}, got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
