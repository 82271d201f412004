"""An Agg canvas that renders each distinct text once and stamps its bitmap on every later draw.

Why: an explorer redraws the same figure on every change, and most of its
~25 texts (tick labels, axis labels, titles) are strings it has drawn before.
Since matplotlib 3.11 the Agg renderer shapes every string again and places
each glyph at its sub-pixel position on every draw: text was about two thirds
of a redraw. Here a plain (not rotated, not mathtext) string is rendered once
into a grey-level bitmap, the way matplotlib up to 3.10 drew every text, and
each later draw copies that bitmap to the whole pixel nearest its position.
The picture is the same to the eye; single pixels at glyph edges differ by the
sub-pixel shift.

Only :func:`vanishing.plots.figure` uses it (``stamp_text=True``), for the explorers.
Imported lazily: it imports matplotlib.

>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(2, 1), dpi=90)
>>> canvas = StampCanvas(fig)
>>> _ = fig.text(0.1, 0.5, "1e-8")
>>> canvas.draw(); canvas.draw()
>>> len(canvas.renderer.stamps)         # rendered once, stamped twice
1
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag

__all__ = ["StampCanvas", "StampRenderer"]


class StampRenderer(RendererAgg):
    """RendererAgg that keeps each plain text's bitmap (``stamps``) and stamps it on later draws.

    ``stamps`` maps (text, hash of the font properties, antialiased, hinting) to
    (bitmap (rows, columns) uint8, x offset, y offset) in pixels. It is emptied when
    it reaches ``max_stamps`` entries: titles that print numbers add a few new strings
    per update, and a long session must not grow without bound.
    """

    max_stamps = 1000

    def __init__(self, width: float, height: float, dpi: float) -> None:
        super().__init__(width, height, dpi)
        self.stamps: dict[tuple[Any, ...], tuple[np.ndarray, float, float]] = {}

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
                  ismath: bool | str = False, mtext: Any = None) -> None:
        """Draw ``s`` with its baseline starting at (x, y), y counted downwards from the top."""
        if ismath or angle % 360:                 # mathtext and rotated text: matplotlib's own way
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        # hash(prop) sums up family, style, size...: a FontProperties object itself can change later
        key = (s, hash(prop), gc.get_antialiased(), get_hinting_flag())
        if key not in self.stamps:
            if len(self.stamps) >= self.max_stamps:
                self.stamps.clear()
            self.stamps[key] = self._render_stamp(s, prop, gc.get_antialiased())
        bitmap, dx, dy = self.stamps[key]
        self._renderer.draw_text_image(bitmap, round(x + dx), round(y + dy) + 1, 0, gc)

    def _render_stamp(self, s: str, prop: Any, antialiased: bool) -> tuple[np.ndarray, float, float]:
        """``s`` as one grey-level bitmap, with the offset of its bottom-left corner from the origin."""
        font = self._prepare_font(prop)
        font.set_text(s, 0, flags=get_hinting_flag())
        font.draw_glyphs_to_bitmap(antialiased=antialiased)
        xo, yo = font.get_bitmap_offset()        # 1/64 pixel units, as FreeType counts
        return np.array(font.get_image()), xo / 64, (yo + font.get_descent()) / 64


class StampCanvas(FigureCanvasAgg):
    """FigureCanvasAgg whose renderer is a :class:`StampRenderer`, kept while size and dpi stay."""

    def get_renderer(self) -> StampRenderer:
        key = (*self.get_width_height(physical=True), self.figure.dpi)
        if getattr(self, "_stamp_key", None) != key:
            self.renderer = StampRenderer(*key)
            self._stamp_key = key
        return self.renderer
