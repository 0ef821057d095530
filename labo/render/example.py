"""An executed example: its title and permalink, then "Code", "Transcription" and "Schéma" tabs,
and "Avec Postfix et Dovecot" when the example's reference run is given.

The tabs become two columns, side by side, when the example is wide enough (``labo.css``).
"""

from __future__ import annotations

from labo.render.code import render_code
from labo.render.diagram import LABEL as DIAGRAM_LABEL
from labo.render.diagram import render_diagram
from labo.render.escape import attribute, inline
from labo.render.ids import ExampleIds
from labo.render.links import headerlink
from labo.render.reference import LABEL, ReferenceRun, render_reference
from labo.render.tabs import Tab, render_tabs
from labo.render.transcript import render_transcript
from labo.wire.transcript import Transcript

FIGURE = "labo-run"


def render_example(
    *,
    code: str,
    transcript: Transcript,
    source_path: str,
    title: str,
    caption: str | None,
    anchor: str,
    carry_id: bool = True,
    reference: ReferenceRun | None = None,
) -> str:
    """The example's HTML fragment, ready to be inserted as a raw block in a page.

    ``title`` (the example's docstring summary) and ``caption`` are plain text in which
    `backquoted` words are shown as code; ``anchor`` is the figure's id, unique on the page.
    With ``carry_id=False`` the caller puts ``anchor`` on an enclosing element instead: the
    Markdown extension does, so that MkDocs sees the anchor and validates links to it.
    ``reference``: what Postfix and Dovecot said, shown in a last tab.
    """
    ids = ExampleIds.for_anchor(anchor)
    reference_tabs = (
        [
            Tab(
                ids.reference_tab,
                LABEL,
                render_reference(reference, block_id=ids.reference_block),
            )
        ]
        if reference is not None
        else []
    )
    tabs = render_tabs(
        [
            Tab(
                ids.code_tab,
                "Code",
                render_code(code, source_path=source_path, block_id=ids.code_block),
            ),
            Tab(
                ids.transcript_tab,
                "Transcription",
                render_transcript(transcript, block_id=ids.transcript_block),
            ),
            Tab(
                ids.diagram_tab,
                DIAGRAM_LABEL,
                render_diagram(transcript, block_id=ids.diagram_block),
            ),
            *reference_tabs,
        ],
        group=ids.tab_group,
    )
    note = (
        f'<p class="{FIGURE}__caption">{inline(caption.strip())}</p>'
        if caption and caption.strip()
        else ""
    )
    figure_id = f' id="{attribute(anchor)}"' if carry_id else ""
    return (
        f'<figure class="{FIGURE}"{figure_id}>\n'
        f'<figcaption class="{FIGURE}__heading">'
        f'<p class="{FIGURE}__title">{inline(title)}{headerlink(anchor)}</p>{note}</figcaption>\n'
        f"{tabs}\n"
        "</figure>"
    )
