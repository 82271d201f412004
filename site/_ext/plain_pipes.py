"""Sphinx extension: a ``|`` in a docstring's prose is an absolute value or a norm, not a reST
substitution.

The package's docstrings are written for ``help()`` first: they say ``|x|`` and ``|dOut/dw_l|``
in plain text and keep ``.. math::`` / ``:math:`` for formulas. reST would read ``|x|`` as a
substitution reference and print an error on the page, so before autodoc parses a docstring this
escapes every ``|`` outside math, literals and doctest lines.
"""

import re

PROTECTED = re.compile(r"(``.*?``|:math:`[^`]*`|`[^`]*`)")


def escape_line(line: str) -> str:
    """'norm |x| and ``a|b``' -> 'norm \\|x\\| and ``a|b``' (math, literals and roles untouched)."""
    if line.lstrip().startswith(">>>"):
        return line
    parts = PROTECTED.split(line)
    return "".join(part if i % 2 else part.replace("|", r"\|") for i, part in enumerate(parts))


def escape_pipes(lines: list[str]) -> list[str]:
    """Escape prose pipes in a docstring, leaving ``.. math::`` blocks (and their body) as they are."""
    out, math_indent = [], None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if math_indent is not None and line.strip() and indent <= math_indent:
            math_indent = None
        if math_indent is None and line.lstrip().startswith(".. math::"):
            math_indent = indent
            out.append(line)
        elif math_indent is not None:
            out.append(line)
        else:
            out.append(escape_line(line))
    return out


def process_docstring(app, what, name, obj, options, lines):
    lines[:] = escape_pipes(lines)


def setup(app):
    # before napoleon (priority 500) turns the numpydoc sections into reST
    app.connect("autodoc-process-docstring", process_docstring, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
