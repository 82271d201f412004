"""Sphinx extension: load every page script once.

With Jupyter Book 1.0.4, sphinx-thebe's inline configuration script is added to every page twice,
and the second copy fails with "Identifier 'THEBE_JS_URL' has already been declared" in the
reader's console (one copy has ``filename=None``, the other ``""``, so Sphinx keeps both). This
drops repeated scripts: same file (or none), same attributes, same inline body.
"""


def unique_scripts(scripts: list) -> list:
    """The scripts in their order, each (filename, attributes) pair once."""
    seen, kept = set(), []
    for script in scripts:
        key = (getattr(script, "filename", script) or "",       # an inline script: None or ""
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def drop_repeated_scripts(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = unique_scripts(context["script_files"])


def setup(app):
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

