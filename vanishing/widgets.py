r"""Interactive explorers: turn a knob, watch every layer's gradient move.

Two explorers, each a few ipywidgets controls around a figure that is redrawn
on every change:

- :func:`gradient_explorer`: the weight-gradient norm
  :math:`\lVert \partial\,\mathrm{Out}/\partial W_l \rVert` of every layer of a
  freshly initialised network (:func:`vanishing.mlp.gradient_profile`, Out = MSE),
  on a log scale, two activations side by side (sigmoid | ReLU by default),
  with depth, width, init, batch norm and residual switches;
- :func:`chain_explorer`: the scalar chain (:func:`vanishing.chain.trace_chain`,
  Out = :math:`a_L`) with its trace table and :math:`\log_{10}|\delta_l|` per layer.

The work is done by plain functions that need no browser, so scripts, tests
and benchmarks call them directly: :func:`compare_profiles` (numbers),
:func:`draw_gradient_comparison` (figure), :func:`render_gradient_comparison`
(both), and :func:`render_chain` / :func:`draw_chain` for the scalar chain.
The explorers only wire controls to them. ipywidgets and matplotlib are
imported inside the functions, so ``import vanishing`` stays light.

>>> fig = render_gradient_comparison(depth=10, width=16)
>>> [ax.get_title(loc="left") for ax in fig.axes]
['sigmoid', 'relu']
>>> len(fig.axes[0].lines[0].get_ydata())       # one point per layer
10
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

import numpy as np

from . import _check, plots
from . import activations as act
from .chain import format_power, trace_chain
from .mlp import compare_profiles, profile_budget

if TYPE_CHECKING:
    import ipywidgets
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .chain import ChainTrace
    from .mlp import NetworkStats

_N = TypeVar("_N", int, float)

__all__ = ["DEFAULTS", "CHAIN_DEFAULTS", "INITS", "draw_gradient_comparison",
           "render_gradient_comparison", "draw_chain", "render_chain",
           "gradient_explorer", "chain_explorer", "GradientExplorer", "ChainExplorer"]

#: The gradient explorer's starting point (and the defaults of the functions below).
DEFAULTS = dict(depth=20, width=64, batch=64, activations=("sigmoid", "relu"), init="he_normal",
                batchnorm=False, residual=False, seed=0)
#: The chain explorer's starting point: the anchor network of lesson 1.
CHAIN_DEFAULTS = dict(depth=4, weight=0.1, activation="sigmoid")
#: Initialisation schemes offered by the explorer (one name per scheme, no aliases).
INITS = ("xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "lecun_normal")
#: Control ranges: (smallest, largest) value a slider allows.
DEPTH_RANGE, WIDTH_RANGE, CHAIN_DEPTH_RANGE, WEIGHT_RANGE = (1, 100), (2, 256), (1, 1000), (-5.0, 5.0)

# fixed margins (see _new_figure): left and right in inches, bottom and top as fractions
_LEFT, _BOTTOM, _RIGHT, _TOP, _GAP = 0.75, 0.15, 0.25, 0.82, 0.11
# fixed axis-label offsets from the panel's edges, in inches (see _pin_labels): where
# matplotlib's automatic placement put them in the default figure ("1e-10" tick labels)
_XLABEL_DROP, _YLABEL_SHIFT = 0.29, 0.56


# --- the numbers ----------------------------------------------------------------

def _checked_settings(depth: int, width: int, batch: int, activations: str | Sequence[str],
                      init: str, batchnorm: bool, residual: bool, seed: int) -> dict[str, Any]:
    """The comparison's settings, checked, with errors that name the parameter."""
    if isinstance(activations, str):
        activations = (activations,)
    activations = tuple(activations)
    if not 1 <= len(activations) <= 4:
        raise ValueError(f"activations must name 1 to 4 activations (one per panel), "
                         f"got {len(activations)}")
    for a in activations:
        _check.choice(a, "activations", act.names())
    _check.choice(init, "init", INITS)
    s: dict[str, Any] = dict(depth=_check.positive_int(depth, "depth"),
                             width=_check.positive_int(width, "width"),
                             batch=_check.positive_int(batch, "batch"), activations=activations,
                             init=init, batchnorm=_check.flag(batchnorm, "batchnorm"),
                             residual=_check.flag(residual, "residual"),
                             seed=_check.seed(seed))
    profile_budget(s["depth"], s["width"], s["batch"])
    return s


# --- the picture ------------------------------------------------------------------

def _plain_power_of_ten(value: float, _pos: int | None = None) -> str:
    """Tick label "1e-8" for a power of ten (plain text: mathtext costs ~20 ms per redraw)."""
    exponent = math.log10(value)
    return f"1e{round(exponent)}" if abs(exponent - round(exponent)) < 1e-9 else ""


def _pin_labels(ax: Axes) -> None:
    """Fix the axis labels and titles of ``ax`` where they are, instead of moving them each redraw.

    By default matplotlib measures every tick label on each draw to push the
    axis labels past them and the titles above them; that measuring was about
    a third of a redraw. Here the x label hangs ``_XLABEL_DROP`` inches below
    the panel, the y label ``_YLABEL_SHIFT`` inches left of it, and the titles sit
    on the panel's top edge (where the automatic placement put them anyway).
    """
    from matplotlib.transforms import ScaledTranslation
    inches = ax.figure.dpi_scale_trans
    ax.xaxis.set_label_coords(0.5, 0.0, ax.transAxes + ScaledTranslation(0, -_XLABEL_DROP, inches))
    ax.yaxis.set_label_coords(0.0, 0.5, ax.transAxes + ScaledTranslation(-_YLABEL_SHIFT, 0, inches))
    for loc in ("left", "center", "right"):
        ax.set_title("", loc=loc, y=1.0)        # an explicit y switches the automatic placement off


def _new_figure(ncols: int, log_y: bool, width: float, height: float = 3.2) -> Figure:
    """A Figure with ``ncols`` panels, each with its own y axis, and one (empty) line per panel.

    The panels do not share the y axis: when one network's gradients are 10^8 and the
    other's about 1 (residual connections on), a shared axis would flatten the smaller one.

    Nothing is placed by measuring text on a redraw: the margins are fixed
    instead of computed by a layout engine (constrained layout measures every
    label on each redraw), and so are the axis labels and titles
    (:func:`_pin_labels`). An Agg canvas is attached once, so each redraw
    reuses it, and it renders each distinct text once (``stamp_text``): most
    tick labels and titles are the same from one update to the next.
    """
    from matplotlib import ticker
    fig, axes = plots.figure(ncols, width, height, margins=(_LEFT, _BOTTOM, _RIGHT, _TOP, _GAP),
                             stamp_text=True)
    for i, ax in enumerate(axes):
        _pin_labels(ax)
        if log_y:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(_plain_power_of_ten))
            ax.yaxis.set_minor_locator(ticker.NullLocator())     # ~100 minor ticks cost ~15 ms
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=5, integer=True))
        ax.plot([], [], marker="o", markersize=3, color=plots.PALETTE[i % len(plots.PALETTE)])
        ax.set_xlabel("layer l (1 = input side)")
    return fig


def _log_limits(values: np.ndarray) -> tuple[float, float]:
    """y limits around the positive finite ``values``: a margin of a tenth of the span, >= 2 decades."""
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return 0.1, 10.0
    lo, hi = math.log10(v.min()), math.log10(v.max())
    if hi - lo < 2.0:
        middle = (lo + hi) / 2
        lo, hi = middle - 1.0, middle + 1.0
    pad = 0.1 * (hi - lo)
    return 10.0 ** (lo - pad), 10.0 ** (hi + pad)


def draw_gradient_comparison(profiles: dict[str, NetworkStats], fig: Figure | None = None,
                             subtitle: str = "") -> Figure:
    """Plot each profile's per-layer weight-gradient norm, one panel each, each on its own log axis.

    ``profiles`` maps a panel label to a :class:`vanishing.mlp.NetworkStats`
    (see :func:`vanishing.mlp.compare_profiles`). Pass the ``fig`` returned by an earlier
    call to redraw in place (only the line data, titles and limits change),
    which is what the explorer does on every update. A layer whose gradient is
    exactly 0 (every unit dead) cannot sit on a log axis: it is left out and
    counted in the panel's title.
    """
    if not isinstance(profiles, dict) or not profiles:
        raise TypeError("profiles must be a non-empty dict {label: NetworkStats}, "
                        "for example compare_profiles()")
    if fig is None:
        fig = _new_figure(len(profiles), log_y=True, width=4.2 * len(profiles) + 0.5)
        fig.axes[0].set_ylabel(r"$\Vert\partial\,\mathrm{Out}/\partial W_l\Vert$")
    elif len(fig.axes) != len(profiles):
        raise ValueError(f"fig has {len(fig.axes)} panels but there are {len(profiles)} profiles: "
                         "pass fig=None for a new figure")
    for ax, (label, profile) in zip(fig.axes, profiles.items()):
        g = np.array(profile.grad_norm, dtype=np.float64)
        zeros = int(np.count_nonzero(g == 0.0))
        g[g == 0.0] = np.nan                             # log scale: an exact zero is not drawn
        ax.lines[0].set_data(np.arange(1, g.size + 1), g)
        ax.lines[0].set_markersize(3 if g.size <= 60 else 0)
        ax.set_title(label, loc="left", fontsize=11, fontweight="bold")
        first, last = profile.grad_norm[0], profile.grad_norm[-1]
        summary = (f"layer 1 / layer {g.size} = {first / last:.3g}" if last > 0
                   else f"layer {g.size}'s gradient is 0")
        if zeros:
            summary += f" ({zeros} zero layers)"
        ax.set_title(summary, loc="right", fontsize=8, color="0.3")
        ax.set_xlim(0.5, g.size + 0.5)
        ax.set_ylim(*_log_limits(g))
    fig.suptitle(subtitle, fontsize=9, x=0.5, y=0.985, va="top")
    return fig


def _subtitle(s: dict[str, Any]) -> str:
    extras = [name for name, on in (("batch norm", s["batchnorm"]), ("residual", s["residual"])) if on]
    return (f"depth {s['depth']}, width {s['width']}, batch {s['batch']}, init {s['init']}"
            f"{', ' + ', '.join(extras) if extras else ''}; Out = MSE, seed {s['seed']}")


def render_gradient_comparison(depth: int = 20, width: int = 64, batch: int = 64,
                               activations: str | Sequence[str] = ("sigmoid", "relu"),
                               init: str = "he_normal", batchnorm: bool = False,
                               residual: bool = False, seed: int = 0,
                               fig: Figure | None = None) -> Figure:
    """Compute the profiles (:func:`compare_profiles`) and draw them (:func:`draw_gradient_comparison`).

    This is one explorer update: pass the previous ``fig`` to redraw it in place.
    Nothing is cached: every call builds the networks and runs forward and backward.

    >>> fig = render_gradient_comparison(depth=8, width=16, activations=("tanh",))
    >>> fig.axes[0].get_title(loc="left")
    'tanh'
    """
    s = _checked_settings(depth, width, batch, activations, init, batchnorm, residual, seed)
    profiles = compare_profiles(**s)
    return draw_gradient_comparison(profiles, fig=fig, subtitle=_subtitle(s))


def draw_chain(trace: ChainTrace, fig: Figure | None = None) -> Figure:
    r"""Plot :math:`\log_{10}|\delta_l|` and :math:`\log_{10}|\partial\,\mathrm{Out}/\partial w_l|` per layer.

    The y axis is in powers of ten (log10 values on a linear axis), so a chain
    far beyond float64's range (a 1000-layer sigmoid chain) still plots.
    Pass the ``fig`` of an earlier call to redraw in place.
    """
    if fig is None:
        fig = _new_figure(1, log_y=False, width=4.6)
        ax = fig.axes[0]
        ax.plot([], [], marker="s", markersize=3, color=plots.PALETTE[1], linestyle="--")
        ax.set_ylabel(r"$\log_{10}$ of the magnitude")
    ax = fig.axes[0]
    layers = np.arange(1, trace.depth + 1)
    curves = []
    for line, values, label in zip(ax.lines, (trace.log10_delta, trace.log10_grad_w),
                                   (r"$|\delta_l| = |\partial\,\mathrm{Out}/\partial z_l|$",
                                    r"$|\partial\,\mathrm{Out}/\partial w_l|$")):
        y = np.where(np.isneginf(values), np.nan, values)   # an exact zero has no logarithm
        line.set_data(layers, y)
        line.set_markersize(3 if trace.depth <= 60 else 0)
        line.set_label(label)
        curves.append(y)
    # "best": the legend goes where no line is (a fixed corner covered dOut/dw of ReLU chains)
    ax.legend(loc="best", fontsize=9)
    y = np.concatenate(curves)
    y = y[np.isfinite(y)]
    lo, hi = (float(y.min()), float(y.max())) if y.size else (-1.0, 1.0)
    pad = max(0.5, 0.05 * (hi - lo))
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(0.5, trace.depth + 0.5)
    fig.suptitle(f"{trace.depth}-layer {'/'.join(sorted(set(trace.activation)))} chain, "
                 f"w = {trace.weights[0]:g}, x = {trace.x:g}; Out = a_{trace.depth}",
                 fontsize=9, x=0.5, y=0.985, va="top")
    ax.set_title(f"layer 1: delta = {format_power(trace.log10_delta[0], trace.sign_delta[0])}",
                 fontsize=10)
    return fig


def render_chain(depth: int = 4, weight: float = 0.1, activation: str = "sigmoid",
                 fig: Figure | None = None) -> Figure:
    """Trace the scalar chain (:func:`vanishing.chain.trace_chain`, Out = a_L) and draw it.

    >>> fig = render_chain(depth=1000, weight=0.1)
    >>> fig.axes[0].get_title()
    'layer 1: delta = 4.505e-1602'
    """
    return draw_chain(trace_chain(depth, weight, activation=activation), fig=fig)


# --- the explorers ------------------------------------------------------------------

def _in_range(value: object, name: str, bounds: tuple[float, float],
              kind: Callable[[object, str], _N]) -> _N:
    lo, hi = bounds
    value = kind(value, name)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi} in the explorer, got {value} "
                         "(call the render_* functions directly for other values)")
    return value


class _Explorer:
    """Controls, an Image widget showing the figure as a PNG (and ``beside`` it, optionally,
    another widget), and a status line; redraws on every change.

    ``controls`` maps a setting's name to its widget; set a control's ``value``
    (or move it in the browser) and :meth:`update` runs. ``figure`` is the
    matplotlib Figure, redrawn in place; ``last_update_seconds`` the time the
    last update took and ``last_split`` how it divides, in seconds: ``compute``
    the numbers, ``draw`` the figure (artists and pixels), ``png`` encode the
    pixels; ``error`` the message of a setting that could not be computed (the
    previous picture then stays).

    A subclass provides :meth:`_compute` and :meth:`_draw`.
    """

    css_class = "vanishing-explorer"

    def __init__(self, controls: dict[str, ipywidgets.ValueWidget],
                 rows: list[list[ipywidgets.Widget]],
                 beside: ipywidgets.Widget | None = None) -> None:
        import ipywidgets as w
        self.controls = controls
        self.image = w.Image(format="png", layout=w.Layout(min_height="120px"))
        self.image.add_class(f"{self.css_class}-plot")
        self.status = w.HTML()
        self.status.add_class(f"{self.css_class}-status")
        for name, control in controls.items():
            control.add_class(f"vanishing-{name}")
            control.observe(self._on_change, names="value")
        body = (self.image if beside is None else
                w.HBox([self.image, beside], layout=w.Layout(flex_flow="row wrap", align_items="center")))
        self.widget = w.VBox([*[w.HBox(r) for r in rows], body, self.status])
        self.widget.add_class("vanishing-explorer")
        self.widget.add_class(self.css_class)
        self.figure: Figure | None = None
        self.error: str | None = None
        self.updates = 0
        self.last_update_seconds = float("nan")
        self.last_split: dict[str, float] = {}
        self.update()

    @property
    def settings(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Recompute and redraw for the current settings (called on every change)."""
        clock = [time.perf_counter()]
        try:
            self._compute()
            clock.append(time.perf_counter())
            summary = self._draw()
        except (ValueError, TypeError) as err:       # a setting that cannot be computed
            self.error = str(err)
            self.status.value = f"<span style='color:#D55E00'>cannot draw this: {self.error}</span>"
            return
        assert self.figure is not None, "_draw() draws the figure"
        pixels = plots.rasterize(self.figure)
        clock.append(time.perf_counter())
        self.image.value = plots.encode_png(pixels)
        clock.append(time.perf_counter())
        self.last_split = dict(zip(("compute", "draw", "png"), np.diff(clock).tolist()))
        self.last_update_seconds = clock[-1] - clock[0]
        self.updates += 1
        self.error = None
        self.status.value = (f"<small>{summary} &middot; update {self.updates}: "
                             f"{1e3 * self.last_update_seconds:.0f} ms per update</small>")

    def _compute(self) -> None:
        """Compute the numbers for the current settings and keep them (raise on a bad setting)."""
        raise NotImplementedError

    def _draw(self) -> str:
        """Update ``figure`` from the numbers of :meth:`_compute`; return the status line's summary."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.widget)


class GradientExplorer(_Explorer):
    """Per-layer gradient norms, two activations side by side; see :func:`gradient_explorer`."""

    css_class = "vanishing-gradient-explorer"

    def __init__(self, depth: int = 20, width: int = 64, batch: int = 64, left: str = "sigmoid",
                 right: str = "relu", init: str = "he_normal", batchnorm: bool = False,
                 residual: bool = False, seed: int = 0) -> None:
        import ipywidgets as w
        _check.choice(left, "left", act.names())
        _check.choice(right, "right", act.names())
        s = _checked_settings(depth, width, batch, (left, right), init, batchnorm, residual, seed)
        _in_range(s["depth"], "depth", DEPTH_RANGE, _check.positive_int)
        _in_range(s["width"], "width", WIDTH_RANGE, _check.positive_int)
        self.batch, self.seed = s["batch"], s["seed"]
        style, names = {"description_width": "initial"}, act.names()
        controls = {
            "depth": w.IntSlider(s["depth"], *DEPTH_RANGE, description="depth", style=style),
            "width": w.IntSlider(s["width"], *WIDTH_RANGE, description="width", style=style),
            "left": w.Dropdown(options=names, value=left, description="left",
                               layout=w.Layout(width="170px"), style=style),
            "right": w.Dropdown(options=names, value=right, description="right",
                                layout=w.Layout(width="170px"), style=style),
            "init": w.Dropdown(options=INITS, value=init, description="init",
                               layout=w.Layout(width="190px"), style=style),
            "batchnorm": w.Checkbox(s["batchnorm"], description="batch norm", indent=False,
                                    layout=w.Layout(width="110px")),
            "residual": w.Checkbox(s["residual"], description="residual", indent=False,
                                   layout=w.Layout(width="100px")),
        }
        c = controls
        super().__init__(controls, [[c["depth"], c["width"]],
                                    [c["left"], c["right"], c["init"], c["batchnorm"], c["residual"]]])

    def _compute(self) -> None:
        v = self.settings
        s = _checked_settings(v["depth"], v["width"], self.batch, (v["left"], v["right"]), v["init"],
                              v["batchnorm"], v["residual"], self.seed)
        self.profiles = compare_profiles(**s)
        self._subtitle = _subtitle(s)

    def _draw(self) -> str:
        self.figure = draw_gradient_comparison(self.profiles, fig=self.figure, subtitle=self._subtitle)
        return "; ".join(f"{label}: layer 1 {p[0]:.2e}, layer {len(p)} {p[-1]:.2e}"
                         for label, p in self.profiles.items())


class ChainExplorer(_Explorer):
    """The scalar chain with its trace table; see :func:`chain_explorer`."""

    css_class = "vanishing-chain-explorer"

    def __init__(self, depth: int = 4, weight: float = 0.1, activation: str = "sigmoid") -> None:
        import ipywidgets as w
        depth = _in_range(depth, "depth", CHAIN_DEPTH_RANGE, _check.positive_int)
        weight = _in_range(weight, "weight", WEIGHT_RANGE, _check.finite_float)
        _check.choice(activation, "activation", act.names())
        style = {"description_width": "initial"}
        controls = {
            "depth": w.IntSlider(depth, *CHAIN_DEPTH_RANGE, description="depth", style=style),
            "weight": w.FloatSlider(weight, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=0.05,
                                    readout_format=".2f", description="weight w", style=style),
            "activation": w.Dropdown(options=act.names(), value=activation,
                                     description="activation", style=style,
                                     layout=w.Layout(width="200px")),
        }
        self.table = w.HTML()
        self.table.add_class("vanishing-chain-table")
        c = controls
        super().__init__(controls, [[c["depth"], c["weight"], c["activation"]]], beside=self.table)

    def _compute(self) -> None:
        v = self.settings
        self.trace = trace_chain(v["depth"], v["weight"], activation=v["activation"])

    def _draw(self) -> str:
        self.figure = draw_chain(self.trace, fig=self.figure)
        self.table.value = self.trace._repr_html_()
        t = self.trace
        return (f"layer 1: delta = {format_power(t.log10_delta[0], t.sign_delta[0])}, "
                f"layer {t.depth}: delta = {format_power(t.log10_delta[-1], t.sign_delta[-1])}")


def gradient_explorer(depth: int = 20, width: int = 64, batch: int = 64, left: str = "sigmoid",
                      right: str = "relu", init: str = "he_normal", batchnorm: bool = False,
                      residual: bool = False, seed: int = 0) -> GradientExplorer:
    """An interactive plot of every layer's gradient norm, two activations side by side.

    Controls: depth (1-100), width (2-256), the left and right activation, the
    init scheme, batch norm and residual connections. Each change rebuilds both
    networks (:func:`vanishing.mlp.compare_profiles`; ``batch`` and ``seed`` are fixed) and
    redraws :func:`draw_gradient_comparison`. Display the result (last line of
    a cell) to get the controls; read ``.profiles`` for the numbers behind the
    picture and ``.figure`` for the figure.
    """
    return GradientExplorer(depth, width, batch, left, right, init, batchnorm, residual, seed)


def chain_explorer(depth: int = 4, weight: float = 0.1,
                   activation: str = "sigmoid") -> ChainExplorer:
    """The scalar chain (one neuron per layer, Out = a_L) with live table and plot.

    Controls: depth (1-1000), the weight w of every layer (-5 to 5) and the
    activation. The trace table (layer 1 first, long chains show head and
    tail) and the plot of log10|delta_l| update on every change; ``.trace`` is
    the current :class:`vanishing.chain.ChainTrace`.
    """
    return ChainExplorer(depth, weight, activation)
