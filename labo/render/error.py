"""The box shown in place of an example that could not run (``mkdocs serve`` keeps going).

A Material ``failure`` admonition, so it cannot be missed, with the problem in a preformatted
block (escaped, with Material's copy button) for the author to act on. When the example did run
but its transcript is new or changed, the box also shows that transcript, rendered as the page
would show it, beside the diff: the author reviews it in the browser, then approves it.
"""

from __future__ import annotations

from labo.render.escape import attribute, inline, text
from labo.render.ids import ExampleIds
from labo.render.links import headerlink
from labo.render.transcript import render_transcript
from labo.wire.transcript import Transcript

BOX = "labo-error"

EXPLANATION = (
    "Cet exemple n’a pas pu être affiché. Tant que le problème ci-dessous n’est pas corrigé, "
    "la construction stricte du site échoue."
)

PRODUCED = (
    "La transcription que cette exécution a produite, telle que la page l’affichera une fois "
    "approuvée\u00a0:"
)


def render_error(
    *,
    title: str,
    message: str,
    anchor: str,
    carry_id: bool = True,
    produced: Transcript | None = None,
) -> str:
    """An error box titled ``title`` (plain text, French), showing ``message`` verbatim.

    ``carry_id`` as for ``render_example``: False when an enclosing element carries ``anchor``.
    ``produced``: the transcript the run gave, shown beside the message for review.
    """
    ids = ExampleIds.for_anchor(anchor)
    box_id = f' id="{attribute(anchor)}"' if carry_id else ""
    message_block = (
        f'<div id="{attribute(ids.message_block)}" class="{BOX}__message">'
        f"<pre><code>{text(message.rstrip())}</code></pre></div>"
    )
    if produced is not None:
        message_block = (
            f'<div class="{BOX}__review">{message_block}'
            f'<div class="{BOX}__produced"><p>{text(PRODUCED)}</p>'
            f"{render_transcript(produced, block_id=ids.transcript_block)}</div></div>"
        )
    return (
        f'<div class="admonition failure {BOX}"{box_id}>\n'
        f'<p class="admonition-title">{inline(title)}{headerlink(anchor)}</p>\n'
        f"<p>{text(EXPLANATION)}</p>\n"
        f"{message_block}\n"
        "</div>"
    )
