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
