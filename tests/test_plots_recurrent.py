"""The figures appended to vanishing.plots for the recurrent lessons (08, 09)."""

import numpy as np
import pytest

from vanishing import plots
from vanishing.recurrent import gradient_vs_lag


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
