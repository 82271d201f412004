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

import numpy as np

__all__ = ["PALETTE", "figure", "show", "plot_chain", "plot_activations", "plot_profiles",
           "plot_curves"]

# Okabe-Ito: distinguishable with every common colour-vision deficiency
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def figure(ncols: int = 1, width: float = 6.0, height: float = 3.2):
    """A new Figure with ``ncols`` axes side by side (returns fig, list of axes)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    for ax in axes:
        ax.set_prop_cycle(color=PALETTE)
        ax.grid(True, alpha=0.3)
    return fig, axes


def show(fig) -> None:
    """Display ``fig`` in a notebook as a PNG only, reproducibly."""
    from IPython.display import display
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    display({"image/png": buf.getvalue()}, raw=True)


def plot_chain(traces: dict, quantity: str = "delta", title: str | None = None):
    """log10 |delta_l| (or |dOut/dw_l|) against layer l for several :class:`ChainTrace` s.

    ``traces`` maps a legend label to a trace. Log space, so chains far below
    float64's range still plot.
    """
    if quantity not in ("delta", "grad_w"):
        raise ValueError(f"quantity must be 'delta' or 'grad_w', got {quantity!r}")
    fig, (ax,) = figure()
    for label, t in traces.items():
        ax.plot(np.arange(1, t.depth + 1), getattr(t, f"log10_{quantity}"), marker="o",
                markersize=3 if t.depth <= 50 else 0, label=label)
    ax.set_xlabel("layer l (1 = input side)")
    ax.set_ylabel("log10 |dOut/dz_l|" if quantity == "delta" else "log10 |dOut/dw_l|")
    ax.set_title(title or f"{'delta' if quantity == 'delta' else 'weight gradient'} per layer")
    ax.legend()
    return fig


def plot_activations(names=("sigmoid", "tanh"), z=None, title: str = "f and f'"):
    """Each activation (solid) and its derivative (dashed) on a grid of z."""
    from . import activations
    z = np.linspace(-6, 6, 401) if z is None else np.asarray(z, dtype=np.float64)
    fig, (ax,) = figure()
    for i, name in enumerate(names):
        f = activations.get(name)
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(z, f.f(z), color=colour, label=f"{name}(z)")
        ax.plot(z, f.prime(z), color=colour, linestyle="--", label=f"{name}'(z)")
    ax.set_xlabel("z")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_profiles(profiles: dict, quantity: str = "grad_norm", title: str | None = None):
    """A per-layer statistic (log scale) for several networks; ``profiles`` maps label -> NetworkStats."""
    fig, (ax,) = figure()
    for label, p in profiles.items():
        values = np.asarray(getattr(p, quantity), dtype=np.float64)
        ax.semilogy(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    ax.set_xlabel("layer l (1 = input side)")
    ax.set_ylabel(quantity)
    ax.set_title(title or f"{quantity} per layer")
    ax.legend(fontsize=8)
    return fig


def plot_curves(curves: dict, xlabel: str = "step", ylabel: str = "loss", log: bool = False,
                title: str | None = None):
    """Several curves (label -> sequence of values) on one axis, e.g. training losses."""
    fig, (ax,) = figure()
    for label, values in curves.items():
        (ax.semilogy if log else ax.plot)(np.asarray(values, dtype=np.float64), label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_histograms(panels: dict, bins: int = 60, value_range=None, shade_beyond=None,
                    xlabel: str = "z", title: str | None = None, width: float = 8.0,
                    height: float = 3.0):
    """Histograms side by side: ``panels`` maps a panel title to {legend label: values}.

    Each histogram is a density outline (values flattened), so several overlay
    readably. ``shade_beyond=t`` greys the zones |x| > t (for example where
    sigmoid' falls below a tenth of its peak); ``value_range=(lo, hi)`` fixes
    the bins, shared by every panel so the panels compare directly, or a dict
    {panel title: (lo, hi)} gives each panel its own.
    """
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
        ax.set_title(panel_title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("density")
    if title:
        fig.suptitle(title)
    return fig


__all__ += ["plot_histograms"]


# --- lessons 02 and 03: saturation, weight factors, growth with depth, matrix products ----------

def _crossing(z, fprime, level):
    """The z >= 0 where a decreasing f'(z) crosses ``level`` (linear interpolation in log f'), or None."""
    keep = z >= 0
    zs, logs = z[keep], np.log(np.maximum(fprime[keep], 1e-300))
    if not (logs.min() < np.log(level) < logs.max()) or np.any(np.diff(logs) > 0):
        return None
    return float(np.interp(np.log(level), logs[::-1], zs[::-1]))


def plot_saturation(names=("sigmoid",), levels=(0.1, 0.01), z=None, title: str = "f'(z) on a log scale"):
    """f'(z) on a log axis with horizontal lines at ``levels``; dots where each f' falls below a level.

    On a log axis the tails of sigma' are straight lines: sigma'(z) ~ e^{-|z|}.
    """
    from . import activations
    z = np.linspace(-10, 10, 801) if z is None else np.asarray(z, dtype=np.float64)
    fig, (ax,) = figure()
    for i, name in enumerate(names):
        f = activations.get(name)
        colour = PALETTE[i % len(PALETTE)]
        fp = f.prime(z)
        ax.semilogy(z, fp, color=colour, label=f"{name}'(z)")
        for level in levels:
            zc = _crossing(z, fp, level)
            if zc is not None:
                ax.plot([-zc, zc], [level, level], "o", color=colour, markersize=4)
    styles = [":", "--", "-.", (0, (5, 1, 1, 1, 1, 1))]
    for j, level in enumerate(levels):
        ax.axhline(level, color="0.4", linestyle=styles[j % len(styles)], linewidth=1,
                   label=f"level {level:g}")
    ax.set_xlabel("z")
    ax.set_ylabel("f'(z)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower center")
    return fig


def plot_weight_factor(a_values=(0.5, 1.0), w=None, bound=None, activation: str = "sigmoid",
                       title: str | None = None, ymin: float = 1e-4):
    """The per-layer factor |w f'(w a)| against the weight w (log-log), one curve per input a.

    With ``bound`` = max over u of |u f'(u)|, a dashed line marks bound / |a|:
    no weight can push the factor above it, since w f'(w a) = (u f'(u)) / a for u = w a.
    The y axis starts at ``ymin``: below it the factor is negligible anyway.
    """
    from . import activations
    f = activations.get(activation)
    w = np.logspace(-1, 2, 400) if w is None else np.asarray(w, dtype=np.float64)
    fig, (ax,) = figure()
    for i, a in enumerate(a_values):
        colour = PALETTE[i % len(PALETTE)]
        with np.errstate(divide="ignore"):             # log10 of an exact 0 is -inf: not drawn
            ax.loglog(w, np.abs(w * f.prime(w * a)), color=colour, label=f"a = {a:g}")
        if bound is not None:
            ax.axhline(bound / abs(a), color=colour, linestyle="--", linewidth=1,
                       label=f"bound {bound:.4f} / {abs(a):g}")
    ax.axhline(1.0, color="0.3", linewidth=1, label="factor 1")
    ax.set_ylim(ymin, 3.0)
    ax.set_xlabel("weight w")
    ax.set_ylabel(f"|w {activation}'(w a)|")
    ax.set_title(title or "per-layer factor against the weight")
    ax.legend(fontsize=8)
    return fig


def plot_log10_series(series: dict, xlabel: str = "depth L", ylabel: str = "log10 |value|",
                      title: str | None = None, logx: bool = False, marker: str = "o"):
    """Curves of magnitudes already in log10 (label -> (x, log10 y)), so any size can be drawn.

    Use it for quantities beyond float64's range, such as a gradient of 10^-1602.
    """
    fig, (ax,) = figure()
    styles = ["-", "--", "-.", ":"]                  # curves that coincide stay visible
    for i, (label, (x, y)) in enumerate(series.items()):
        ax.plot(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), marker=marker,
                markersize=3, linestyle=styles[i % len(styles)], label=label)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_spectrum(spectra: dict, title: str | None = None):
    """Random matrix products (label -> :class:`vanishing.products.ProductSpectrum`) against depth.

    Left: log10 sigma_max (solid) and sigma_min (dashed) of P_L = W_L ... W_1, with the
    line L log10(s sqrt n) dotted. Right: log10 of the condition number sigma_max / sigma_min.
    """
    fig, (left, right) = figure(ncols=2, width=8.0, height=3.4)
    for i, (label, spec) in enumerate(spectra.items()):
        colour = PALETTE[i % len(PALETTE)]
        left.plot(spec.depths, spec.log10_sigma_max, color=colour, label=f"{label}: max")
        left.plot(spec.depths, spec.log10_sigma_min, color=colour, linestyle="--",
                  label=f"{label}: min")
        left.plot(spec.depths, spec.depths * spec.predicted_rate, color=colour, linestyle=":",
                  linewidth=1)
        right.plot(spec.depths, spec.log10_condition, color=colour, label=label)
    left.set_xlabel("depth L")
    left.set_ylabel("log10 singular value of P_L")
    left.set_title("largest (solid), smallest (dashed)", fontsize=9)
    left.legend(fontsize=7)
    right.set_xlabel("depth L")
    right.set_ylabel("log10 (sigma_max / sigma_min)")
    right.set_title("condition number", fontsize=9)
    right.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


__all__ += ["plot_saturation", "plot_weight_factor", "plot_log10_series", "plot_spectrum"]


def plot_lag_profiles(profiles: dict, quantity: str = "ratio", reference: dict | None = None,
                      title: str | None = None):
    """A per-lag quantity of several :class:`~vanishing.recurrent.LagProfile` s on a log scale.

    ``profiles`` maps a legend label to a profile; ``quantity`` is "ratio"
    (||dOut/dh_t|| / ||dOut/dh_T||), "dh_norm", "dc_norm", "dc_ratio", "gate_product" or
    "path_norm",
    against the lag k = T - t. ``reference`` maps labels to (lags, values) drawn dotted in
    the same colours, in order (for example a bound sigma_max ** k).
    """
    allowed = ("ratio", "dh_norm", "dc_norm", "dc_ratio", "gate_product", "path_norm")
    if quantity not in allowed:
        raise ValueError(f"quantity must be one of {list(allowed)}, got {quantity!r}")
    labels = {"ratio": "||dOut/dh_t|| / ||dOut/dh_T||", "dh_norm": "||dOut/dh_t||",
              "dc_norm": "||dOut/dc_t||", "dc_ratio": "||dOut/dc_t|| / ||dOut/dc_T||",
              "gate_product": "mean product of gates",
              "path_norm": "norm carried by the gate path"}
    fig, (ax,) = figure()
    for i, (label, p) in enumerate(profiles.items()):
        values = getattr(p, quantity)
        if values is None:
            raise ValueError(f"profile {label!r} has no {quantity} (an RNN has no gates or cell)")
        ax.semilogy(p.lag, np.asarray(values, dtype=np.float64), color=PALETTE[i % len(PALETTE)],
                    label=label)
    for i, (label, (lags, values)) in enumerate((reference or {}).items()):
        ax.semilogy(np.asarray(lags), np.asarray(values, dtype=np.float64), linestyle=":",
                    color=PALETTE[i % len(PALETTE)], label=label)
    ax.set_xlabel("time lag k = T - t (steps back from the readout)")
    ax.set_ylabel(labels[quantity])
    ax.set_title(title or f"{labels[quantity]} versus lag", fontsize=10)
    ax.legend(fontsize=7)
    return fig


__all__ += ["plot_lag_profiles"]


def plot_clipping_2d(vectors: dict, threshold: float, title: str | None = None):
    """2-D gradients as arrows from the origin, with the two clipping regions.

    ``vectors`` maps a label to a 2-vector (e.g. the raw, norm-clipped and value-clipped
    gradient). Dashed: the circle of radius ``threshold`` (norm clipping projects onto it
    along the ray); dotted: the square [-threshold, threshold]^2 (value clipping clamps
    each coordinate into it).
    """
    from matplotlib.patches import Circle, Rectangle
    fig, (ax,) = figure(width=5.0, height=2.4)
    c = float(threshold)
    ax.add_patch(Circle((0, 0), c, fill=False, linestyle="--", color="grey",
                        label=f"||g|| = {c:g}"))
    ax.add_patch(Rectangle((-c, -c), 2 * c, 2 * c, fill=False, linestyle=":", color="grey",
                           label=f"|g_i| <= {c:g}"))
    x_reach, y_reach = c, c
    for i, (label, v) in enumerate(vectors.items()):
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (2,):
            raise ValueError(f"vector {label!r} must have 2 entries, got shape {v.shape}")
        colour = PALETTE[i % len(PALETTE)]
        width, alpha = (5, 0.45) if i == 0 else (2, 1.0)   # the first (raw) one underneath
        ax.annotate("", xy=tuple(v), xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": width, "alpha": alpha})
        ax.plot([], [], color=colour, lw=width, alpha=alpha, label=label)   # legend entry
        x_reach = max(x_reach, float(np.max(np.abs(v[0]))))
        y_reach = max(y_reach, float(np.max(np.abs(v[1]))))
    ax.set_xlim(-0.2 * x_reach, 1.1 * x_reach)
    ax.set_ylim(-0.2 * y_reach, 1.15 * y_reach)
    ax.set_aspect("equal")
    ax.set_xlabel("g_1")
    ax.set_ylabel("g_2")
    ax.set_title(title or "clipping a 2-D gradient", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


__all__ += ["plot_clipping_2d"]
