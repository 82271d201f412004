"""Figures: every plot function returns a matplotlib Figure with the panels, lines and labels it promises."""

import numpy as np
import pytest

from vanishing import plots
from vanishing.lags import gradient_vs_lag


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


def test_plot_lag_profiles_draws_one_log_scale_curve_per_profile_plus_references():
    profiles = {"rnn": gradient_vs_lag("rnn", T=15, n_hidden=4, recurrent_scale=0.5),
                "lstm": gradient_vs_lag("lstm", T=15, n_hidden=4)}
    fig = plots.plot_lag_profiles(profiles, reference={"0.5^k": (np.arange(15), 0.5 ** np.arange(15))})
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 3
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), profiles["rnn"].ratio)


def test_plot_lag_profiles_rejects_an_unknown_quantity_and_a_missing_cell_state():
    p = gradient_vs_lag("rnn", T=5, n_hidden=3)
    with pytest.raises(ValueError, match="quantity"):
        plots.plot_lag_profiles({"rnn": p}, quantity="delta")
    with pytest.raises(ValueError, match="no dc_ratio"):
        plots.plot_lag_profiles({"rnn": p}, quantity="dc_ratio")


def test_plot_clipping_2d_draws_the_circle_the_square_and_every_arrow():
    fig = plots.plot_clipping_2d({"raw": [3.0, 0.5], "by norm": [0.99, 0.16], "by value": [1.0, 0.5]}, 1.0)
    (ax,) = fig.axes
    assert len(ax.patches) == 2
    assert len(ax.texts) == 3                   # one annotation arrow per vector
    assert ax.get_xlim()[1] >= 3.0
    with pytest.raises(ValueError, match="2 entries"):
        plots.plot_clipping_2d({"bad": [1.0, 2.0, 3.0]}, 1.0)
