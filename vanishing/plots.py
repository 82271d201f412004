"""Figures for the lessons: each function takes results and returns a matplotlib Figure.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), in a
colour-blind-safe palette (Okabe and Ito), and shown in a notebook with
:func:`show`, which displays only the PNG (no ``<Figure size ...>`` text) and
writes no timestamp or version into it, so stored outputs are reproducible.

>>> from vanishing.chain import trace_chain
>>> fig = plot_chain({"w = 0.1": trace_chain(10, 0.1)})
>>> len(fig.axes)
1
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Iterable, Sequence, TypeVar

import numpy as np
import numpy.typing as npt

from . import _check, activations, diagnose

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

    from .chain import ChainTrace
    from .lags import LagProfile
    from .mlp import NetworkStats
    from .products import ProductSpectrum
    from .train import TrainingHistory

_K = TypeVar("_K")
_V = TypeVar("_V")

__all__ = ["PALETTE", "figure", "show", "png", "rasterize", "encode_png", "legend", "LEGEND_SIZE",
           "STAT_LABELS", "plot_chain", "plot_activations", "plot_profiles", "plot_curves",
           "plot_histograms", "plot_saturation", "plot_weight_factor", "plot_log10_series",
           "plot_spectrum", "plot_lag_profiles",
           "plot_clipping_2d", "plot_gradient_histograms", "plot_learning_speed",
           "plot_update_ratios", "plot_activation_stats"]

# Okabe-Ito: distinguishable with every common colour-vision deficiency
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

#: Text sizes in points: legends and tick labels stay readable at the notebook's display size.
LEGEND_SIZE, LABEL_SIZE, TITLE_SIZE = 9.5, 11, 11.5

#: Axis labels (mathtext) for the per-layer statistics of :class:`vanishing.mlp.NetworkStats`.
STAT_LABELS = {
    "grad_norm": r"$\Vert\partial\,\mathrm{Out}/\partial W_l\Vert$",
    "delta_rms": r"rms of $\delta_l = \partial\,\mathrm{Out}/\partial Z_l$",
    "act_mean": r"mean of $a_l$",
    "act_std": r"std of $a_l$",
    "saturated": "fraction of saturated units",
    "dead": "fraction of dead units",
}


def nonempty_dict(value: dict[_K, _V], name: str) -> dict[_K, _V]:
    """``value`` if it is a dict with at least one entry (label -> data), else a clear error."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict label -> data, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must hold at least one entry, got an empty dict")
    return value


def figure(ncols: int = 1, width: float = 6.0, height: float = 3.2,
           margins: tuple[float, float, float, float, float] | None = None,
           stamp_text: bool = False) -> tuple[Figure, list[Axes]]:
    """A new Figure with ``ncols`` axes side by side (returns fig, list of axes).

    By default a layout engine places labels (constrained layout). ``margins`` =
    (left, bottom, right, top, gap) fixes them instead: left and right in inches, bottom and
    top as fractions of the height, gap between panels as a fraction of a panel's width. Measuring
    every label on each redraw costs about half of an explorer's update; fixed margins do not.
    Each axis keeps its own y scale. ``stamp_text=True`` (for a figure redrawn many times)
    renders each distinct text once and reuses its bitmap (see :mod:`vanishing._stamped_text`).
    """
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=90, layout=None if margins else "constrained")
    _canvas_class(stamp_text)(fig)           # attached once: every redraw reuses it
    if margins:
        left, bottom, right, top, gap = margins
        fig.subplots_adjust(left=left / width, right=1.0 - right / width, bottom=bottom, top=top,
                            wspace=gap * ncols)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    for ax in axes:
        ax.set_prop_cycle(color=PALETTE)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=LABEL_SIZE - 1)
        ax.xaxis.label.set_fontsize(LABEL_SIZE)
        ax.yaxis.label.set_fontsize(LABEL_SIZE)
        ax.title.set_fontsize(TITLE_SIZE)
    return fig, axes


def _canvas_class(stamp_text: bool) -> type:
    """The Agg canvas for a new figure: with text stamps when asked and matplotlib >= 3.11.

    (Up to 3.10 matplotlib draws each text as one bitmap anyway, which is what a stamp
    is; 3.11 shapes the text and places every glyph again on each draw.)
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
    if not stamp_text or (major, minor) < (3, 11):
        return FigureCanvasAgg
    from ._stamped_text import StampCanvas
    return StampCanvas


def legend(ax: Axes, **kwargs: Any) -> Legend:
    """The course's legend: LEGEND_SIZE pt text, a slightly translucent frame."""
    kwargs.setdefault("fontsize", LEGEND_SIZE)
    kwargs.setdefault("framealpha", 0.85)
    return ax.legend(**kwargs)


def png(fig: Figure, fast: bool = False) -> bytes:
    """``fig`` as PNG bytes, without the software tag (the same figure gives the same bytes).

    ``fast=True`` is what an explorer redrawing on every change wants: the pixels of
    :func:`rasterize` encoded by :func:`encode_png` (zlib level 1, no alpha channel when
    every pixel is opaque): the same pixels at the figure's dpi, about as many bytes
    (the missing alpha channel makes up for the weaker compression), and no ``savefig``
    bookkeeping.
    """
    if fast:
        return encode_png(rasterize(fig))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def rasterize(fig: Figure) -> np.ndarray:
    """Draw ``fig`` on its Agg canvas at the figure's dpi and return the pixels.

    Shape (height, width, 4), uint8 RGBA: a view of the canvas buffer, valid until the
    next draw. ``fig`` needs an Agg canvas (every :func:`figure` has one).

    >>> fig, _ = figure(width=2.0, height=1.0)
    >>> rasterize(fig).shape                        # 2 x 1 inches at 90 dpi
    (90, 180, 4)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        raise TypeError(f"fig must have an Agg canvas (plots.figure attaches one), "
                        f"got {type(canvas).__name__}")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def encode_png(pixels: np.ndarray, compress_level: int = 1) -> bytes:
    """RGBA ``pixels`` (height, width, 4), uint8, as PNG bytes, quickly.

    zlib level 1 (of 0-9) and, when every pixel is opaque, RGB instead of RGBA:
    a quarter fewer bytes to filter and compress, the same picture.

    >>> encode_png(np.full((2, 3, 4), 255, dtype=np.uint8))[:4]
    b'\\x89PNG'
    """
    from PIL import Image
    image = Image.fromarray(np.ascontiguousarray(pixels))             # (h, w, 4) uint8: RGBA
    if pixels[..., 3].min() == 255:
        image = image.convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=compress_level)
    return buf.getvalue()


def _labelled(fig: Figure, ax: Axes, xlabel: str, ylabel: str, title: str | None) -> Figure:
    """Axis labels, the title (if any) and the course's legend on a one-panel figure."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    legend(ax)
    return fig


def show(fig: Figure) -> None:
    """Display ``fig`` in a notebook as a PNG only, reproducibly."""
    from IPython.display import display
    display({"image/png": png(fig)}, raw=True)


LAYER_LABEL = "layer $l$ (1 = input side)"


def plot_chain(traces: dict[str, ChainTrace], quantity: str = "delta",
               title: str | None = None) -> Figure:
    """log10 |delta_l| (or |dOut/dw_l|) against layer l for several :class:`ChainTrace` s.

    ``traces`` maps a legend label to a trace. Log space, so chains far below
    float64's range still plot.
    """
    nonempty_dict(traces, "traces")
    if quantity not in ("delta", "grad_w"):
        raise ValueError(f"quantity must be 'delta' or 'grad_w', got {quantity!r}")
    fig, (ax,) = figure()
    for label, t in traces.items():
        ax.plot(np.arange(1, t.depth + 1), getattr(t, f"log10_{quantity}"), marker="o",
                markersize=3 if t.depth <= 50 else 0, label=label)
    ax.set_xlabel(LAYER_LABEL)
    ax.set_ylabel(r"$\log_{10}|\partial\,\mathrm{Out}/\partial z_l|$" if quantity == "delta"
                  else r"$\log_{10}|\partial\,\mathrm{Out}/\partial w_l|$")
    ax.set_title(title or f"{'delta' if quantity == 'delta' else 'weight gradient'} per layer")
    legend(ax)
    return fig


def plot_activations(names: Sequence[str] = ("sigmoid", "tanh"), z: npt.ArrayLike | None = None,
                     title: str = "f and f'") -> Figure:
    """Each activation f(z) (left panel) and its derivative f'(z) (right panel) on a grid of z.

    One colour and line style per activation, the same in both panels.
    """
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names:
        raise TypeError(f"names must be a non-empty list of activation names, got {names!r}")
    z = np.linspace(-6, 6, 401) if z is None else np.asarray(z, dtype=np.float64)
    fig, (left, right) = figure(ncols=2, width=8.0, height=3.3)
    styles = ["-", "--", "-.", ":"]
    for i, name in enumerate(names):
        f = activations.get(name, "names")
        style: dict[str, Any] = {"color": PALETTE[i % len(PALETTE)],
                                 "linestyle": styles[i % len(styles)], "linewidth": 1.8}
        left.plot(z, f.f(z), label=name, **style)
        right.plot(z, f.prime(z), label=name, **style)
    for ax, ylabel in ((left, "$f(z)$"), (right, "$f\\,'(z)$")):
        ax.set_xlabel("$z$")
        ax.set_ylabel(ylabel)
    left.set_title("activation", fontsize=LABEL_SIZE)
    right.set_title("derivative", fontsize=LABEL_SIZE)
    legend(left, loc="upper left")
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def plot_profiles(profiles: dict[str, NetworkStats], quantity: str = "grad_norm",
                  title: str | None = None) -> Figure:
    """A per-layer statistic (log scale) for several networks; ``profiles`` maps label -> NetworkStats."""
    nonempty_dict(profiles, "profiles")
    if quantity not in STAT_LABELS:
        raise ValueError(f"quantity must be one of {list(STAT_LABELS)}, got {quantity!r}")
    fig, (ax,) = figure()
    for label, p in profiles.items():
        values = np.asarray(getattr(p, quantity), dtype=np.float64)
        ax.semilogy(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    ax.set_xlabel(LAYER_LABEL)
    ax.set_ylabel(STAT_LABELS[quantity])
    ax.set_title(title or f"{STAT_LABELS[quantity]} per layer")
    legend(ax)
    return fig


def plot_curves(curves: dict[str, npt.ArrayLike], xlabel: str = "step", ylabel: str = "loss",
                log: bool = False, title: str | None = None) -> Figure:
    """Several curves (label -> sequence of values) on one axis, e.g. training losses."""
    nonempty_dict(curves, "curves")
    fig, (ax,) = figure()
    for label, values in curves.items():
        (ax.semilogy if log else ax.plot)(np.asarray(values, dtype=np.float64), label=label)
    return _labelled(fig, ax, xlabel, ylabel, title)


def plot_histograms(panels: dict[str, dict[str, npt.ArrayLike]], bins: int = 60,
                    value_range: tuple[float, float] | dict[str, tuple[float, float]] | None = None,
                    shade_beyond: float | None = None, xlabel: str = "z", title: str | None = None,
                    width: float = 8.0, height: float = 3.0) -> Figure:
    """Histograms side by side: ``panels`` maps a panel title to {legend label: values}.

    Each histogram is a density outline (values flattened), so several overlay
    readably. ``shade_beyond=t`` greys the zones |x| > t (for example where
    sigmoid' falls below a tenth of its peak); ``value_range=(lo, hi)`` fixes
    the bins, shared by every panel so the panels compare directly, or a dict
    {panel title: (lo, hi)} gives each panel its own.
    """
    nonempty_dict(panels, "panels")
    fig, axes = figure(ncols=len(panels), width=width, height=height)
    for ax, (panel_title, samples) in zip(axes, panels.items()):
        span = value_range.get(panel_title) if isinstance(value_range, dict) else value_range
        for label, values in samples.items():
            ax.hist(np.ravel(np.asarray(values, dtype=np.float64)), bins=bins,
                    range=span, density=True, histtype="step", linewidth=1.5,
                    label=label)
        if shade_beyond is not None:
            lo, hi = ax.get_xlim()
            ax.axvspan(lo, -shade_beyond, color="0.85", zorder=0)
            ax.axvspan(shade_beyond, hi, color="0.85", zorder=0)
            ax.set_xlim(lo, hi)
        ax.set_title(panel_title, fontsize=LABEL_SIZE)
        ax.set_xlabel(xlabel)
        legend(ax)
    axes[0].set_ylabel("density")
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


# --- lessons 02 and 03: saturation, weight factors, growth with depth, matrix products ----------

def _crossing(z: np.ndarray, fprime: np.ndarray, level: float) -> float | None:
    """The z >= 0 where a decreasing f'(z) crosses ``level`` (linear interpolation in log f'), or None."""
    keep = z >= 0
    zs, logs = z[keep], np.log(np.maximum(fprime[keep], 1e-300))
    if not (logs.min() < np.log(level) < logs.max()) or np.any(np.diff(logs) > 0):
        return None
    return float(np.interp(np.log(level), logs[::-1], zs[::-1]))


def plot_saturation(names: Sequence[str] = ("sigmoid",), levels: Sequence[float] = (0.1, 0.01),
                    z: npt.ArrayLike | None = None,
                    title: str = "f'(z) on a log scale") -> Figure:
    """f'(z) on a log axis with horizontal lines at ``levels``; dots where each f' falls below a level.

    On a log axis the tails of sigma' are straight lines: sigma'(z) ~ e^{-|z|}.
    """
    z = np.linspace(-10, 10, 801) if z is None else np.asarray(z, dtype=np.float64)
    fig, (ax,) = figure()
    for i, name in enumerate(names):
        f = activations.get(name)
        colour = PALETTE[i % len(PALETTE)]
        fp = f.prime(z)
        ax.semilogy(z, fp, color=colour, label=f"{name}$'(z)$")
        for level in levels:
            zc = _crossing(z, fp, level)
            if zc is not None:
                ax.plot([-zc, zc], [level, level], "o", color=colour, markersize=4)
    styles = [":", "--", "-.", (0, (5, 1, 1, 1, 1, 1))]
    for j, level in enumerate(levels):
        ax.axhline(level, color="0.4", linestyle=styles[j % len(styles)], linewidth=1,
                   label=f"level {level:g}")
    ax.set_xlabel("$z$")
    ax.set_ylabel("$f\\,'(z)$")
    ax.set_title(title)
    legend(ax, loc="lower center")
    return fig


def plot_weight_factor(a_values: Sequence[float] = (0.5, 1.0), w: npt.ArrayLike | None = None,
                       bound: float | None = None, activation: str = "sigmoid",
                       title: str | None = None, ymin: float = 1e-4) -> Figure:
    """The per-layer factor |w f'(w a)| against the weight w (log-log), one curve per input a.

    With ``bound`` = max over u of |u f'(u)|, a dashed line marks bound / |a|:
    no weight can push the factor above it, since w f'(w a) = (u f'(u)) / a for u = w a.
    The y axis starts at ``ymin``: below it the factor is negligible anyway.
    """
    f = activations.get(activation)
    w = np.logspace(-1, 2, 400) if w is None else np.asarray(w, dtype=np.float64)
    fig, (ax,) = figure()
    for i, a in enumerate(a_values):
        colour = PALETTE[i % len(PALETTE)]
        with np.errstate(divide="ignore"):             # log10 of an exact 0 is -inf: not drawn
            ax.loglog(w, np.abs(w * f.prime(w * a)), color=colour, label=f"$a = {a:g}$")
        if bound is not None:
            ax.axhline(bound / abs(a), color=colour, linestyle="--", linewidth=1,
                       label=f"bound $M/{abs(a):g} = {bound / abs(a):.4f}$")
    ax.axhline(1.0, color="0.3", linewidth=1, label="factor 1")
    ax.set_ylim(ymin, 3.0)
    ax.set_xlabel("weight $w$")
    ax.set_ylabel(f"$|w\\,f\\,'(w a)|$, $f$ = {activation}")
    ax.set_title(title or "per-layer factor against the weight")
    legend(ax)
    return fig


def plot_log10_series(series: dict[str, tuple[npt.ArrayLike, npt.ArrayLike]],
                      xlabel: str = "depth $L$",
                      ylabel: str = r"$\log_{10}|\mathrm{value}|$",
                      title: str | None = None, logx: bool = False,
                      marker: str = "o") -> Figure:
    """Curves of magnitudes already in log10 (label -> (x, log10 y)), so any size can be drawn.

    Use it for quantities beyond float64's range, such as a gradient of 10^-1602.
    """
    nonempty_dict(series, "series")
    fig, (ax,) = figure()
    styles = ["-", "--", "-.", ":"]                  # curves that coincide stay visible
    for i, (label, (x, y)) in enumerate(series.items()):
        ax.plot(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), marker=marker,
                markersize=3, linestyle=styles[i % len(styles)], label=label)
    if logx:
        ax.set_xscale("log")
    return _labelled(fig, ax, xlabel, ylabel, title)


def plot_spectrum(spectra: dict[str, ProductSpectrum], title: str | None = None) -> Figure:
    """Random matrix products (label -> :class:`vanishing.products.ProductSpectrum`) against depth.

    Left: log10 sigma_max (solid) and sigma_min (dashed) of P_L = W_L ... W_1, with the
    line L log10(s sqrt n) dotted. Right: log10 of the condition number sigma_max / sigma_min.
    """
    nonempty_dict(spectra, "spectra")
    fig, (left, right) = figure(ncols=2, width=9.0, height=3.8)
    for i, (label, spec) in enumerate(spectra.items()):
        colour = PALETTE[i % len(PALETTE)]
        left.plot(spec.depths, spec.log10_sigma_max, color=colour, linewidth=2.5, alpha=0.6,
                  label=label)
        left.plot(spec.depths, spec.log10_sigma_min, color=colour, linestyle="--")
        # the prediction on top, thin and black, so it stays visible on the solid line it tracks
        left.plot(spec.depths, spec.depths * spec.predicted_rate, color="black", linestyle=":",
                  linewidth=1.4, zorder=3, label=r"$L\,\log_{10}(s\sqrt{n})$" if i == len(spectra) - 1 else None)
        right.plot(spec.depths, spec.log10_condition, color=colour, label=label)
    left.set_xlabel("depth $L$")
    left.set_ylabel(r"$\log_{10}\sigma$ of $P_L$")
    left.set_title(r"$\sigma_{\max}$ (solid), $\sigma_{\min}$ (dashed)", fontsize=LABEL_SIZE)
    legend(left)
    right.set_xlabel("depth $L$")
    right.set_ylabel(r"$\log_{10}(\sigma_{\max}/\sigma_{\min})$")
    right.set_title("condition number", fontsize=LABEL_SIZE)
    legend(right)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def plot_lag_profiles(profiles: dict[str, LagProfile], quantity: str = "ratio",
                      reference: dict[str, tuple[npt.ArrayLike, npt.ArrayLike]] | None = None,
                      title: str | None = None) -> Figure:
    """A per-lag quantity of several :class:`~vanishing.recurrent.LagProfile` s on a log scale.

    ``profiles`` maps a legend label to a profile; ``quantity`` is "ratio"
    (||dOut/dh_t|| / ||dOut/dh_T||), "dh_norm", "dc_norm", "dc_ratio", "gate_product" or
    "path_norm",
    against the lag k = T - t. ``reference`` maps labels to (lags, values) drawn dotted in
    the same colours, in order (for example a bound sigma_max ** k).
    """
    nonempty_dict(profiles, "profiles")
    allowed = ("ratio", "dh_norm", "dc_norm", "dc_ratio", "gate_product", "path_norm")
    if quantity not in allowed:
        raise ValueError(f"quantity must be one of {list(allowed)}, got {quantity!r}")
    grad = r"\Vert\partial\,\mathrm{Out}/\partial %s\Vert"
    labels = {"ratio": f"${grad % 'h_t'}\\,/\\,{grad % 'h_T'}$", "dh_norm": f"${grad % 'h_t'}$",
              "dc_norm": f"${grad % 'c_t'}$",
              "dc_ratio": f"${grad % 'c_t'}\\,/\\,{grad % 'c_T'}$",
              "gate_product": "mean product of gates",
              "path_norm": "norm carried by the gate path"}
    fig, (ax,) = figure(width=8.0, height=3.4)
    for i, (label, p) in enumerate(profiles.items()):
        values = getattr(p, quantity)
        if values is None:
            raise ValueError(f"profile {label!r} has no {quantity} (an RNN has no gates or cell)")
        ax.semilogy(p.lag, np.asarray(values, dtype=np.float64), color=PALETTE[i % len(PALETTE)],
                    label=label)
    for i, (label, (lags, values)) in enumerate((reference or {}).items()):
        ax.semilogy(np.asarray(lags), np.asarray(values, dtype=np.float64), linestyle=":",
                    color=PALETTE[i % len(PALETTE)], label=label)
    ax.set_xlabel("time lag $k = T - t$ (steps back from the readout)")
    ax.set_ylabel(labels[quantity])
    ax.set_title(title or f"{labels[quantity]} versus lag", fontsize=TITLE_SIZE)
    legend(ax, loc="center left", bbox_to_anchor=(1.02, 0.5))     # outside: never over the lines
    return fig


def plot_clipping_2d(vectors: dict[str, npt.ArrayLike], threshold: float,
                     title: str | None = None) -> Figure:
    """2-D gradients as arrows from the origin, with the two clipping regions.

    ``vectors`` maps a label to a 2-vector (e.g. the raw, norm-clipped and value-clipped
    gradient). Dashed: the circle of radius ``threshold`` (norm clipping projects onto it
    along the ray); dotted: the square [-threshold, threshold]^2 (value clipping clamps
    each coordinate into it).
    """
    from matplotlib.patches import Circle, Rectangle
    fig, (ax,) = figure(width=7.5, height=3.6)
    c = float(threshold)
    ax.add_patch(Circle((0, 0), c, fill=False, linestyle="--", color="grey",
                        label=f"$\\Vert g\\Vert = {c:g}$"))
    ax.add_patch(Rectangle((-c, -c), 2 * c, 2 * c, fill=False, linestyle=":", color="grey",
                           label=f"$|g_i| \\leq {c:g}$"))
    x_reach, y_reach = c, c
    for i, (label, v) in enumerate(vectors.items()):
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (2,):
            raise ValueError(f"vector {label!r} must have 2 entries, got shape {v.shape}")
        colour = PALETTE[i % len(PALETTE)]
        # the first (raw) one wide and pale underneath; the others thin on top, with open
        # heads, so that an arrow lying along another one (norm clipping) stays visible
        width, alpha, style = ((7, 0.35, "-|>,head_length=0.6,head_width=0.35") if i == 0
                               else (2, 1.0, "->,head_length=0.5,head_width=0.25"))
        ax.annotate("", xy=tuple(v), xytext=(0, 0), zorder=2 + i,
                    arrowprops={"arrowstyle": style, "color": colour, "lw": width, "alpha": alpha,
                                "shrinkA": 0, "shrinkB": 0})
        ax.plot([v[0]], [v[1]], "o", color=colour, markersize=4 + 2 * (i == 0), zorder=2 + i)
        ax.plot([], [], color=colour, lw=width, alpha=alpha, label=label)   # legend entry
        x_reach = max(x_reach, float(np.max(np.abs(v[0]))))
        y_reach = max(y_reach, float(np.max(np.abs(v[1]))))
    ax.set_xlim(-1.15 * c, 1.1 * x_reach)
    ax.set_ylim(-1.15 * c, 1.15 * y_reach)
    ax.set_aspect("equal")
    ax.set_xlabel("$g_1$")
    ax.set_ylabel("$g_2$")
    ax.set_title(title or "clipping a 2-D gradient", fontsize=TITLE_SIZE)
    legend(ax, loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


# --- diagnosis (the figures of vanishing.diagnose) ------------------------------------------

def plot_gradient_histograms(lg: diagnose.LayerGradients, layers: Iterable[int] | None = None,
                             bins: int = 40) -> Figure:
    """Histograms of log10 |dLoss/dW_l| for the chosen layers (default: first, middle, last)."""
    L = len(lg.grads)
    layers = sorted({1, (L + 1) // 2, L}) if layers is None else list(layers)
    if not layers or not all(1 <= _check.positive_int(l, "layers") <= L for l in layers):
        raise ValueError(f"layers must be a non-empty list of layers in 1..{L}, got {layers}")
    fig, (ax,) = figure()
    for i, l in enumerate(layers):
        ax.hist(lg.log10_abs(l), bins=bins, alpha=0.6, color=PALETTE[i % len(PALETTE)],
                label=f"layer {l}")
    ax.set_xlabel("log10 |dLoss/dW|")
    ax.set_ylabel("count")
    ax.set_title("weight-gradient histograms")
    ax.legend(fontsize=8)
    return fig


def plot_learning_speed(history: TrainingHistory, title: str = "speed of learning") -> Figure:
    """|dLoss/dW_l| over training steps, one line per layer, log scale."""
    speed = diagnose.learning_speed(history)
    fig, (ax,) = figure()
    for l in range(speed.shape[1]):
        ax.semilogy(speed[:, l], label=f"layer {l + 1}")
    ax.set_xlabel("step")
    ax.set_ylabel("|dLoss/dW_l|")
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=2)
    return fig




def plot_update_ratios(histories: TrainingHistory | dict[str, TrainingHistory],
                       target: float = diagnose.UPDATE_RATIO_TARGET,
                       title: str | None = None) -> Figure:
    r"""The update-to-data ratio over training steps, one line per layer, log scale.

    .. math:: \frac{\lVert\eta\,\partial L/\partial W_l\rVert}{\lVert W_l\rVert}

    ``histories``: one :class:`~vanishing.train.TrainingHistory` or a dict label -> history
    (one panel each, side by side, shared y axis). A dashed line marks ``target`` and a grey
    band one decade either side. Steps with a zero ratio (a dead layer) are not drawn.
    """
    histories = nonempty_dict(histories if isinstance(histories, dict) else {"": histories},
                              "histories")
    if not all(hasattr(h, "update_ratio") for h in histories.values()):
        raise TypeError("histories must be a TrainingHistory or a dict label -> TrainingHistory")
    fig, axes = figure(ncols=len(histories), width=4.2 * len(histories) + 0.8, height=3.2)
    for ax, (label, h) in zip(axes, histories.items()):
        ratios = diagnose.update_ratios(h)
        shown = np.where(ratios > 0, ratios, np.nan)
        for l in range(ratios.shape[1]):
            ax.semilogy(shown[:, l], label=f"layer {l + 1}")
        ax.axhspan(target / 10, target * 10, color="0.9", zorder=0)
        ax.axhline(target, color="0.3", linestyle="--", linewidth=1, label=f"{target:g}")
        ax.set_xlabel("step")
        ax.set_title(label, fontsize=10)
        ax.legend(fontsize=7, ncols=2)
    axes[0].set_ylabel("||lr dW_l|| / ||W_l||")
    if len(axes) > 1:
        lo = min(ax.get_ylim()[0] for ax in axes)
        hi = max(ax.get_ylim()[1] for ax in axes)
        for ax in axes:
            ax.set_ylim(lo, hi)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_activation_stats(stats: NetworkStats | dict[str, NetworkStats],
                          title: str | None = None) -> Figure:
    """Per-layer activation statistics of one or several networks (dict label -> NetworkStats).

    Three panels against the layer: the standard deviation of the activations over the
    batch and the units (log scale: a layer whose output barely varies carries little
    information about the input), the saturated fraction and the dead fraction (each 0 to 1).
    """
    stats = nonempty_dict(stats if isinstance(stats, dict) else {"": stats}, "stats")
    fig, axes = figure(ncols=3, width=9.0, height=3.0)
    panels = (("act_std", "activation std"), ("saturated", "saturated fraction"),
              ("dead", "dead fraction"))
    for ax, (field_name, label) in zip(axes, panels):
        for name, s in stats.items():
            values = np.asarray(getattr(s, field_name), dtype=np.float64)
            layers = np.arange(1, len(values) + 1)
            if field_name == "act_std":
                ax.semilogy(layers, np.where(values > 0, values, np.nan), marker="o",
                            markersize=3, label=name)
            else:
                ax.plot(layers, values, marker="o", markersize=3, label=name)
                ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("layer l")
        ax.set_title(label, fontsize=10)
    if any(stats):
        axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
