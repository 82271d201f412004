"""Tables: how every result of the package prints, and :func:`table` for a lesson's own numbers.

Every result class (a chain trace, network statistics, a spectrum) is a
:class:`Table`: it builds its rows of strings once, and prints as plain text
(what nbval compares), Markdown (:meth:`Table.to_markdown`) or HTML (what
JupyterLab shows). A lesson cell that computes a few numbers ends with
:func:`table` instead of hand-aligned ``print`` calls:

>>> table([(1, 0.25), (10, 3.8e-7)], columns=("depth", "gradient"), formats=("d", ".2e"))
depth  gradient
-----  --------
    1  2.50e-01
   10  3.80e-07
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar, Iterable

__all__ = ["Table", "SimpleTable", "table"]


def text_table(columns: Sequence[str], rows: Iterable[Sequence[str]], title: str = "") -> str:
    """Right-aligned columns under a rule, with the title on its own line above."""
    lines_of_cells = [list(columns)] + [list(r) for r in rows]
    widths = [max(len(r[c]) for r in lines_of_cells) for c in range(len(columns))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in lines_of_cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return (title + "\n" if title else "") + "\n".join(lines)


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[str]], title: str = "") -> str:
    """A GitHub-flavoured Markdown table, right-aligned, with the title in bold above."""
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "---:|" * len(columns)
    body = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(([f"**{title}**", ""] if title else []) + [head, rule, *body])


def html_table(columns: Sequence[str], rows: Iterable[Sequence[str]], title: str = "") -> str:
    """An HTML table (every cell escaped), with the title in bold above."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    caption = f"<p><b>{html.escape(title)}</b></p>" if title else ""
    return f"{caption}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Table:
    """Mixin: a result with ``rows()``, ``_title()`` and ``_COLUMNS`` (or ``_columns()``) prints as a table.

    Data classes that use it are declared with ``repr=False`` so that their
    repr is this table too.
    """

    MAX_ROWS = 12   # a longer table keeps its first and last MAX_ROWS // 2 rows around "..."
    _COLUMNS: ClassVar[Sequence[str]]           # the column names, unless _columns() is overridden

    if TYPE_CHECKING:                           # what every subclass defines
        def rows(self) -> list[list[str]]: ...

        def _title(self) -> str: ...

    def _columns(self) -> Sequence[str]:
        return self._COLUMNS

    def head_and_tail(self, n: int, row: Callable[[int], list[str]],
                      max_rows: int | None = None) -> list[list[str]]:
        """``row(i)`` for i = 0..n-1; when n > ``max_rows`` (default :attr:`MAX_ROWS`), only
        the first and last ``max_rows // 2`` rows, with a row of "..." between them."""
        max_rows = self.MAX_ROWS if max_rows is None else max_rows
        if n <= max_rows:
            return [row(i) for i in range(n)]
        half = max_rows // 2
        gap = ["..."] * len(self._columns())
        return [row(i) for i in range(half)] + [gap] + [row(i) for i in range(n - half, n)]

    def __str__(self) -> str:
        return text_table(self._columns(), self.rows(), self._title())

    def __repr__(self) -> str:
        return str(self)

    def to_markdown(self) -> str:
        return markdown_table(self._columns(), self.rows(), self._title())

    def _repr_html_(self) -> str:
        return html_table(self._columns(), self.rows(), self._title())


@dataclass(repr=False)
class SimpleTable(Table):
    """Rows of strings under column names: what :func:`table` returns."""

    columns: tuple[str, ...]
    cells: list[list[str]]
    title: str = ""

    def rows(self) -> list[list[str]]:
        return self.cells

    def _columns(self) -> tuple[str, ...]:
        return self.columns

    def _title(self) -> str:
        return self.title


def _cell(value: object, spec: str | None) -> str:
    """One value as text: ``format(value, spec)``; by default floats ``.4g``, the rest ``str``."""
    if spec is None:
        if isinstance(value, float):
            return format(value, ".4g")
        return str(value)
    return format(value, spec)


def table(rows: Iterable[Sequence[object]], columns: Sequence[str], title: str = "",
          formats: Sequence[str | None] | None = None) -> SimpleTable:
    """A table of ``rows`` (each a sequence of values, one per column) that prints aligned.

    ``formats`` holds one format spec per column (``".3e"``, ``"d"``, ``".1%"``; ``None``
    keeps the default: floats to 4 significant figures, anything else as ``str``).
    The result prints as text, and shows as HTML in JupyterLab.
    """
    for value, name in ((rows, "rows"), (columns, "columns"), (formats, "formats")):
        if (value is not None or name != "formats") and (
                isinstance(value, (str, bytes)) or not hasattr(value, "__iter__")):
            raise TypeError(f"{name} must be a list (of rows, column names or format specs), "
                            f"got {type(value).__name__}")
    columns = tuple(str(c) for c in columns)
    if not columns:
        raise ValueError("columns must name at least one column")
    specs = [None] * len(columns) if formats is None else list(formats)
    if len(specs) != len(columns):
        raise ValueError(f"formats must give one format per column ({len(columns)}), "
                         f"got {len(specs)}")
    cells = []
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__iter__"):
            raise TypeError(f"rows[{i}] must be a sequence of values, got {type(row).__name__}")
        row = list(row)
        if len(row) != len(columns):
            raise ValueError(f"rows[{i}] must have one value per column ({len(columns)}), "
                             f"got {len(row)}")
        try:
            cells.append([_cell(v, spec) for v, spec in zip(row, specs)])
        except (TypeError, ValueError) as err:
            raise ValueError(f"rows[{i}]: a value does not fit its column's format "
                             f"({formats!r}): {err}") from None
    return SimpleTable(columns=columns, cells=cells, title=str(title))
