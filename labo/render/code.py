"""The example's source, highlighted exactly as a fenced code block of the site would be.

pymdownx.highlight itself does the work, with the options of ``mkdocs.yml``, so Material styles
the block, numbers its line anchors and adds its copy button as for any other code on the site.
"""

from __future__ import annotations

from pymdownx.highlight import Highlight

#: The ``pymdownx.highlight`` options of ``mkdocs.yml`` (a test keeps both in step).
HIGHLIGHT_OPTIONS: dict[str, object] = {
    "anchor_linenums": True,
    "line_spans": "__span",
    "pygments_lang_class": True,
}

# The Markdown instance is only needed for titles in "html" mode; ours are plain text.
_HIGHLIGHTER = Highlight(None, **HIGHLIGHT_OPTIONS)


def render_code(code: str, *, source_path: str, block_id: str, language: str = "python") -> str:
    """A ``<div class="highlight">`` block titled with the file path, as ``title="…"`` does."""
    html: str = _HIGHLIGHTER.highlight(code, language, id_value=block_id, title=source_path)
    return html
