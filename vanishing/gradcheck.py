r"""Finite differences: the independent check of every hand-written backward pass.

The central difference

.. math:: \frac{\partial f}{\partial\theta_i} \approx
          \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h}

has truncation error :math:`O(h^2)`, and rounding error :math:`O(\varepsilon/h)`
(the values of f carry a relative error of about machine epsilon, and the
difference is divided by 2h). Their sum is smallest near :math:`h \sim \varepsilon^{1/3}`
(:func:`optimal_step`); :func:`error_vs_step` measures the V shape that the two
terms make on a log-log plot. With float64 and h around 1e-6 the central
difference agrees with an exact gradient to about 1e-9 relative error.

How to read a :func:`relative_error` in float64 (:func:`classify_error`):
below ``FINE`` = 1e-7 the backward pass is right; between 1e-7 and ``WRONG`` = 1e-4
it is suspicious (a bug in a small entry, a kink, or a poor h); above 1e-4 it is
almost certainly wrong. A kink (ReLU at z = 0) within the step of a
pre-activation breaks the check itself: :func:`nearest_kink` finds it.

>>> import numpy as np
>>> theta = np.array([1.0, 2.0])
>>> numerical_gradient(lambda: float(np.sum(theta ** 2)), theta).round(6).tolist()
[2.0, 4.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import _check
from .table import Table

__all__ = ["numerical_gradient", "relative_error", "FINE", "WRONG", "classify_error",
           "optimal_step", "StepScan", "error_vs_step", "nearest_kink"]

# Relative errors of a central-difference check in float64 (the rule of thumb of practice)
FINE = 1e-7       # below: the backward pass agrees
WRONG = 1e-4      # above: almost certainly a bug; in between: suspicious


def numerical_gradient(f: Callable[[], float | np.ndarray], theta: np.ndarray,
                       h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to the array ``theta``.

    ``theta`` is perturbed in place (and restored), so ``f`` must read it:
    pass a network's own weight array and a closure that runs the network.
    A view works too (``net.weights[0].T``, ``A[:, ::2]``): each entry is nudged
    through the view itself, so the nudge reaches the array that ``f`` reads.
    """
    if not isinstance(theta, np.ndarray) or theta.dtype != np.float64:
        raise TypeError("theta must be a float64 NumPy array that f reads (it is perturbed in place)")
    if not theta.flags.writeable:
        raise ValueError("theta must be writable: it is perturbed in place (pass the array f reads)")
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning a number, "
                        f"got {type(f).__name__}")
    h = _check.finite_float(h, "h")
    if not 1e-12 <= h <= 1.0:
        raise ValueError(f"h must be a small step in [1e-12, 1], got {h}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta must contain only finite numbers (no inf or NaN)")
    grad = np.empty(theta.shape)
    for i in np.ndindex(theta.shape):            # index the view itself: no copy, any strides
        old = theta[i]
        theta[i] = old + h
        plus = _value(f)
        theta[i] = old - h
        minus = _value(f)
        theta[i] = old
        grad[i] = (plus - minus) / (2.0 * h)
    return grad


def _value(f: Callable[[], float | np.ndarray]) -> float:
    """f() as a finite float, or a clear error."""
    value = f()
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return _check.finite_float(value, "f()")


def relative_error(a: npt.ArrayLike, b: npt.ArrayLike, floor: float = 1e-300) -> float:
    r"""Scale-free distance of two gradients, 0 when they are equal.

    .. math:: \frac{\lVert a - b\rVert_2}{\lVert a\rVert_2 + \lVert b\rVert_2}

    Norm-wise rather than entry by entry, so an entry that should be 0 and
    comes out as 1e-11 from rounding does not read as a 100% error.
    """
    x = _check.finite_array(a, "a")
    y = _check.finite_array(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same shape, got {x.shape} and {y.shape}")
    scale = max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)))
    if 0.0 < scale < np.inf:          # the norm squares its entries: 1e-200 would underflow to 0
        x, y = x / scale, y / scale
    return float(np.linalg.norm(x - y) / max(float(np.linalg.norm(x) + np.linalg.norm(y)), floor))


def classify_error(error: float) -> str:
    """The verdict of practice on a relative error of a central-difference check in float64.

    ``"fine"`` below :data:`FINE` (1e-7), ``"wrong"`` above :data:`WRONG` (1e-4),
    ``"suspicious"`` in between: look at the largest entries of the difference,
    at kinks, and at the step h.

    >>> [classify_error(e) for e in (1e-10, 1e-6, 0.3)]
    ['fine', 'suspicious', 'wrong']
    """
    error = _check.finite_float(error, "error")
    if error < 0:
        raise ValueError(f"error must be a relative error >= 0, got {error}")
    if error < FINE:
        return "fine"
    return "suspicious" if error <= WRONG else "wrong"


def optimal_step(eps: float = float(np.finfo(np.float64).eps)) -> float:
    r"""The step h that balances truncation and rounding error of a central difference.

    The error of :math:`(f(\theta + h) - f(\theta - h))/2h` is about

    .. math:: E(h) = \frac{|f'''|}{6}\,h^2 + \frac{\varepsilon\,|f|}{h},
              \qquad E'(h) = 0 \iff h^* = \Big(\frac{3\varepsilon |f|}{|f'''|}\Big)^{1/3},

    which for :math:`|f| \approx |f'''|` is :math:`h^* \approx \varepsilon^{1/3}` (returned;
    the constant :math:`3^{1/3}` is within the uncertainty of the assumption).
    For float64, :math:`\varepsilon = 2^{-52}`:

    >>> f"{optimal_step():.2e}"
    '6.06e-06'
    """
    eps = _check.finite_float(eps, "eps")
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps must be a machine epsilon in (0, 1), got {eps}")
    return eps ** (1.0 / 3.0)


@dataclass(repr=False)
class StepScan(Table):
    """Relative error of a central-difference check for each step h (:func:`error_vs_step`)."""

    steps: np.ndarray
    errors: np.ndarray

    @property
    def best_step(self) -> float:
        """The h with the smallest error (the bottom of the V)."""
        return float(self.steps[int(np.argmin(self.errors))])

    def verdicts(self) -> list[str]:
        """:func:`classify_error` of each error."""
        return [classify_error(e) for e in self.errors]

    def rows(self) -> list[list[str]]:
        return [[f"{h:.0e}", f"{e:.1e}", v] for h, e, v in zip(self.steps, self.errors,
                                                                self.verdicts())]

    _COLUMNS = ("h", "relative error", "verdict")

    def _title(self) -> str:
        return f"central differences against the exact gradient; smallest error at h = {self.best_step:.0e}"


def error_vs_step(f: Callable[[], float], theta: np.ndarray, exact: np.ndarray,
                  steps: Sequence[float]) -> StepScan:
    r"""The :func:`relative_error` of :func:`numerical_gradient` (step h) against ``exact``, for each h.

    .. math:: e(h) = \frac{\lVert g_h - g\rVert_2}{\lVert g_h\rVert_2 + \lVert g\rVert_2},
              \qquad (g_h)_i = \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h}

    ``f`` and ``theta`` are as for :func:`numerical_gradient`; ``exact`` (the
    backward pass's gradient) has the shape of ``theta``; ``steps`` holds the
    steps h, each in [1e-12, 1]. On a log-log plot e(h) is a V: slope 2 where
    truncation dominates (large h), slope -1 where rounding does (small h).

    >>> theta = np.array([0.5])
    >>> scan = error_vs_step(lambda: float(np.exp(theta[0])), theta, np.exp(theta), [1e-1, 1e-5])
    >>> scan.best_step, scan.verdicts()
    (1e-05, ['wrong', 'fine'])
    """
    if not isinstance(theta, np.ndarray):
        raise TypeError("theta must be a float64 NumPy array that f reads (it is perturbed in place)")
    exact = _check.finite_array(exact, "exact")
    if exact.shape != theta.shape:
        raise ValueError(f"exact must have the shape of theta {theta.shape}, got {exact.shape}")
    if isinstance(steps, (str, bytes)) or np.ndim(steps) != 1:
        raise TypeError(f"steps must be a sequence of steps h, got {steps!r}")
    hs = _check.nonempty(_check.finite_array(steps, "steps"), "steps")
    if not np.all((hs >= 1e-12) & (hs <= 1.0)):
        raise ValueError(f"steps must all lie in [1e-12, 1], got {hs.tolist()}")
    _check.budget(f"error_vs_step over {hs.size} steps", work=2 * hs.size * theta.size
                  * _check.LOOP_COST)
    errors = [relative_error(numerical_gradient(f, theta, h=float(h)), exact) for h in hs]
    return StepScan(steps=hs.copy(), errors=np.array(errors))


def nearest_kink(preactivations: np.ndarray | Sequence[np.ndarray]) -> float:
    r"""The distance :math:`\min |z|` from the pre-activations to ReLU's kink at z = 0.

    ``preactivations`` is one array or a list of arrays (for example
    ``net.preactivations()[:-1]``, the hidden layers). When a nudge of size h
    moves some z across 0, the central difference averages two different
    slopes, so a correct backward pass looks wrong: keep :math:`\min|z|` well
    above the change that h causes in z.

    >>> nearest_kink([np.array([[0.3, -2e-9]]), np.array([1.5])])
    2e-09
    """
    if isinstance(preactivations, (str, bytes, dict, set)) or preactivations is None:
        raise TypeError(f"preactivations must be an array or a list of arrays, got "
                        f"{type(preactivations).__name__}")
    zs = list(preactivations) if isinstance(preactivations, (list, tuple)) else [preactivations]
    arrays = [_check.finite_array(z, f"preactivations[{i}]") for i, z in enumerate(zs)]
    if not arrays or all(z.size == 0 for z in arrays):
        raise ValueError("preactivations must hold at least one number")
    return float(min(np.min(np.abs(z)) for z in arrays if z.size))
