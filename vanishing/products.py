r"""Products of random matrices: how a deep linear map stretches and squeezes.

Backpropagation through L linear layers multiplies by L matrices. For weights
:math:`W_l` of shape ``(width, width)`` with i.i.d. entries :math:`N(0, s^2)`
the product

.. math:: P_L = W_L W_{L-1} \cdots W_1

(layer 1 applied first, as in :math:`z_l = W_l a_{l-1}`) has singular values
that grow or shrink exponentially with depth, each at its own rate. For one
vector, :math:`E\,\|W x\|^2 = n s^2 \|x\|^2` exactly, so the typical scale per
layer is :math:`s\sqrt{n}` and a product behaves like :math:`(s\sqrt{n})^L`.
The exact rates (Lyapunov exponents, Newman 1986) are, for :math:`i = 1..n`,

.. math:: \lambda_i = \ln s + \tfrac12\Big(\ln 2 + \psi\big(\tfrac{n - i + 1}{2}\big)\Big)
          \qquad (\psi = \text{digamma}),

so :math:`\sigma_{\max}(P_L) \approx e^{\lambda_1 L}` with
:math:`\lambda_1 = \ln(s\sqrt{n}) - \tfrac{1}{2n} + O(n^{-2})`, while the smallest
singular value shrinks at :math:`\lambda_n = \ln s - 0.635`, whatever the width:
the condition number :math:`\sigma_{\max}/\sigma_{\min}` grows exponentially even
at the "critical" scale :math:`s = 1/\sqrt{n}`.

A direct product overflows float64 (about 1.8e308), and rounding hides every
singular value below about 1e-16 times the largest. :func:`product_spectrum`
avoids both the way Lyapunov exponents are computed: it rescales after every
layer and adds up the logarithms of the scale factors. The largest singular
value comes from the product, the smallest from the product of the inverses,
since :math:`\sigma_{\min}(P) = 1/\sigma_{\max}(P^{-1})`.

>>> spec = product_spectrum(depth=3, width=4, std=0.5, seed=0)
>>> spec.log10_sigma_max.shape
(3,)
>>> bool(spec.log10_sigma_max[-1] >= spec.log10_sigma_min[-1])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import numpy.typing as npt

from . import _check
from .chain import format_power
from .table import Table

__all__ = ["ProductSpectrum", "product_spectrum", "random_matrices", "lyapunov_exponents",
           "FLOAT64_LOG10_MAX"]

FLOAT64_LOG10_MAX = math.log10(np.finfo(np.float64).max)     # 308.25: beyond it, inf
_EULER_GAMMA = 0.5772156649015329
_LOG10_E = math.log10(math.e)


def _std(std: float) -> float:
    std = _check.finite_float(std, "std")
    if not 1e-100 <= std <= 1e100:
        raise ValueError(f"std must be in [1e-100, 1e100] (a zero matrix has no spectrum to "
                         f"follow; beyond, one layer over- or underflows float64), got {std}")
    return std


def random_matrices(depth: int, width: int, std: float, seed: int = 0) -> Iterator[np.ndarray]:
    r"""Yield ``depth`` matrices :math:`W_1, \dots, W_L` of shape ``(width, width)``, entries N(0, std^2).

    The same ``seed`` always gives the same matrices, in the same order, as
    :func:`product_spectrum` uses, so a direct product can be compared with it.

    >>> [W.shape for W in random_matrices(2, 3, 1.0)]
    [(3, 3), (3, 3)]
    """
    depth = _check.positive_int(depth, "depth")
    width = _check.positive_int(width, "width")
    std = _std(std)
    _check.budget(f"random_matrices(depth={depth}, width={width})", nbytes=2 * 8 * width * width,
                  work=depth * (width * width + _check.LOOP_COST))
    rng = np.random.default_rng(_check.seed(seed))
    for _ in range(depth):
        yield std * rng.standard_normal((width, width))


def _digamma_half(m: np.ndarray) -> np.ndarray:
    r""":math:`\psi(m/2)` for positive integers m, from the exact values at integers and half-integers.

    .. math:: \psi(k) = -\gamma + \sum_{j=1}^{k-1} \frac1j,\qquad
              \psi(k + \tfrac12) = -\gamma - 2\ln 2 + \sum_{j=1}^{k} \frac{2}{2j - 1}
    """
    m = np.asarray(m, dtype=np.int64)
    top = int(m.max()) // 2 + 1
    j = np.arange(1, top, dtype=np.float64)
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / j)])              # sum_{j<k} 1/j at [k-1]
    odd = np.concatenate([[0.0], np.cumsum(2.0 / (2.0 * j - 1.0))])     # sum_{j<=k} 2/(2j-1) at [k]
    k, half = np.divmod(m, 2)
    return np.where(half == 0, -_EULER_GAMMA + harmonic[np.maximum(k - 1, 0)],
                    -_EULER_GAMMA - 2.0 * math.log(2.0) + odd[k])


def lyapunov_exponents(width: int, std: float) -> np.ndarray:
    r"""The exact per-layer growth rates, in log10, of all singular values of a Gaussian product.

    .. math:: \frac{\lambda_i}{\ln 10} = \log_{10} e\;\Big(\ln s + \tfrac12\big(\ln 2 +
              \psi(\tfrac{n - i + 1}{2})\big)\Big),\qquad i = 1, \dots, n

    (largest first). :math:`\log_{10}\sigma_i(P_L) / L` tends to entry i as L grows.

    >>> rates = lyapunov_exponents(width=1, std=1.0)     # E log10 |g| for g ~ N(0, 1)
    >>> round(float(rates[0]), 4)
    -0.2759
    """
    width = _check.positive_int(width, "width")
    std = _std(std)
    _check.budget(f"lyapunov_exponents(width={width})", nbytes=6 * 8 * width, work=20 * width)
    m = width - np.arange(width)                      # n - i + 1 for i = 1..n
    return (math.log(std) + 0.5 * (math.log(2.0) + _digamma_half(m))) * _LOG10_E


@dataclass(frozen=True, repr=False)
class ProductSpectrum(Table):
    r"""The largest and smallest singular value of :math:`P_l = W_l \cdots W_1` for l = 1..depth.

    All magnitudes are log10, so they never overflow: ``log10_sigma_max[l - 1]``
    is :math:`\log_{10}\sigma_{\max}(P_l)`, likewise ``log10_sigma_min``;
    ``log10_vector_norm`` follows :math:`\|P_l x\|` for one random unit vector x
    (what a single signal or gradient experiences). ``log10_condition`` is their
    difference :math:`\log_{10}(\sigma_{\max}/\sigma_{\min})`.
    """

    depth: int
    width: int
    std: float
    seed: int
    log10_sigma_max: np.ndarray
    log10_sigma_min: np.ndarray
    log10_vector_norm: np.ndarray

    @property
    def depths(self) -> np.ndarray:
        """1, 2, ..., depth."""
        return np.arange(1, self.depth + 1)

    @property
    def log10_condition(self) -> np.ndarray:
        r""":math:`\log_{10}(\sigma_{\max}(P_l) / \sigma_{\min}(P_l))` per depth."""
        return self.log10_sigma_max - self.log10_sigma_min

    @property
    def gain(self) -> float:
        r"""The typical per-layer scale :math:`s\sqrt{n}` (root mean square of :math:`\|W x\|/\|x\|`)."""
        return self.std * math.sqrt(self.width)

    @property
    def predicted_rate(self) -> float:
        r""":math:`\log_{10}(s\sqrt{n})`: the per-layer growth of a product "like (s sqrt n)^L"."""
        return math.log10(self.gain)

    @property
    def exact_rates(self) -> tuple[float, float]:
        """(largest, smallest) per-layer log10 rates from :func:`lyapunov_exponents`."""
        rates = lyapunov_exponents(self.width, self.std)
        return float(rates[0]), float(rates[-1])

    @property
    def rate_max(self) -> float:
        r"""Measured per-layer growth of :math:`\log_{10}\sigma_{\max}` (see :meth:`rate`)."""
        return self.rate(self.log10_sigma_max)

    @property
    def rate_min(self) -> float:
        r"""Measured per-layer growth of :math:`\log_{10}\sigma_{\min}` (see :meth:`rate`)."""
        return self.rate(self.log10_sigma_min)

    def rate(self, values: npt.ArrayLike) -> float:
        r"""Average growth per layer of a per-depth log10 sequence, after a burn-in.

        .. math:: \frac{y_L - y_b}{L - b},\qquad b = \lfloor L/10 \rfloor + 1

        The first layers are skipped because a product needs a few layers to
        line up with its fastest (and slowest) directions.
        """
        values = _check.float_array(values, "values")
        if values.shape != (self.depth,):
            raise ValueError(f"values must have one entry per depth (shape ({self.depth},)), "
                             f"got shape {values.shape}")
        if self.depth == 1:
            return float(values[0])
        b = self.depth // 10 + 1
        if b >= self.depth:
            b = 1
        return float((values[-1] - values[b - 1]) / (self.depth - b))

    def overflow_depth(self) -> int | None:
        """The first depth at which sigma_max of the product exceeds float64's largest number, or None."""
        beyond = np.nonzero(self.log10_sigma_max > FLOAT64_LOG10_MAX)[0]
        return int(beyond[0]) + 1 if beyond.size else None

    # --- the readable table ------------------------------------------------------
    _COLUMNS = ("depth L", "sigma_max", "sigma_min", "condition", "(s sqrt n)^L")

    def table_depths(self) -> list[int]:
        """1, 2, 5, 10, 20, 50, ... up to ``depth`` (always including ``depth``)."""
        picks: list[int] = []
        decade = 1
        while decade <= self.depth:
            picks += [d for d in (decade, 2 * decade, 5 * decade) if d <= self.depth]
            decade *= 10
        return sorted(set(picks) | {self.depth})

    def rows(self, depths: Iterable[int] | None = None) -> list[list[str]]:
        depths = self.table_depths() if depths is None else list(depths)
        rows = []
        for d in depths:
            d = _check.positive_int(d, "depth in depths")
            if d > self.depth:
                raise ValueError(f"depths must be <= {self.depth}, got {d}")
            i = d - 1
            rows.append([str(d), format_power(self.log10_sigma_max[i]),
                         format_power(self.log10_sigma_min[i]),
                         format_power(self.log10_condition[i]),
                         format_power(d * self.predicted_rate)])
        return rows

    def _title(self) -> str:
        return (f"P_L = W_L ... W_1, W_l of shape ({self.width}, {self.width}) with entries "
                f"N(0, {self.std:.4g}^2), s sqrt(n) = {self.gain:.4g}, seed {self.seed}")




def _largest_singular_value(M: np.ndarray) -> float:
    return float(np.linalg.svd(M, compute_uv=False)[0])


def product_spectrum(depth: int, width: int, std: float, seed: int = 0) -> ProductSpectrum:
    r"""Follow :math:`\sigma_{\max}` and :math:`\sigma_{\min}` of :math:`P_l = W_l \cdots W_1` for l = 1..depth.

    The scale is taken out after every layer and kept as a logarithm:

    .. math::
        P_l = c_l\,\hat P_l,\quad \hat P_l = W_l \hat P_{l-1} / \sigma_{\max}(W_l \hat P_{l-1}),\quad
        \log_{10} c_l = \log_{10} c_{l-1} + \log_{10}\sigma_{\max}(W_l \hat P_{l-1}),

    so :math:`\log_{10}\sigma_{\max}(P_l) = \log_{10} c_l` exactly, with no overflow.
    The same is done for the inverse :math:`P_l^{-1} = P_{l-1}^{-1} W_l^{-1}` (a linear
    solve per layer), whose largest singular value is :math:`1/\sigma_{\min}(P_l)`:
    so the smallest singular value is accurate too, even when it is far below
    1e-16 times the largest (where an SVD of the product itself returns noise).

    Parameters
    ----------
    depth : int >= 1, the number of layers L.
    width : int >= 1, n (the matrices are n x n).
    std : float > 0, the standard deviation s of every entry.
    seed : int >= 0, the matrices are those of :func:`random_matrices` with this seed.

    >>> spec = product_spectrum(depth=50, width=64, std=1 / 8)     # s sqrt(n) = 1
    >>> spec.gain, bool(spec.log10_condition[-1] > 16)              # beyond a direct SVD
    (1.0, True)
    """
    depth = _check.positive_int(depth, "depth")
    width = _check.positive_int(width, "width")
    std = _std(std)
    seed = _check.seed(seed)
    _check.budget(f"product_spectrum(depth={depth}, width={width})", nbytes=8 * 8 * width * width,
                  work=depth * (30 * width ** 3 + _check.LOOP_COST))
    x = np.random.default_rng([seed, 1]).standard_normal(width)
    x /= np.linalg.norm(x)

    P = np.eye(width)               # P_l / c_l
    P_inv = np.eye(width)           # P_l^{-1} * d_l
    log_c = log_d = log_x = 0.0
    top, bottom, vec = (np.empty(depth) for _ in range(3))
    for l, W in enumerate(random_matrices(depth, width, std, seed)):
        P = W @ P
        scale = _largest_singular_value(P)
        P /= scale
        log_c += math.log10(scale)
        try:                                           # P_inv @ inv(W), without forming inv(W)
            P_inv = np.linalg.solve(W.T, P_inv.T).T
        except np.linalg.LinAlgError:
            raise ValueError(f"W_{l + 1} is singular, so sigma_min of the product is 0; "
                             "use another seed") from None
        scale_inv = _largest_singular_value(P_inv)
        P_inv /= scale_inv
        log_d += math.log10(scale_inv)
        x = W @ x
        norm_x = float(np.linalg.norm(x))
        x /= norm_x
        log_x += math.log10(norm_x)
        top[l], bottom[l], vec[l] = log_c, -log_d, log_x
    return ProductSpectrum(depth=depth, width=width, std=std, seed=seed,
                           log10_sigma_max=top, log10_sigma_min=bottom, log10_vector_norm=vec)
