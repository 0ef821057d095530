"""The ¶ permalink Material shows next to headings, for examples and error boxes alike."""

from __future__ import annotations

from labo.render.escape import attribute

PERMALINK_SYMBOL = "¶"  # mkdocs.yml: toc.permalink
PERMALINK_TITLE = "Lien vers cet exemple"


def headerlink(anchor: str) -> str:
    """Material's ``headerlink``: hidden until hovered or targeted, styled like the headings'."""
    return (
        f'<a class="headerlink" href="#{attribute(anchor)}" title="{PERMALINK_TITLE}">'
        f"{PERMALINK_SYMBOL}</a>"
    )
