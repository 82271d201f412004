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


# --- the explorers' fast path: rasterize, encode_png, stamped text ---------------------------

def decoded(png_bytes):
    """The pixels of PNG bytes, as an (height, width, channels) array."""
    import io

    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png_bytes)))


def labelled_figure(stamp_text):
    fig, (ax,) = plots.figure(width=4.0, height=2.5, margins=(0.75, 0.2, 0.2, 0.85, 0.1),
                              stamp_text=stamp_text)
    ax.plot([1, 2, 3], [1e-8, 1e-4, 1.0])
    ax.set_yscale("log")
    ax.set_xlabel("layer l (1 = input side)")
    ax.set_title("sigmoid", loc="left")
    return fig


def test_fast_png_is_the_same_picture_as_savefig_png():
    fig = labelled_figure(stamp_text=False)
    slow, fast = decoded(plots.png(fig)), decoded(plots.png(fig, fast=True))
    assert fast.shape == slow.shape[:2] + (3,)                # opaque figure: RGB, no alpha
    np.testing.assert_array_equal(fast, slow[..., :3])


def test_encode_png_is_lossless_and_keeps_alpha_only_when_a_pixel_is_translucent():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    np.testing.assert_array_equal(decoded(plots.encode_png(pixels)), pixels[..., :3])
    pixels[0, 0, 3] = 10
    np.testing.assert_array_equal(decoded(plots.encode_png(pixels)), pixels)


def test_stamped_text_looks_like_matplotlibs_own_text():
    from matplotlib.text import Text
    plain = plots.rasterize(labelled_figure(stamp_text=False)).astype(int)
    fig = labelled_figure(stamp_text=True)
    stamped = plots.rasterize(fig).astype(int)
    assert plain.shape == stamped.shape
    near_text = np.zeros(plain.shape[:2], dtype=bool)
    height = plain.shape[0]
    for text in fig.findobj(lambda a: isinstance(a, Text) and a.get_visible() and a.get_text()):
        box = text.get_window_extent(fig.canvas.get_renderer())      # pixels, y upwards
        rows = slice(max(0, int(height - box.y1) - 2), int(height - box.y0) + 3)
        near_text[rows, max(0, int(box.x0) - 2):int(box.x1) + 3] = True
    differ = np.abs(plain - stamped).max(axis=2) > 0
    assert differ.any() and not (differ & ~near_text).any()    # only pixels at the texts differ
    ink_plain, ink_stamped = ((255 - a[..., :3]).sum() for a in (plain, stamped))
    assert abs(ink_stamped - ink_plain) < 0.02 * ink_plain     # the same amount of ink


def test_a_stamped_text_is_rendered_once_and_redrawn_identically():
    fig = labelled_figure(stamp_text=True)
    first = plots.rasterize(fig).copy()
    stamps = dict(fig.canvas.get_renderer().stamps)
    second = plots.rasterize(fig)
    again = fig.canvas.get_renderer().stamps
    assert len(stamps) >= 3 and again.keys() == stamps.keys()
    assert all(again[key] is stamps[key] for key in stamps)       # reused, not rendered again
    np.testing.assert_array_equal(first, second)


def test_the_stamp_store_is_emptied_when_full_so_a_long_session_does_not_grow():
    fig = labelled_figure(stamp_text=True)
    renderer = fig.canvas.get_renderer()
    renderer.max_stamps = 4
    for i in range(10):                             # a title with a new number on every update
        fig.axes[0].set_title(f"ratio {i}", loc="right")
        plots.rasterize(fig)
        assert len(renderer.stamps) <= 4
