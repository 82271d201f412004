"""Render a result's rows (lists of strings) as a plain-text, Markdown or HTML table.

Every result class (a chain trace, network statistics, a spectrum) builds its
rows once and hands them to these three functions, so all tables look alike.
"""

from __future__ import annotations

import html


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
