"""Small Sphinx fixes for the published book.

sphinx-thebe adds its inline configuration (``const THEBE_JS_URL = …``) once per read phase, so with
``--all`` a page can carry the same script twice and the browser logs "Identifier 'THEBE_JS_URL' has already
been declared". We drop exact duplicate scripts from each page, keeping the first.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # Same file and attributes; inline scripts have filename "" or None, and priorities may differ.
        filename = str(getattr(js, "filename", js) or "")
        key = (filename, repr(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique  # in place: later handlers append to this very list


def setup(app):
    # Early: html-page-context stops at the first handler that returns a template name.
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
