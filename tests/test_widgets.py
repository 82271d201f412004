"""The explorers of vanishing.widgets, built headless (no browser, no kernel).

The browser test (tests/test_browser.py) drives the same explorers in JupyterLab.
"""

import subprocess
import sys

import numpy as np
import pytest

from vanishing import mlp, plots, widgets
from vanishing.chain import trace_chain
from vanishing.mlp import gradient_profile


def shown_png(explorer) -> bytes:
    """The PNG the explorer's Image widget currently shows."""
    return bytes(explorer.image.value)


def line_data(fig, panel=0):
    line = fig.axes[panel].lines[0]
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


# --- the compute and draw functions --------------------------------------------------

def test_import_vanishing_widgets_loads_neither_matplotlib_nor_ipywidgets():
    code = ("import sys, vanishing, vanishing.widgets; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_compare_profiles_gives_gradient_profile_of_each_activation_in_order():
    profiles = mlp.compare_profiles(depth=6, width=8, batch=16, activations=("tanh", "relu"),
                                        init="xavier_normal", seed=3)
    assert list(profiles) == ["tanh", "relu"]
    for name, p in profiles.items():
        expected = gradient_profile(6, 8, 16, name, "xavier_normal", seed=3)
        np.testing.assert_array_equal(p.grad_norm, expected.grad_norm)


def test_repeated_activation_gets_numbered_panel_labels():
    profiles = mlp.compare_profiles(depth=3, width=4, batch=8, activations=("relu", "relu"))
    assert list(profiles) == ["relu (1)", "relu (2)"]


def test_render_gradient_comparison_plots_every_layer_norm_on_its_own_log_axis():
    fig = widgets.render_gradient_comparison(depth=12, width=16, batch=32)
    profiles = mlp.compare_profiles(depth=12, width=16, batch=32)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["sigmoid", "relu"]
    for panel, p in enumerate(profiles.values()):
        x, y = line_data(fig, panel)
        np.testing.assert_array_equal(x, np.arange(1, 13))
        np.testing.assert_array_equal(y, p.grad_norm)
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    for ax, p in zip(fig.axes, profiles.values()):       # each panel spans its own values
        lo, hi = ax.get_ylim()
        assert lo < p.grad_norm.min() and p.grad_norm.max() < hi
        assert np.log10(hi / lo) < np.log10(p.grad_norm.max() / p.grad_norm.min()) + 3


def test_a_small_profile_is_not_flattened_by_a_large_one_in_the_other_panel():
    fig = widgets.render_gradient_comparison(depth=20, width=64, activations=("tanh", "relu"),
                                             residual=True)
    tanh_lo, tanh_hi = fig.axes[0].get_ylim()
    relu_lo, relu_hi = fig.axes[1].get_ylim()
    assert relu_lo > tanh_hi                              # the two ranges do not even overlap


def test_the_chain_legend_does_not_cover_the_weight_gradient_line():
    fig = widgets.render_chain(depth=4, weight=0.1, activation="relu")
    ax = fig.axes[0]
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    xy = ax.transData.transform(np.column_stack(ax.lines[1].get_data()))
    assert not any(box.contains(x, y) for x, y in xy)


def test_redraw_in_place_reuses_the_figure_and_changes_the_data():
    fig = widgets.render_gradient_comparison(depth=10, width=16)
    png_before = plots.png(fig)
    again = widgets.render_gradient_comparison(depth=30, width=16, fig=fig)
    assert again is fig and len(fig.axes) == 2
    assert len(line_data(fig)[1]) == 30
    assert plots.png(fig) != png_before


def test_the_sigmoid_panel_shows_layer_1_far_below_the_last_layer_by_default():
    fig = widgets.render_gradient_comparison()
    _, sigmoid = line_data(fig, 0)
    _, relu = line_data(fig, 1)
    assert sigmoid[0] < 1e-6 * sigmoid[-1]
    assert 0.1 < relu[0] / relu[-1] < 10
    assert fig.axes[0].get_title(loc="right") == f"layer 1 / layer 20 = {sigmoid[0] / sigmoid[-1]:.3g}"


def test_layers_with_zero_gradient_are_left_out_of_the_log_plot_and_counted():
    # 100 layers of 4 ReLU units: some layer has every unit dead, so every gradient below it is 0
    fig = widgets.render_gradient_comparison(depth=100, width=4, activations=("relu",),
                                             init="xavier_normal")
    _, y = line_data(fig)
    assert np.isnan(y).all()
    assert "(100 zero layers)" in fig.axes[0].get_title(loc="right")


def test_render_chain_plots_log10_delta_even_beyond_float64():
    fig = widgets.render_chain(depth=1000, weight=0.1)
    trace = trace_chain(1000, 0.1)
    x, y = line_data(fig)
    np.testing.assert_array_equal(y, trace.log10_delta)
    assert y[0] < -1000 and trace.delta[0] == 0.0      # plotted although float64 reads 0
    assert "e-16" in fig.axes[0].get_title()


def test_draw_gradient_comparison_rejects_a_figure_with_the_wrong_number_of_panels():
    fig = widgets.render_gradient_comparison(depth=3, width=4, activations=("relu",))
    with pytest.raises(ValueError, match="fig has 1 panels but there are 2 profiles"):
        widgets.draw_gradient_comparison(mlp.compare_profiles(depth=3, width=4), fig=fig)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(depth=0), ValueError, "depth must be an integer >= 1"),
    (dict(depth=2.5), TypeError, "depth must be an integer"),
    (dict(width="64"), TypeError, "width must be an integer"),
    (dict(activations=("sigmoid", "softmax")), ValueError, "activations must be one of"),
    (dict(activations=()), ValueError, "activations must name 1 to 4"),
    (dict(init="glorot"), ValueError, r"init must be one of \['xavier_normal'"),
    (dict(batchnorm="yes"), TypeError, "batchnorm must be True or False"),
    (dict(seed=-1), ValueError, "seed must be an integer >= 0"),
])
def test_invalid_comparison_settings_raise_errors_that_name_the_parameter(kwargs, error, message):
    with pytest.raises(error, match=message):
        widgets.render_gradient_comparison(**kwargs)


# --- the explorers -----------------------------------------------------------------

def test_gradient_explorer_builds_headless_with_every_control_and_a_first_picture():
    ex = widgets.gradient_explorer()
    assert set(ex.controls) == {"depth", "width", "left", "right", "init", "batchnorm", "residual"}
    assert ex.settings == {"depth": 20, "width": 64, "left": "sigmoid", "right": "relu",
                           "init": "he_normal", "batchnorm": False, "residual": False}
    assert shown_png(ex).startswith(b"\x89PNG")
    assert ex.updates == 1 and ex.error is None and ex.last_update_seconds > 0
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id


def test_moving_the_depth_slider_redraws_with_one_point_per_layer():
    ex = widgets.gradient_explorer()
    png_before = shown_png(ex)
    ex.controls["depth"].value = 30
    assert ex.updates == 2
    assert len(line_data(ex.figure, 0)[1]) == 30 and len(line_data(ex.figure, 1)[1]) == 30
    np.testing.assert_array_equal(line_data(ex.figure, 0)[1],
                                  gradient_profile(30, 64, 64, "sigmoid", "he_normal").grad_norm)
    assert shown_png(ex) != png_before


def test_choosing_another_left_activation_redraws_the_left_panel():
    ex = widgets.gradient_explorer(depth=8, width=16)
    _, before = line_data(ex.figure, 0)
    ex.controls["left"].value = "tanh"
    _, after = line_data(ex.figure, 0)
    assert ex.figure.axes[0].get_title(loc="left") == "tanh"
    np.testing.assert_array_equal(after, gradient_profile(8, 16, 64, "tanh", "he_normal").grad_norm)
    assert not np.array_equal(before, after)


def test_switching_on_batch_norm_lifts_the_sigmoid_layer_1_gradient():
    ex = widgets.gradient_explorer()
    plain = line_data(ex.figure, 0)[1][0]
    ex.controls["batchnorm"].value = True
    normalised = line_data(ex.figure, 0)[1][0]
    assert normalised > 1e6 * plain


def test_gradient_explorer_rejects_settings_outside_its_controls():
    with pytest.raises(ValueError, match="depth must be between 1 and 100 in the explorer"):
        widgets.gradient_explorer(depth=500)
    with pytest.raises(ValueError, match="left"):
        widgets.gradient_explorer(left="softmax")
    with pytest.raises(ValueError, match="init must be one of"):
        widgets.gradient_explorer(init="kaiming")


def test_chain_explorer_table_and_plot_follow_the_controls():
    ex = widgets.chain_explorer()
    assert ex.settings == {"depth": 4, "weight": 0.1, "activation": "sigmoid"}
    assert "3.889e-06" in ex.table.value                 # the anchor network's delta_1
    ex.controls["depth"].value = 10
    trace = trace_chain(10, 0.1)
    np.testing.assert_array_equal(line_data(ex.figure)[1], trace.log10_delta)
    assert ex.table.value == trace._repr_html_()
    ex.controls["activation"].value = "relu"
    assert ex.table.value == trace_chain(10, 0.1, activation="relu")._repr_html_()
    assert ex.updates == 3


def test_a_setting_that_cannot_be_computed_shows_the_error_and_keeps_the_last_picture():
    ex = widgets.chain_explorer(depth=1000, weight=1.0, activation="relu")
    png_before = shown_png(ex)
    ex.controls["weight"].value = 5.0                    # 5^1000 overflows float64
    assert "overflows float64" in ex.error
    assert "cannot draw this" in ex.status.value
    assert shown_png(ex) == png_before and ex.updates == 1
    ex.controls["weight"].value = 0.5                    # a computable setting clears the error
    assert ex.error is None and ex.updates == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(depth=0), "depth must be an integer >= 1"),
    (dict(depth=2000), "depth must be between 1 and 1000"),
    (dict(weight=9.0), "weight must be between -5.0 and 5.0"),
    (dict(activation="softplus"), "activation must be one of"),
])
def test_chain_explorer_rejects_invalid_settings_with_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        widgets.chain_explorer(**kwargs)


@pytest.mark.parametrize("control, value", [("residual", True), ("batchnorm", True),
                                            ("left", "tanh"), ("width", 32)])
def test_every_control_change_sends_a_new_png(control, value):
    ex = widgets.gradient_explorer(depth=8, width=16)
    png_before = shown_png(ex)
    ex.controls[control].value = value
    assert ex.updates == 2 and ex.error is None
    assert shown_png(ex).startswith(b"\x89PNG") and shown_png(ex) != png_before


def test_an_update_reports_its_compute_draw_and_png_times():
    ex = widgets.gradient_explorer(depth=5, width=8)
    assert list(ex.last_split) == ["compute", "draw", "png"]
    assert all(seconds > 0 for seconds in ex.last_split.values())
    assert sum(ex.last_split.values()) == pytest.approx(ex.last_update_seconds)


def test_the_explorer_figure_keeps_its_labels_titles_and_log_axes():
    ex = widgets.gradient_explorer(depth=100, width=256, batchnorm=True, residual=True)
    fig = ex.figure
    assert [ax.get_xlabel() for ax in fig.axes] == ["layer l (1 = input side)"] * 2
    assert "partial" in fig.axes[0].get_ylabel()
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert "batch norm, residual" in fig._suptitle.get_text()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:                   # the pinned labels stay inside the figure, clear of the panel
        frame = ax.get_window_extent(renderer)
        xlabel = ax.xaxis.label.get_window_extent(renderer)
        assert 0 <= xlabel.y0 and xlabel.y1 < frame.y0
    ylabel = fig.axes[0].yaxis.label.get_window_extent(renderer)
    ticks = [t.get_window_extent(renderer) for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert 0 <= ylabel.x0 and ylabel.x1 < min(t.x0 for t in ticks)
