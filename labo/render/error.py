"""The box shown in place of an example that could not run (``mkdocs serve`` keeps going).

A Material ``failure`` admonition, so it cannot be missed, with the problem in a preformatted
block (escaped, with Material's copy button) for the author to act on.
"""

from __future__ import annotations

from labo.render.escape import attribute, inline, text
from labo.render.ids import ExampleIds
from labo.render.links import headerlink

BOX = "labo-error"

EXPLANATION = (
    "Cet exemple n’a pas pu être affiché. Tant que le problème ci-dessous n’est pas corrigé, "
    "la construction stricte du site échoue."
)


def render_error(*, title: str, message: str, anchor: str, carry_id: bool = True) -> str:
    """An error box titled ``title`` (plain text, French), showing ``message`` verbatim.

    ``carry_id`` as for ``render_example``: False when an enclosing element carries ``anchor``.
    """
    ids = ExampleIds.for_anchor(anchor)
    box_id = f' id="{attribute(anchor)}"' if carry_id else ""
    return (
        f'<div class="admonition failure {BOX}"{box_id}>\n'
        f'<p class="admonition-title">{inline(title)}{headerlink(anchor)}</p>\n'
        f"<p>{text(EXPLANATION)}</p>\n"
        f'<div id="{attribute(ids.message_block)}" class="{BOX}__message">'
        f"<pre><code>{text(message.rstrip())}</code></pre></div>\n"
        "</div>"
    )
