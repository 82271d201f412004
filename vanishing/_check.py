"""Input checks shared by the package: each error names the parameter and what is allowed.

Sizes. Every function that allocates or computes in proportion to its arguments first
estimates its memory (bytes) and work (floating-point operations; one step of a Python
loop counts as ``LOOP_COST`` operations) and calls :func:`budget`, which refuses the call
before it starts when an estimate is above the ceiling:

- ``MAX_BYTES``: 2 GiB, or the environment variable ``VANISHING_MAX_BYTES`` (bytes);
- ``MAX_WORK``: 1e11 operations (a minute or so of one core), or ``VANISHING_MAX_WORK``.

Both are module attributes, so ``vanishing._check.MAX_BYTES = 8 * 2**30`` raises the
ceiling for the running session.
"""

from __future__ import annotations

import numbers
import os
from typing import Iterable

import numpy as np
import numpy.typing as npt

MAX_BYTES = int(float(os.environ.get("VANISHING_MAX_BYTES", 2 * 2**30)))
MAX_WORK = float(os.environ.get("VANISHING_MAX_WORK", 1e11))
LOOP_COST = 1e4          # one step of a Python-level loop, in floating-point operations


def _bytes(n: float) -> str:
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def _float_or_inf(n: float) -> float:
    try:
        return float(n)
    except OverflowError:                        # an estimate from a huge int argument
        return float("inf")


def budget(what: str, nbytes: float = 0.0, work: float = 0.0) -> None:
    """Refuse ``what`` (a call with its sizes, e.g. "MLP(sizes=[...])") above the ceilings.

    ``nbytes`` and ``work`` are estimates of the memory and the operations it needs.
    """
    nbytes, work = _float_or_inf(nbytes), _float_or_inf(work)
    if nbytes > MAX_BYTES:
        raise ValueError(f"{what} needs about {_bytes(nbytes)} of memory, above the ceiling of "
                         f"{_bytes(MAX_BYTES)} (vanishing._check.MAX_BYTES or the environment "
                         "variable VANISHING_MAX_BYTES): use smaller sizes")
    if work > MAX_WORK:
        raise ValueError(f"{what} needs about {work:.2g} operations, above the ceiling of "
                         f"{MAX_WORK:.2g} (vanishing._check.MAX_WORK or the environment "
                         "variable VANISHING_MAX_WORK): use smaller sizes")


def positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1, or a clear TypeError / ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
    if not 1 <= int(value) <= 2 ** 62:                # beyond, no estimate of the size fits a float
        raise ValueError(f"{name} must be an integer >= 1 (and at most 2**62), got {value}")
    return int(value)


def flag(value: object, name: str) -> bool:
    """``value`` as a bool (True, False or a NumPy bool), or a clear TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def seed(value: object, name: str = "seed") -> int:
    """A random seed: an int >= 0, or a clear TypeError / ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 0, got {value!r}")
    if int(value) < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value}")
    return int(value)


def generator(value: object, name: str = "rng") -> np.random.Generator:
    """A NumPy random Generator (``np.random.default_rng(seed)``), or a clear TypeError."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy.random.Generator such as "
                        f"np.random.default_rng(0), got {type(value).__name__}")
    return value


def nonempty(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` if it has at least one entry, else a clear ValueError."""
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def real_float(value: object, name: str) -> float:
    """``value`` (a real number, not a bool) as a float, which may be inf or NaN."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:                        # an int beyond float64, such as 10**400
        raise ValueError(f"{name} must fit in float64, got an integer beyond its range") from None


def finite_float(value: object, name: str) -> float:
    """``value`` as a finite float, or a clear TypeError / ValueError."""
    number = real_float(value, name)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def per_layer(value: npt.ArrayLike, depth: int, name: str) -> np.ndarray:
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


def float_array(value: npt.ArrayLike, name: str) -> np.ndarray:
    """``value`` (numbers: bool, int or float of any precision) as a float64 array.

    Strings, None and other objects are refused rather than converted.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):              # ragged nested lists
        raise TypeError(f"{name} must be an array of numbers") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a number or an array of numbers, got "
                        f"{type(value).__name__} (dtype {arr.dtype})")
    return arr.astype(np.float64, copy=False)


def finite_array(value: npt.ArrayLike, name: str, ndim: int | None = None) -> np.ndarray:
    """``value`` as a float64 array of the given rank with only finite entries."""
    arr = float_array(value, name)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (no inf or NaN)")
    return arr


def choice(value: object, name: str, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed`` (strings), else a clear error listing them."""
    options = list(allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {options}, got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value
