r"""The latching dilemma: one recurrent unit that stores a bit, and why its gradient vanishes.

The unit is the smallest recurrent network there is, one tanh neuron fed back to itself:

.. math:: h_t = \tanh(a_t),\qquad a_t = w\,h_{t-1} + b + x_t,\qquad t = 1, \dots, T.

A bit is written into the state (:math:`h_0 = +1` or :math:`-1`) and must still be readable
as the sign of :math:`h_T` after T steps of noisy input :math:`x_t`. Without input the state
settles at a *fixed point* :math:`h^* = \tanh(w h^* + b)`, and near it one step multiplies a
small displacement by the *multiplier*

.. math:: m(h^*) = \frac{\partial h_t}{\partial h_{t-1}}\Big|_{h^*} = w \tanh'(w h^* + b)
          = w\,(1 - h^{*2}).

:math:`|m| < 1` makes the fixed point attracting: small kicks from the noise die out, and a
bit stored as "which attractor" survives (for b = 0 and w > 1 there are two, at
:math:`\pm h^*`). Backpropagation through time multiplies the very same factors:

.. math:: \frac{\partial h_T}{\partial h_0} = \prod_{t=1}^{T} w \tanh'(a_t) \approx m^T,

so the contraction that keeps the bit safe is the contraction that makes the gradient from
step 0 vanish geometrically (Bengio, Simard and Frasconi 1994, "Learning long-term
dependencies with gradient descent is difficult").

>>> [round(float(h), 4) for h in fixed_points(2.0)]
[-0.9575, 0.0, 0.9575]
>>> round(multiplier(fixed_points(2.0)[-1], 2.0), 4)     # attracting: |m| < 1
0.1664
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import _check
from .activations import log10_tanh_prime, tanh_prime

__all__ = ["step", "trajectory", "fixed_points", "multiplier", "jacobian", "log10_jacobian",
           "Latch", "hold_bit"]

_BISECTIONS = 200        # far more than the 64 halvings that exhaust a float64 interval


def _unit_weights(w: float, b: float) -> tuple[float, float]:
    return _check.finite_float(w, "w"), _check.finite_float(b, "b")


def step(h: npt.ArrayLike, w: float, b: float = 0.0, x: npt.ArrayLike = 0.0) -> np.ndarray:
    r"""One step of the unit: :math:`h_t = \tanh(w\,h_{t-1} + b + x_t)`.

    ``h`` and ``x`` are numbers or arrays of one shape (one entry per run).

    >>> float(step(1.0, 2.0))
    0.9640275800758169
    """
    w, b = _unit_weights(w, b)
    h = _check.finite_array(h, "h")
    x = _check.finite_array(x, "x")
    if x.ndim and h.ndim and x.shape != h.shape:
        raise ValueError(f"x must be a number or have the shape of h {h.shape}, got {x.shape}")
    return np.tanh(w * h + b + x)


def _inputs(h0: npt.ArrayLike, x: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``h0`` (a number or one entry per run) and ``x`` (shape (T,) or (T, runs)), checked."""
    x = _check.finite_array(x, "x")
    if x.ndim not in (1, 2) or x.shape[0] < 1:
        raise ValueError(f"x must have shape (T,) or (T, runs) with T >= 1, got {x.shape}")
    h0 = _check.finite_array(h0, "h0")
    if h0.ndim and h0.shape != x.shape[1:]:
        raise ValueError(f"h0 must be a number or have shape x.shape[1:] = {x.shape[1:]} (one entry "
                         f"per run of x), got {h0.shape}")
    return np.broadcast_to(h0, x.shape[1:]).astype(np.float64), x


def _run(h0: np.ndarray, w: float, b: float, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """States h_0..h_T (shape (T+1, ...)) and pre-activations a_1..a_T (shape (T, ...))."""
    h = np.empty((x.shape[0] + 1,) + x.shape[1:])
    a = np.empty(x.shape)
    h[0] = h0
    for t in range(x.shape[0]):
        a[t] = w * h[t] + b + x[t]
        h[t + 1] = np.tanh(a[t])
    return h, a


def trajectory(h0: npt.ArrayLike, w: float, x: npt.ArrayLike, b: float = 0.0) -> np.ndarray:
    r"""The states :math:`h_0, h_1, \dots, h_T` under the inputs :math:`x_1..x_T`.

    ``x`` has shape (T,) for one run or (T, runs) for many; ``h0`` is a number or has
    shape (runs,). Returns shape (T + 1,) or (T + 1, runs); row t is :math:`h_t`.

    >>> trajectory(1.0, 0.5, np.zeros(3)).round(4).tolist()
    [1.0, 0.4621, 0.227, 0.113]
    """
    w, b = _unit_weights(w, b)
    h0, x = _inputs(h0, x)
    return _run(h0, w, b, x)[0]


def _g(h: float, w: float, b: float) -> float:
    """The fixed-point residual tanh(w h + b) - h (zero exactly at a fixed point)."""
    return float(np.tanh(w * h + b)) - h


def _bisect(lo: float, hi: float, w: float, b: float) -> float:
    """The root of ``_g`` between lo and hi, where ``_g`` changes sign, to the last bit."""
    g_lo = _g(lo, w, b)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        g_mid = _g(mid, w, b)
        if g_mid == 0.0:
            return mid
        if (g_mid > 0) == (g_lo > 0):
            lo, g_lo = mid, g_mid
        else:
            hi = mid
    return lo if abs(_g(lo, w, b)) <= abs(_g(hi, w, b)) else hi


def fixed_points(w: float, b: float = 0.0) -> np.ndarray:
    r"""Every fixed point :math:`h^* = \tanh(w h^* + b)` of the unit without input, ascending.

    All of them lie in [-1, 1]. The residual :math:`g(h) = \tanh(wh + b) - h` has
    :math:`g' = w \tanh'(wh + b) - 1`, which vanishes where :math:`\cosh^2(wh + b) = w`,
    at most twice; between those points g is monotone, so each piece holds at most one
    root, found by bisection. Hence one fixed point for :math:`w \le 1` and up to three
    for w > 1 (for b = 0: :math:`-h^*, 0, h^*`). A root where g only touches zero (the
    moment of a bifurcation) is reported only if g is exactly 0 there.

    >>> fixed_points(0.5).tolist()
    [0.0]
    """
    w, b = _unit_weights(w, b)
    cuts = [-1.0, 1.0]
    if w > 1.0:
        u = float(np.arccosh(np.sqrt(w)))                   # cosh^2(u) = w
        cuts += [h for h in ((-u - b) / w, (u - b) / w) if -1.0 < h < 1.0]
    cuts = sorted(cuts)
    roots = [p for p in cuts if _g(p, w, b) == 0.0]
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        g_lo, g_hi = _g(lo, w, b), _g(hi, w, b)
        if g_lo * g_hi < 0.0:
            roots.append(_bisect(lo, hi, w, b))
    return np.unique(np.array(roots, dtype=np.float64))


def multiplier(h_star: npt.ArrayLike, w: float, b: float = 0.0) -> float | np.ndarray:
    r"""The derivative of one step at a state: :math:`m = w \tanh'(w h^* + b)`.

    At a fixed point this is the factor by which one step multiplies a small displacement
    (and a gradient): :math:`|m| < 1` attracting (contracting), :math:`|m| > 1` repelling.
    tanh' is evaluated at the pre-activation, which stays accurate where
    :math:`1 - h^{*2}` would cancel. Returns a float for a number, an array for an array.

    >>> multiplier(0.0, 0.5)          # the only fixed point of w = 0.5: attracting
    0.5
    """
    w, b = _unit_weights(w, b)
    h = _check.finite_array(h_star, "h_star")
    m = w * tanh_prime(w * h + b)
    return float(m) if m.ndim == 0 else m


def jacobian(h0: npt.ArrayLike, w: float, x: npt.ArrayLike, b: float = 0.0) -> np.ndarray:
    r""":math:`\partial h_t / \partial h_0 = \prod_{s=1}^{t} w \tanh'(a_s)` for t = 1..T.

    The same product that backpropagation through time multiplies the error by. Shapes as
    in :func:`trajectory`, without the row for t = 0: (T,) or (T, runs). Deep products can
    underflow float64 to 0; :func:`log10_jacobian` cannot.

    >>> jacobian(0.0, 0.5, np.zeros(3)).tolist()   # at the fixed point 0: 0.5 ** t
    [0.5, 0.25, 0.125]
    """
    w, b = _unit_weights(w, b)
    h0, x = _inputs(h0, x)
    _, a = _run(h0, w, b, x)
    with np.errstate(under="ignore"):                       # a vanishing product may reach 0
        return np.cumprod(w * tanh_prime(a), axis=0)


def log10_jacobian(h0: npt.ArrayLike, w: float, x: npt.ArrayLike,
                   b: float = 0.0) -> np.ndarray:
    r""":math:`\log_{10} |\partial h_t / \partial h_0|` for t = 1..T, without underflow.

    .. math:: \log_{10}\Big|\frac{\partial h_t}{\partial h_0}\Big|
              = \sum_{s=1}^{t} \big(\log_{10}|w| + \log_{10} \tanh'(a_s)\big)

    ``-inf`` where w = 0 (the state forgets h_0 at once). Shapes as in :func:`jacobian`.

    >>> float(log10_jacobian(0.0, 0.1, np.zeros(400))[-1])     # 0.1 ** 400, far below float64
    -400.0
    """
    w, b = _unit_weights(w, b)
    h0, x = _inputs(h0, x)
    return _log10_products(w, _run(h0, w, b, x)[1])


def _log10_products(w: float, a: np.ndarray) -> np.ndarray:
    """Running sums over t of log10 |w tanh'(a_t)|: the log10 of the Jacobian products."""
    with np.errstate(divide="ignore"):                      # log10(0) = -inf for w = 0
        log10_w = np.log10(abs(w))
    return np.cumsum(log10_w + log10_tanh_prime(a), axis=0)


@dataclass
class Latch:
    r"""Many runs of :func:`hold_bit`: the bits written, the states, and the gradients.

    ``bits`` (runs,) of +-1, ``h`` (T + 1, runs) the states from :math:`h_0` = bit,
    ``log10_gradient`` (T, runs) :math:`\log_{10}|\partial h_t/\partial h_0|`, row t-1 for step t.
    """

    w: float
    b: float
    noise: float
    bits: np.ndarray
    h: np.ndarray
    log10_gradient: np.ndarray

    @property
    def T(self) -> int:
        return self.h.shape[0] - 1

    def _step_index(self, t: int, first: int) -> int:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not first <= t <= self.T:
            raise ValueError(f"t must be an integer from {first} to T={self.T}, got {t!r}")
        return int(t)

    def survival(self, t: int) -> float:
        """The fraction of runs whose state still has the sign of its bit after step ``t``."""
        t = self._step_index(t, 0)
        return float(np.mean(np.sign(self.h[t]) == self.bits))

    def median_log10_gradient(self, t: int) -> float:
        r"""The median over runs of :math:`\log_{10}|\partial h_t / \partial h_0|`."""
        t = self._step_index(t, 1)
        return float(np.median(self.log10_gradient[t - 1]))


def hold_bit(w: float, noise: float, T: int, runs: int = 200, b: float = 0.0,
             seed: int = 0) -> Latch:
    r"""Write a random bit into the unit (:math:`h_0 = \pm 1`), then run T noisy steps.

    Each run draws its bit (+1 or -1 with equal probability) and its inputs
    :math:`x_t \sim N(0, \mathrm{noise}^2)`, i.i.d. over steps and runs, from
    ``np.random.default_rng(seed)``. Returns a :class:`Latch` with every state and
    :math:`\log_{10}|\partial h_t/\partial h_0|` along each run.

    >>> latch = hold_bit(3.0, noise=0.5, T=50, runs=100)
    >>> latch.survival(50), latch.median_log10_gradient(50) < -50
    (1.0, True)
    """
    w, b = _unit_weights(w, b)
    noise = _check.finite_float(noise, "noise")
    if noise < 0:
        raise ValueError(f"noise must be >= 0 (a standard deviation), got {noise}")
    T = _check.positive_int(T, "T")
    runs = _check.positive_int(runs, "runs")
    _check.budget(f"hold_bit(T={T}, runs={runs})", nbytes=8.0 * 4 * (T + 1) * runs,
                  work=40.0 * T * runs + T * _check.LOOP_COST)
    rng = np.random.default_rng(_check.seed(seed))
    bits = rng.choice(np.array([-1.0, 1.0]), size=runs)
    x = noise * rng.standard_normal((T, runs))
    h, a = _run(bits, w, b, x)
    return Latch(w=w, b=b, noise=noise, bits=bits, h=h, log10_gradient=_log10_products(w, a))
