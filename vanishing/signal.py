r"""Signal propagation in wide random networks: order, chaos and the critical line.

A layer computes :math:`z_l = W_l f(z_{l-1}) + b_l` with i.i.d. weights
:math:`W_{ij} \sim N(0, \sigma_w^2/n)` and biases :math:`b_i \sim N(0, \sigma_b^2)`.
For a wide layer each pre-activation is a sum of many independent terms, so it is
Gaussian, :math:`z_l \sim N(0, q_l)`, and its variance obeys the mean-field
recursion (Poole et al. 2016)

.. math:: q_l = \mathcal V(q_{l-1}) = \sigma_w^2\,\mathbb E_{z \sim N(0, q_{l-1})}\big[f(z)^2\big]
          + \sigma_b^2,

which settles at a fixed point :math:`q^* = \mathcal V(q^*)`. Backpropagation
multiplies the mean squared delta by the same factor in every layer at the fixed
point (Schoenholz et al. 2017):

.. math:: \mathbb E\,\|\delta_l\|^2 = \chi_1\,\mathbb E\,\|\delta_{l+1}\|^2,\qquad
          \chi_1 = \sigma_w^2\,\mathbb E_{z \sim N(0, q^*)}\big[f'(z)^2\big].

:math:`\chi_1 < 1` is the *ordered* phase (gradients vanish towards the input),
:math:`\chi_1 > 1` the *chaotic* phase (they explode), and :math:`\chi_1 = 1` the
*critical line*. Off the line the squared gradient changes by a factor e every
:math:`\xi = 1/|\ln \chi_1|` layers (the depth scale).

Every Gaussian expectation here is a Gauss-Hermite sum with probabilists' nodes
(``numpy.polynomial.hermite_e.hermegauss``):

.. math:: \mathbb E_{z \sim N(0, q)}[g(z)] \approx \frac{1}{\sqrt{2\pi}} \sum_k w_k\, g(\sqrt q\, x_k).

>>> round(chi_1(2.0, 0.0, "relu"), 12)         # He initialisation: exactly critical
1.0
>>> round(fixed_point(1.0, 0.5, "linear"), 6)   # q = q + 0.5 has no finite fixed point
inf
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np
import numpy.typing as npt

from . import _check, losses
from . import activations as act
from .init import normal
from .matrices import orthogonal
from .mlp import MLP, NetworkStats, profile_budget
from .products import random_matrices
from .table import Table

if TYPE_CHECKING:
    from .mlp import Gradients

__all__ = ["gauss_expectation", "second_moment", "derivative_moment", "variance_map",
           "variance_recursion", "fixed_point", "chi_1", "depth_scale", "critical_sigma_w2",
           "critical_line", "PhasePoint", "phase_point", "PhaseDiagram", "phase_diagram",
           "saturation_threshold", "saturation_fraction", "measured_profile",
           "per_example_grad_norms", "predicted_log_slope", "log_slope", "orthogonal_matrix",
           "JacobianSpectrum", "jacobian_spectrum", "predicted_spectrum_variance",
           "QUADRATURE_NODES"]

#: Gauss-Hermite nodes (even: no node at the kink z = 0 of ReLU, so the symmetric sums give
#: E[relu(z)^2] = q/2 and E[relu'(z)^2] = 1/2 to rounding; 200 is about numpy's accurate limit).
QUADRATURE_NODES = 200

#: Activations with f(c z) = c f(z) for c > 0: E[f(z)^2] = q E[f(u)^2], u ~ N(0, 1).
HOMOGENEOUS = ("relu", "leaky_relu", "linear")

#: Activations whose mean-field moments this module computes.
SUPPORTED = ("tanh", "sigmoid") + HOMOGENEOUS

#: Largest variance followed: beyond it a recursion is said to have no finite fixed point.
Q_MAX = 1e100

_NODES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and weights, the weights divided by sqrt(2 pi)."""
    if n not in _NODES:
        x, w = np.polynomial.hermite_e.hermegauss(n)
        _NODES[n] = (x, w / math.sqrt(2.0 * math.pi))
    return _NODES[n]


def _variance(q: float, name: str = "q") -> float:
    q = _check.real_float(q, name)
    if not 0.0 <= q <= Q_MAX:
        raise ValueError(f"{name} must be a variance in [0, {Q_MAX:g}], got {q}")
    return q


def _sigmas(sigma_w2: float, sigma_b2: float) -> tuple[float, float]:
    sigma_w2 = _check.finite_float(sigma_w2, "sigma_w2")
    sigma_b2 = _check.finite_float(sigma_b2, "sigma_b2")
    if sigma_w2 <= 0:
        raise ValueError(f"sigma_w2 (the weight variance times the width) must be > 0, got {sigma_w2}")
    if sigma_b2 < 0:
        raise ValueError(f"sigma_b2 (the bias variance) must be >= 0, got {sigma_b2}")
    return sigma_w2, sigma_b2


def _activation(activation: str | act.Activation) -> act.Activation:
    f = act.get(activation)
    if f.name not in SUPPORTED:
        raise ValueError(f"activation must be one of {list(SUPPORTED)} for the mean-field moments, "
                         f"got {f.name!r}")
    return f


def gauss_expectation(g: Callable[[np.ndarray], np.ndarray], q: float, width: float | None = None,
                      nodes: int = QUADRATURE_NODES) -> float:
    r""":math:`\mathbb E_{z \sim N(0, q)}[g(z)]` by Gauss-Hermite quadrature.

    Plain rule (``width=None``), exact for polynomials of degree below ``2 * nodes``:

    .. math:: \mathbb E[g(z)] \approx \sum_k \frac{w_k}{\sqrt{2\pi}}\, g(\sqrt q\, x_k).

    Its nodes near 0 are about :math:`2.2\sqrt{q/n}` apart, too coarse for a ``g`` that
    changes over a length ``width`` much smaller than :math:`\sqrt q` (such as
    :math:`\tanh'` when q = 30). For such a ``g``, which must also decay beyond a few
    ``width``, the nodes are placed at the scale :math:`s = \min(q, \text{width}^2)` and
    reweighted to the density of N(0, q):

    .. math:: \mathbb E[g(z)] \approx \sum_k \frac{w_k}{\sqrt{2\pi}}\,\sqrt{s/q}\;
              e^{x_k^2 (1 - s/q)/2}\; g(\sqrt s\, x_k).

    >>> round(gauss_expectation(lambda z: z**4, 2.0), 12)    # E z^4 = 3 q^2
    12.0
    """
    if not callable(g):
        raise TypeError(f"g must be a function of z, got {type(g).__name__}")
    q = _variance(q)
    n = _check.positive_int(nodes, "nodes")
    if n % 2 or n > 200:
        raise ValueError(f"nodes must be an even number <= 200 (no node at z = 0), got {n}")
    x, w = _nodes(n)
    if width is None or q <= _check.finite_float(width, "width") ** 2:
        return float(np.dot(w, g(math.sqrt(q) * x)))
    s = float(width) ** 2
    return float(np.dot(w * np.exp(0.5 * x * x * (1.0 - s / q)), g(math.sqrt(s) * x))
                 * math.sqrt(s / q))


def _second_moment(q: float, f: act.Activation) -> float:
    if f.name in HOMOGENEOUS:
        return q * gauss_expectation(lambda u: f.f(u) ** 2, 1.0)
    if q <= 1.0:
        return gauss_expectation(lambda z: f.f(z) ** 2, q)
    rest = gauss_expectation(f.prime, q, width=1.0)
    return 1.0 - rest if f.name == "tanh" else 0.5 - rest


def _derivative_moment(q: float, f: act.Activation, power: int = 2) -> float:
    if f.name in HOMOGENEOUS:                   # f' depends on the sign of z only
        return gauss_expectation(lambda u: f.prime(u) ** power, 1.0)
    return gauss_expectation(lambda z: f.prime(z) ** power, q, width=1.0)


def second_moment(q: float, activation: str | act.Activation = "tanh") -> float:
    r""":math:`\mathbb E_{z \sim N(0, q)}[f(z)^2]`, accurate for every q in [0, 1e100].

    For q <= 1 the plain rule. Beyond, the parts of :math:`f^2` that do not decay are
    taken out with exact identities, and only a function of width about 1 is integrated:

    .. math:: \tanh^2 = 1 - \tanh',\qquad \sigma^2 = \sigma - \sigma',\quad
              \mathbb E[\sigma(z)] = \tfrac12\ (\sigma(z) + \sigma(-z) = 1),

    and for ReLU, leaky ReLU and the identity :math:`\mathbb E[f(z)^2] = q\,\mathbb E[f(u)^2]`.

    >>> round(second_moment(3.0, "relu"), 12)
    1.5
    """
    return _second_moment(_variance(q), _activation(activation))


def derivative_moment(q: float, activation: str | act.Activation = "tanh", power: int = 2) -> float:
    r""":math:`\mathbb E_{z \sim N(0, q)}[f'(z)^k]` with k = ``power`` (f' of width about 1).

    >>> derivative_moment(5.0, "relu")          # relu' is 1 on half the line
    0.5
    """
    return _derivative_moment(_variance(q), _activation(activation),
                              _check.positive_int(power, "power"))


def variance_map(q: float, sigma_w2: float, sigma_b2: float,
                 activation: str | act.Activation = "tanh") -> float:
    r"""One layer of the variance recursion.

    .. math:: \mathcal V(q) = \sigma_w^2\,\mathbb E_{z \sim N(0, q)}\big[f(z)^2\big] + \sigma_b^2

    >>> round(variance_map(1.0, 2.0, 0.0, "relu"), 12)      # He: E[relu(z)^2] = q/2
    1.0
    """
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    return sigma_w2 * second_moment(q, activation) + sigma_b2


def variance_recursion(q0: float, depth: int, sigma_w2: float, sigma_b2: float,
                       activation: str | act.Activation = "tanh") -> np.ndarray:
    r""":math:`q_1, \dots, q_L` from :math:`q_l = \mathcal V(q_{l-1})`, starting at :math:`q_0`.

    >>> variance_recursion(1.0, 3, 1.0, 0.5, "linear")
    array([1.5, 2. , 2.5])
    """
    q = _variance(q0, "q0")
    depth = _check.positive_int(depth, "depth")
    _check.budget(f"variance_recursion(depth={depth})", nbytes=8 * depth,
                  work=depth * _check.LOOP_COST)
    out = np.empty(depth)
    for l in range(depth):
        q = variance_map(q, sigma_w2, sigma_b2, activation)
        if not q <= Q_MAX:
            raise ValueError(f"the variance exceeds {Q_MAX:g} at layer {l + 1}: "
                             "use fewer layers or a smaller sigma_w2")
        out[l] = q
    return out


def fixed_point(sigma_w2: float, sigma_b2: float, activation: str | act.Activation = "tanh",
                q0: float = 1.0) -> float:
    r"""The variance :math:`q^* = \mathcal V(q^*)` that the recursion settles at from :math:`q_0`.

    For ReLU, leaky ReLU and the identity the map is a line,
    :math:`\mathcal V(q) = \sigma_w^2 c\, q + \sigma_b^2` with :math:`c = \mathbb E[f(z)^2]` at q = 1,
    so :math:`q^* = \sigma_b^2 / (1 - \sigma_w^2 c)` when :math:`\sigma_w^2 c < 1`, ``inf``
    when :math:`\sigma_w^2 c > 1` (the variance grows without bound), and ``q0`` itself
    when :math:`\sigma_w^2 c = 1, \sigma_b^2 = 0` (every variance is kept: He with ReLU).
    For tanh and sigmoid see :func:`_bounded_fixed_point`.

    >>> round(fixed_point(1.0, 0.5, "relu"), 12)          # 0.5 / (1 - 1/2)
    1.0
    >>> fixed_point(2.0, 0.0, "relu", q0=3.0)             # He keeps what it gets
    3.0
    """
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    q0 = _variance(q0, "q0")
    f = _activation(activation)
    if f.name in HOMOGENEOUS:
        slope = sigma_w2 * second_moment(1.0, f)
        if abs(slope - 1.0) <= 1e-12:
            return q0 if sigma_b2 == 0.0 else math.inf
        return sigma_b2 / (1.0 - slope) if slope < 1.0 else math.inf

    return _bounded_fixed_point(sigma_w2, sigma_b2, f)


def _bounded_fixed_point(sigma_w2: float, sigma_b2: float, f: act.Activation) -> float:
    r"""q* for a bounded f (:math:`f^2 < 1`): the root of :math:`\ln\mathcal V(q) - \ln q` in ln q.

    :math:`\mathcal V` increases with q and stays below :math:`\sigma_w^2 + \sigma_b^2`, so the
    root lies between :math:`\mathcal V(0)` and that bound. When :math:`\mathcal V(0) = 0`
    (tanh without bias), :math:`\mathcal V(q) < \sigma_w^2 q`, so :math:`q^* = 0` for
    :math:`\sigma_w^2 \le 1`; otherwise the search starts at 1e-300.
    """
    # ln V(q) - ln q: the same sign as V(q) - q, well scaled
    def gap(log_q: float) -> float:
        return math.log(sigma_w2 * _second_moment(math.exp(log_q), f) + sigma_b2) - log_q

    v0 = sigma_w2 * _second_moment(0.0, f) + sigma_b2
    if v0 == 0.0 and sigma_w2 <= 1.0:
        return 0.0
    lo, hi = math.log(v0 if v0 > 0.0 else 1e-300), math.log(sigma_w2 + sigma_b2)
    return math.exp(_root(gap, lo, hi, "fixed_point"))


def _slope_variance(sigma_w2: float, sigma_b2: float, f: act.Activation, q0: float) -> float:
    """q* for chi_1; for ReLU, leaky ReLU and the identity f'^2 does not depend on q: q = 1."""
    return 1.0 if f.name in HOMOGENEOUS else _bounded_fixed_point(sigma_w2, sigma_b2, f)


def chi_1(sigma_w2: float, sigma_b2: float, activation: str | act.Activation = "tanh",
          q0: float = 1.0) -> float:
    r"""The per-layer factor of the mean squared gradient at the fixed point.

    .. math:: \chi_1 = \sigma_w^2\,\mathbb E_{z \sim N(0, q^*)}\big[f'(z)^2\big]

    (for ReLU, leaky ReLU and the identity :math:`f'^2` does not depend on the scale, so
    :math:`\chi_1 = \sigma_w^2 \mathbb E[f'(z)^2]` also where :math:`q^*` is infinite).

    >>> chi_1(3.0, 1.0, "relu")
    1.5
    """
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    return _chi_1(sigma_w2, sigma_b2, _activation(activation), _variance(q0, "q0"))


def _chi_1(sigma_w2: float, sigma_b2: float, f: act.Activation, q0: float = 1.0) -> float:
    return sigma_w2 * _derivative_moment(_slope_variance(sigma_w2, sigma_b2, f, q0), f)


def depth_scale(chi: float) -> float:
    r"""The number of layers over which the squared gradient changes by a factor e.

    .. math:: \xi = \frac{1}{|\ln \chi_1|},\qquad \mathbb E\|\delta_{L-k}\|^2 \propto
              \chi_1^{k} = e^{\pm k/\xi}

    (Schoenholz et al. write :math:`\xi_\nabla^{-1} = -\ln\chi_1` in the ordered phase);
    infinite on the critical line.

    >>> round(depth_scale(math.exp(-0.1)), 12)
    10.0
    """
    chi = _check.finite_float(chi, "chi")
    if chi <= 0:
        raise ValueError(f"chi must be > 0 (a factor of squared gradients), got {chi}")
    return math.inf if chi == 1.0 else 1.0 / abs(math.log(chi))


def _root(fun: Callable[[float], float], lo: float, hi: float, what: str) -> float:
    """The root of ``fun`` between lo and hi (where its signs differ) by the Illinois method.

    Regula falsi (the secant through the bracket's ends), halving the value kept at an
    end that stays twice in a row, so the bracket shrinks from both sides.
    """
    a, b = float(lo), float(hi)
    fa, fb = fun(a), fun(b)
    if fa == 0.0 or fb == 0.0:
        return a if fa == 0.0 else b
    if (fa > 0.0) == (fb > 0.0):
        raise ValueError(f"{what}: no sign change between {a:.6g} and {b:.6g}")
    for _ in range(200):
        c = b - fb * (b - a) / (fb - fa)
        fc = fun(c)
        if fc == 0.0:
            return c
        if (fc > 0.0) != (fb > 0.0):
            a, fa = b, fb
        else:
            fa *= 0.5
        b, fb = c, fc
        if abs(b - a) <= 4e-16 * max(abs(a), abs(b), 1e-300):
            break
    return b


def critical_sigma_w2(sigma_b2: float, activation: str | act.Activation = "tanh",
                      sigma_w2_max: float = 1e4) -> float:
    r"""The weight variance on the critical line for a bias variance: :math:`\chi_1(\sigma_w^2, \sigma_b^2) = 1`.

    Found by the Illinois method (regula falsi) on :math:`\ln\chi_1`, which increases with :math:`\sigma_w^2`
    along the searched range (checked at both ends).

    >>> round(critical_sigma_w2(0.0, "tanh"), 6)     # tanh'(0) = 1, q* = 0
    1.0
    """
    sigma_b2 = _sigmas(1.0, sigma_b2)[1]
    f = _activation(activation)
    if f.name in HOMOGENEOUS:                       # chi_1 = sigma_w2 E[f'(z)^2], q-free
        return 1.0 / derivative_moment(1.0, f)
    sigma_w2_max = _check.finite_float(sigma_w2_max, "sigma_w2_max")
    try:
        return math.exp(_root(lambda s: math.log(_chi_1(math.exp(s), sigma_b2, f)),
                              math.log(1e-3), math.log(sigma_w2_max),
                              f"critical_sigma_w2({sigma_b2}, {f.name!r})"))
    except ValueError:
        raise ValueError(f"sigma_b2={sigma_b2:g}: {f.name}'s critical line does not cross sigma_w2 in "
                         f"[1e-3, sigma_w2_max={sigma_w2_max:g}] (chi_1 stays on one side of 1); "
                         "use a smaller sigma_b2 or a larger sigma_w2_max") from None


def critical_line(sigma_b2_values: npt.ArrayLike,
                  activation: str | act.Activation = "tanh") -> np.ndarray:
    r""":math:`\sigma_w^2` on the critical line for each bias variance in ``sigma_b2_values``."""
    values = _check.finite_array(sigma_b2_values, "sigma_b2_values", ndim=1)
    if np.any(values < 0):
        raise ValueError(f"sigma_b2_values must be bias variances >= 0, got {values.min():g}")
    _check.budget("critical_line", work=values.size * 4e4 * _check.LOOP_COST)
    return np.array([critical_sigma_w2(float(s), activation) for s in values])


# --- one point and a grid ----------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class PhasePoint(Table):
    """The mean-field numbers at one (sigma_w2, sigma_b2): q*, chi_1, the phase and the depth scale."""

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi_1: float

    @property
    def phase(self) -> str:
        """'ordered' (chi_1 < 1), 'chaotic' (> 1) or 'critical' (within 1e-9)."""
        if abs(self.chi_1 - 1.0) <= 1e-9:
            return "critical"
        return "ordered" if self.chi_1 < 1.0 else "chaotic"

    @property
    def depth_scale(self) -> float:
        """1 / |ln chi_1| layers (see :func:`depth_scale`)."""
        return depth_scale(self.chi_1)

    _COLUMNS = ("activation", "sigma_w^2", "sigma_b^2", "q*", "chi_1", "phase", "depth scale")

    def rows(self) -> list[list[str]]:
        return [[self.activation, f"{self.sigma_w2:.4g}", f"{self.sigma_b2:.4g}",
                 f"{self.q_star:.4g}", f"{self.chi_1:.4f}", self.phase,
                 f"{self.depth_scale:.3g}"]]

    def _title(self) -> str:
        return "mean-field signal propagation"


def phase_point(sigma_w2: float, sigma_b2: float, activation: str | act.Activation = "tanh",
                q0: float = 1.0) -> PhasePoint:
    """q* and chi_1 at one point of the (sigma_w2, sigma_b2) plane.

    >>> phase_point(2.0, 0.0, "relu").phase
    'critical'
    """
    f = _activation(activation)
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    return PhasePoint(f.name, sigma_w2, sigma_b2, fixed_point(sigma_w2, sigma_b2, f, q0),
                      chi_1(sigma_w2, sigma_b2, f, q0))


@dataclass(frozen=True, repr=False)
class PhaseDiagram(Table):
    r"""chi_1 on a grid: ``chi[i, j]`` at ``sigma_b2[i]``, ``sigma_w2[j]``; the critical line beside it."""

    activation: str
    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    chi: np.ndarray
    critical_sigma_w2: np.ndarray

    @property
    def chaotic_fraction(self) -> float:
        """The fraction of grid points with chi_1 > 1."""
        return float(np.mean(self.chi > 1.0))

    _COLUMNS = ("sigma_b^2", "critical sigma_w^2", "ordered points", "chaotic points")

    def rows(self) -> list[list[str]]:
        picks = np.unique(np.linspace(0, self.sigma_b2.size - 1, 5).round().astype(int))
        return [[f"{self.sigma_b2[i]:.3g}", f"{self.critical_sigma_w2[i]:.4f}",
                 str(int(np.sum(self.chi[i] < 1.0))), str(int(np.sum(self.chi[i] > 1.0)))]
                for i in picks]

    def _title(self) -> str:
        return (f"{self.activation}: chi_1 on a {self.sigma_b2.size} x {self.sigma_w2.size} grid, "
                f"sigma_w^2 in [{self.sigma_w2[0]:.3g}, {self.sigma_w2[-1]:.3g}]")


def phase_diagram(activation: str | act.Activation = "tanh", sigma_w2: npt.ArrayLike | None = None,
                  sigma_b2: npt.ArrayLike | None = None) -> PhaseDiagram:
    r""":math:`\chi_1` on a grid of :math:`(\sigma_w^2, \sigma_b^2)` and the critical line.

    Defaults: 25 values of :math:`\sigma_w^2` and 9 of :math:`\sigma_b^2`, over ranges that
    show both phases of the activation (for sigmoid the line lies near
    :math:`\sigma_w^2 \approx 100`, because :math:`\sigma'(z) \le 1/4`).
    """
    f = _activation(activation)
    default_w = {"sigmoid": (10.0, 250.0), "relu": (0.5, 4.0)}.get(f.name, (0.25, 4.0))
    sigma_w2 = (np.linspace(*default_w, 25) if sigma_w2 is None
                else _check.finite_array(sigma_w2, "sigma_w2", ndim=1))
    sigma_b2 = (np.linspace(0.0, 2.0, 9) if sigma_b2 is None
                else _check.finite_array(sigma_b2, "sigma_b2", ndim=1))
    _check.nonempty(sigma_w2, "sigma_w2")
    _check.nonempty(sigma_b2, "sigma_b2")
    _check.budget("phase_diagram", work=(sigma_w2.size + 200) * sigma_b2.size * 300 * _check.LOOP_COST)
    chi = np.array([[chi_1(float(w), float(b), f) for w in sigma_w2] for b in sigma_b2])
    return PhaseDiagram(f.name, sigma_w2, sigma_b2, chi, critical_line(sigma_b2, f))


# --- what criticality costs: saturation ----------------------------------------------------

def saturation_threshold(activation: str | act.Activation = "sigmoid", level: float = 0.1) -> float:
    r"""The z > 0 at which :math:`f'(z) = \text{level}\cdot\max f'` (sigmoid, tanh).

    >>> round(saturation_threshold("tanh", 0.1), 6)      # 1 - tanh^2 = 0.1
    1.818446
    """
    f = act.get(activation)
    if not f.saturates:
        raise ValueError(f"activation must saturate (sigmoid or tanh), got {f.name!r}")
    level = _check.finite_float(level, "level")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), a fraction of the peak of f', got {level}")
    return _root(lambda z: level * f.peak_prime - float(f.prime(z)), 0.0, 100.0,
                 "saturation_threshold")


def saturation_fraction(q: float, activation: str | act.Activation = "sigmoid",
                        level: float = 0.1) -> float:
    r"""The fraction of units with :math:`f'(z) < \text{level}\cdot\max f'` when :math:`z \sim N(0, q)`.

    .. math:: P(|z| > z_{\text{sat}}) = \operatorname{erfc}\!\big(z_{\text{sat}} / \sqrt{2q}\big)

    (the same rule as the ``saturated`` column of :class:`vanishing.mlp.NetworkStats`).

    >>> round(saturation_fraction(1.0, "tanh"), 4)
    0.069
    """
    q = _variance(q)
    if q == 0.0:
        return 0.0
    return math.erfc(saturation_threshold(activation, level) / math.sqrt(2.0 * q))


# --- theory against measurement ------------------------------------------------------------

def _network(sigma_w2: float, sigma_b2: float, activation: str | act.Activation, depth: int,
             width: int, batch: int, seed: int) -> tuple[MLP, np.ndarray, Gradients]:
    """A network drawn at (sigma_w2, sigma_b2), fed gradient_profile's batch; (net, grads)."""
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    depth, width, batch = (_check.positive_int(v, n) for v, n in
                           ((depth, "depth"), (width, "width"), (batch, "batch")))
    seed = _check.seed(seed)
    profile_budget(depth, width, batch)
    net = MLP([width] * (depth + 1), activation=activation,
              init=normal(math.sqrt(sigma_w2 / width)), seed=seed)
    rng = np.random.default_rng([seed, 1])
    X = rng.standard_normal((batch, width))
    Y = rng.standard_normal((batch, width))
    if sigma_b2 > 0:
        bias_rng = np.random.default_rng([seed, 2])
        net.biases = [math.sqrt(sigma_b2) * bias_rng.standard_normal(width) for _ in range(depth)]
    _, grad = losses.mse(net.forward(X), Y)
    return net, X, net.backward(grad)


def measured_profile(sigma_w2: float, sigma_b2: float, activation: str | act.Activation = "tanh",
                     depth: int = 50, width: int = 64, batch: int = 128,
                     seed: int = 0) -> NetworkStats:
    r"""Per-layer gradient statistics of one finite network drawn at (sigma_w2, sigma_b2).

    Weights :math:`N(0, \sigma_w^2/n)`, biases :math:`N(0, \sigma_b^2)`; inputs, targets and
    Out (mean squared error) as in :func:`vanishing.mlp.gradient_profile`, which this
    reproduces exactly when :math:`\sigma_b^2 = 0`.
    """
    net, _, grads = _network(sigma_w2, sigma_b2, activation, depth, width, batch, seed)
    return net.stats(grads, title=f"{net!r}, sigma_w^2 = {float(sigma_w2):g}, "
                                  f"sigma_b^2 = {float(sigma_b2):g}, batch {batch}")


def per_example_grad_norms(sigma_w2: float, sigma_b2: float,
                           activation: str | act.Activation = "tanh",
                           depth: int = 50, width: int = 64, batch: int = 32,
                           seed: int = 0) -> np.ndarray:
    r"""Per layer, the geometric mean over the batch of one example's weight-gradient norm.

    For one example b the gradient of a layer is an outer product, so its norm factorises:

    .. math:: \Big\lVert\frac{\partial\,\mathrm{Out}_b}{\partial W_l}\Big\rVert
              = \lVert\delta_{l,b}\rVert\,\lVert a_{l-1,b}\rVert,

    and mean-field theory predicts both factors: :math:`\lVert\delta_{l,b}\rVert^2` gains
    :math:`\chi_1` per layer towards the input, :math:`\lVert a_{l-1,b}\rVert^2` stays at
    :math:`n\,\mathbb E[f(z)^2]` once :math:`q_l = q^*`. (The batch's summed gradient also
    holds products :math:`\delta_{l,b}\cdot\delta_{l,b'}` of different examples, which
    follow another rate.) Returns ``exp(mean_b ln(...))``, layer 1 first.
    """
    net, X, grads = _network(sigma_w2, sigma_b2, activation, depth, width, batch, seed)
    f = net.activation
    inputs = [X] + [f.f(U) for U in net.preactivations()[:-1]]
    with np.errstate(divide="ignore"):             # a norm that underflowed to 0 has log -inf: 0 below
        logs = [np.log(np.linalg.norm(d, axis=1)) + np.log(np.linalg.norm(a, axis=1))
                for d, a in zip(grads.delta, inputs)]
    return np.exp(np.array([v.mean() for v in logs]))


def predicted_log_slope(sigma_w2: float, sigma_b2: float,
                        activation: str | act.Activation = "tanh") -> float:
    r"""Mean-field slope of :math:`\ln\lVert\partial\mathrm{Out}_b/\partial W_l\rVert` against l.

    .. math:: \frac{d}{dl}\ln\lVert\delta_l\rVert\lVert a_{l-1}\rVert
              = -\tfrac12\ln\chi_1 + \tfrac12\ln r,

    where r is the growth of :math:`q_l` per layer: 1 at a finite fixed point, and
    :math:`\sigma_w^2\mathbb E[f(u)^2]` (= :math:`\chi_1` for ReLU) where the variance grows
    without bound, so that ReLU's weight-gradient norms stay level on both sides.

    >>> round(predicted_log_slope(1.0, 0.1, "relu"), 6) == round(-0.5 * math.log(0.5), 6)
    True
    """
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    f = _activation(activation)
    slope = -0.5 * math.log(_chi_1(sigma_w2, sigma_b2, f))
    if f.name in HOMOGENEOUS and math.isinf(fixed_point(sigma_w2, sigma_b2, f)):
        slope += 0.5 * math.log(sigma_w2 * _second_moment(1.0, f))
    return slope


def log_slope(values: npt.ArrayLike, first: int, last: int) -> float:
    r"""Least-squares slope of :math:`\ln v_l` against l over layers ``first``..``last`` (1-based).

    For :math:`v_l = \lVert\partial\mathrm{Out}/\partial W_l\rVert` mean-field theory predicts
    :math:`-\tfrac12\ln\chi_1` where :math:`q^*` is finite (the deltas' squared norm
    gains :math:`\chi_1` per layer towards the input, the activations stay put).

    >>> round(log_slope([1.0, 2.0, 4.0, 8.0], 1, 4), 12) == round(math.log(2.0), 12)
    True
    """
    v = _check.finite_array(values, "values", ndim=1)
    first, last = _check.positive_int(first, "first"), _check.positive_int(last, "last")
    if not first < last <= v.size:
        raise ValueError(f"need 1 <= first < last <= {v.size}, got first={first}, last={last}")
    v = v[first - 1:last]
    if np.any(v <= 0):
        raise ValueError("values must be > 0 to take logarithms")
    layers = np.arange(first, last + 1, dtype=np.float64)
    return float(np.polyfit(layers, np.log(v), 1)[0])


# --- dynamical isometry ----------------------------------------------------------------------

#: A random (Haar) orthogonal n x n matrix: the recurrent module's initialiser, under the name
#: the dynamical-isometry literature uses.
orthogonal_matrix = orthogonal


@dataclass(frozen=True, repr=False)
class JacobianSpectrum(Table):
    r"""Singular values of the input-output Jacobian :math:`J = D_L W_L \cdots D_1 W_1` of one network.

    ``singular_values`` holds all n of them, largest first. Pennington et al. (2017) measure
    the spread by the variance of :math:`\lambda = s^2` (eigenvalues of :math:`JJ^\top`).
    """

    activation: str
    weights: str
    depth: int
    width: int
    sigma_w2: float
    sigma_b2: float
    singular_values: np.ndarray

    @property
    def mean_squared(self) -> float:
        r""":math:`m_1 = \frac1n\sum s_i^2`, 1 on the critical line."""
        return float(np.mean(self.singular_values ** 2))

    @property
    def variance_squared(self) -> float:
        r""":math:`\frac1n\sum (s_i^2 - m_1)^2`: 0 for perfect isometry."""
        return float(np.var(self.singular_values ** 2))

    def fraction_within(self, factor: float = 2.0) -> float:
        """The fraction of singular values in [1/factor, factor]."""
        factor = _check.finite_float(factor, "factor")
        if factor < 1.0:
            raise ValueError(f"factor must be >= 1, got {factor}")
        s = self.singular_values
        return float(np.mean((s >= 1.0 / factor) & (s <= factor)))

    _COLUMNS = ("weights", "activation", "depth", "s_max", "mean s^2", "var s^2",
                "fraction in [1/2, 2]")

    def rows(self) -> list[list[str]]:
        return [[self.weights, self.activation, str(self.depth),
                 f"{self.singular_values[0]:.3g}", f"{self.mean_squared:.3g}",
                 _small(self.variance_squared), f"{self.fraction_within():.2f}"]]

    def _title(self) -> str:
        return (f"Jacobian singular values, width {self.width}, sigma_w^2 = {self.sigma_w2:.4g}, "
                f"sigma_b^2 = {self.sigma_b2:.4g}")


def _small(value: float) -> str:
    """3 significant digits, or "< 1e-12" for what is rounding (the same text on every CPU)."""
    return f"{value:.3g}" if abs(value) >= 1e-12 else "< 1e-12"


def jacobian_spectrum(depth: int, width: int, sigma_w2: float, sigma_b2: float = 0.0,
                      activation: str | act.Activation = "linear", weights: str = "gaussian",
                      seed: int = 0) -> JacobianSpectrum:
    r"""Singular values of :math:`J = \partial a_L / \partial a_0` at one input.

    .. math:: z_l = W_l a_{l-1} + b_l,\quad a_l = f(z_l),\qquad
              J = D_L W_L \cdots D_1 W_1,\quad D_l = \mathrm{diag}\,f'(z_l)

    ``weights="gaussian"``: the matrices of :func:`vanishing.products.random_matrices`
    (entries :math:`N(0, \sigma_w^2/n)`); ``"orthogonal"``: :math:`\sigma_w Q_l` with
    :math:`Q_l` Haar-orthogonal. The input is scaled so that :math:`q_1 = q^*`.
    """
    depth, width = _check.positive_int(depth, "depth"), _check.positive_int(width, "width")
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    weights = _check.choice(weights, "weights", ["gaussian", "orthogonal"])
    seed = _check.seed(seed)
    f = _activation(activation)
    _check.budget(f"jacobian_spectrum(depth={depth}, width={width})", nbytes=6 * 8 * width ** 2,
                  work=depth * (6 * width ** 3 + _check.LOOP_COST))
    q = fixed_point(sigma_w2, sigma_b2, f)
    q = 1.0 if math.isinf(q) else q
    rng = np.random.default_rng([seed, 3])
    a = math.sqrt(max(q - sigma_b2, 0.0) / sigma_w2) * rng.standard_normal(width)
    b_std = math.sqrt(sigma_b2)
    mats: Iterator[np.ndarray]
    if weights == "gaussian":
        mats = random_matrices(depth, width, math.sqrt(sigma_w2 / width), seed)
    else:
        mats = (math.sqrt(sigma_w2) * orthogonal_matrix(width, rng) for _ in range(depth))
    J = np.eye(width)
    for W in mats:
        z = W @ a + b_std * rng.standard_normal(width)
        a = f.f(z)
        J = f.prime(z)[:, None] * (W @ J)
    return JacobianSpectrum(f.name, weights, depth, width, sigma_w2, sigma_b2,
                            np.linalg.svd(J, compute_uv=False))


def predicted_spectrum_variance(depth: int, sigma_w2: float, sigma_b2: float = 0.0,
                                activation: str | act.Activation = "linear",
                                weights: str = "gaussian") -> float:
    r"""The variance of :math:`s^2` over the Jacobian's spectrum for infinite width, on the critical line.

    Pennington, Schoenholz and Ganguli (2017), with :math:`\chi_1 = \mu_1 = 1`:

    .. math:: \sigma^2_{JJ^\top} = L\Big(\frac{\mu_2}{\mu_1^2} - 1 - s_1\Big),\qquad
              \mu_k = \mathbb E_{z \sim N(0, q^*)}\big[(\sigma_w^2 f'(z)^2)^k\big],

    :math:`s_1 = -1` for Gaussian weights and 0 for orthogonal ones. For a linear
    network :math:`\mu_2 = \mu_1^2`: Gaussian gives :math:`L`, orthogonal gives 0.

    >>> predicted_spectrum_variance(10, 1.0, 0.0, "linear", "gaussian")
    10.0
    """
    depth = _check.positive_int(depth, "depth")
    sigma_w2, sigma_b2 = _sigmas(sigma_w2, sigma_b2)
    weights = _check.choice(weights, "weights", ["gaussian", "orthogonal"])
    f = _activation(activation)
    chi = chi_1(sigma_w2, sigma_b2, f)
    if abs(chi - 1.0) > 1e-8:
        raise ValueError(f"the formula holds on the critical line only; chi_1 = {chi:.6g} here "
                         "(use critical_sigma_w2 to pick sigma_w2)")
    q = _slope_variance(sigma_w2, sigma_b2, f, 1.0)
    mu1 = chi
    mu2 = sigma_w2 ** 2 * derivative_moment(q, f, power=4)
    s1 = -1.0 if weights == "gaussian" else 0.0
    return depth * (mu2 / mu1 ** 2 - 1.0 - s1)
