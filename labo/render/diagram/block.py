"""The « Schéma » tab: a legend, the SVG in a box that scrolls sideways, and the text alternative.

The box is focusable and named, so a keyboard can scroll it and a screen reader can tell what it
holds; it is a group, not a landmark region, since a page holds a dozen of them by one name.
The whole block is left out of the site search (``data-search-exclude``): the same words are in
the « Transcription » tab, where a search result is readable.
"""

from __future__ import annotations

from labo.render.diagram.description import TITLE, sentence, summary
from labo.render.diagram.steps import build_diagram
from labo.render.diagram.svg import render_svg
from labo.render.escape import attribute, text
from labo.wire.transcript import Transcript

BLOCK = "labo-diagram"
LABEL = "Schéma"
_NB = "\u00a0"

LEGEND = (
    f"Flèche pleine{_NB}: commande du client{_NB}; en tirets{_NB}: réponse du serveur{_NB}; "
    f"trait épais{_NB}: le message lui-même{_NB}; zone teintée{_NB}: chiffrée par TLS{_NB}; "
    f"[n]{_NB}: numéro de connexion, comme dans la transcription. Les lignes coupées par "
    f"«{_NB}…{_NB}» sont entières dans l’onglet Transcription."
)
SCROLL_LABEL = "Schéma de séquence, défilement horizontal"


def render_diagram(transcript: Transcript, *, block_id: str) -> str:
    """The tab's content; ``block_id`` must be unique on the page."""
    diagram = build_diagram(transcript)
    if not diagram.steps:
        return (
            f'<div id="{attribute(block_id)}" class="{BLOCK}" data-search-exclude>'
            f'<p class="{BLOCK}__empty">Aucun échange enregistré{_NB}: rien à dessiner.</p></div>'
        )
    svg = render_svg(
        diagram,
        title=TITLE,
        description=summary(diagram),
        ids=(f"{block_id}__titre", f"{block_id}__resume"),
    )
    steps = "".join(f"<li>{text(sentence(diagram, step))}</li>" for step in diagram.steps)
    return (
        f'<div id="{attribute(block_id)}" class="{BLOCK}" data-search-exclude>\n'
        f'<p class="{BLOCK}__legend">{text(LEGEND)}</p>\n'
        f'<div class="{BLOCK}__scroll" tabindex="0" role="group"'
        f' aria-label="{attribute(SCROLL_LABEL)}">\n{svg}\n</div>\n'
        f'<ol class="{BLOCK}__steps">{steps}</ol>\n'
        "</div>"
    )
