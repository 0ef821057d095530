"""Content tabs in the markup of pymdownx.tabbed (``alternate_style: true``).

Material for MkDocs styles that markup, switches tabs without JavaScript (radio inputs), links
tabs of the same label across the page (``content.tabs.link``) and remembers the reader's choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labo.render.escape import attribute, text

_CHECKED = ' checked="checked"'


@dataclass(frozen=True)
class Tab:
    """One tab: its input id (a URL fragment that opens it), its label and its HTML content."""

    input_id: str
    label: str
    content: str


def render_tabs(tabs: Sequence[Tab], *, group: str) -> str:
    """A ``tabbed-set`` whose first tab is selected; ``group`` names its radio inputs."""
    inputs = "".join(
        f"<input{_CHECKED if index == 0 else ''}"
        f' id="{attribute(tab.input_id)}" name="{attribute(group)}" type="radio" />'
        for index, tab in enumerate(tabs)
    )
    labels = "".join(
        f'<label for="{attribute(tab.input_id)}">{text(tab.label)}</label>' for tab in tabs
    )
    blocks = "".join(f'<div class="tabbed-block">\n{tab.content}\n</div>\n' for tab in tabs)
    return (
        f'<div class="tabbed-set tabbed-alternate" data-tabs="{attribute(group)}:{len(tabs)}">'
        f'{inputs}<div class="tabbed-labels">{labels}</div>\n'
        f'<div class="tabbed-content">\n{blocks}</div>\n'
        "</div>"
    )
