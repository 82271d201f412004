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


def text_table(columns, rows, title: str = "") -> str:
    """Right-aligned columns under a rule, with the title on its own line above."""
    rows = [list(columns)] + [list(r) for r in rows]
    widths = [max(len(r[c]) for r in rows) for c in range(len(columns))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return (title + "\n" if title else "") + "\n".join(lines)


def markdown_table(columns, rows, title: str = "") -> str:
    """A GitHub-flavoured Markdown table, right-aligned, with the title in bold above."""
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "---:|" * len(columns)
    body = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(([f"**{title}**", ""] if title else []) + [head, rule, *body])


def html_table(columns, rows, title: str = "") -> str:
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

    def _columns(self):
        return self._COLUMNS

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


def _cell(value, spec: str | None) -> str:
    """One value as text: ``format(value, spec)``; by default floats ``.4g``, the rest ``str``."""
    if spec is None:
        if isinstance(value, float):
            return format(value, ".4g")
        return str(value)
    return format(value, spec)


def table(rows, columns: Sequence[str], title: str = "",
          formats: Sequence[str | None] | None = None) -> SimpleTable:
    """A table of ``rows`` (each a sequence of values, one per column) that prints aligned.

    ``formats`` holds one format spec per column (``".3e"``, ``"d"``, ``".1%"``; ``None``
    keeps the default: floats to 4 significant figures, anything else as ``str``).
    The result prints as text, and shows as HTML in JupyterLab.
    """
    columns = tuple(str(c) for c in columns)
    if not columns:
        raise ValueError("columns must name at least one column")
    specs = [None] * len(columns) if formats is None else list(formats)
    if len(specs) != len(columns):
        raise ValueError(f"formats must give one format per column ({len(columns)}), "
                         f"got {len(specs)}")
    cells = []
    for i, row in enumerate(rows):
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
