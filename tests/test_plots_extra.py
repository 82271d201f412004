"""plots.plot_histograms: panels side by side, shared or per-panel bins, shaded tails."""

import numpy as np

from vanishing import plots


def samples(seed=0):
    rng = np.random.default_rng(seed)
    return {"a": rng.standard_normal(500), "b": 3.0 * rng.standard_normal((10, 50))}


def test_plot_histograms_draws_one_panel_per_key_with_one_outline_per_label():
    fig = plots.plot_histograms({"left": samples(0), "right": samples(1)})
    assert [ax.get_title() for ax in fig.axes] == ["left", "right"]
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_plot_histograms_shades_both_tails_and_keeps_the_range():
    fig = plots.plot_histograms({"p": samples()}, value_range=(-8, 8), shade_beyond=2.0)
    (ax,) = fig.axes
    assert len(ax.patches) == 2 + 2              # two outlines, two shaded zones
    lo, hi = ax.get_xlim()
    assert lo <= -8 and hi >= 8


def test_plot_histograms_accepts_a_range_per_panel():
    fig = plots.plot_histograms({"wide": samples(), "narrow": samples()},
                                value_range={"wide": (-30, 30), "narrow": (-2, 2)})
    wide, narrow = (ax.get_xlim() for ax in fig.axes)
    assert wide[1] - wide[0] > 50 and narrow[1] - narrow[0] < 5
