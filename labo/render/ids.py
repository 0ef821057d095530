"""Every HTML id of one rendered example, derived from its anchor alone.

No counter: the same example gives the same ids whatever else is on the page, and two examples on
one page never collide (the anchor is unique per page). Inner ids use ``__`` as separator, which
example anchors (``exemple-pop3-deux-appareils``) never contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Characters an inner id may keep as they are. Material for MkDocs builds CSS selectors from ids
#: (``#__code_<id> > code`` for the copy button), so anything else is spelled out.
_UNSAFE = re.compile(r"[^\w-]")


def _selector_safe(anchor: str) -> str:
    return _UNSAFE.sub(lambda match: f"_{ord(match[0]):x}_", anchor)


@dataclass(frozen=True)
class ExampleIds:
    """The ids one example uses: its permalink target, its tabs and its code blocks."""

    anchor: str
    code_tab: str
    transcript_tab: str
    diagram_tab: str
    reference_tab: str
    tab_group: str
    code_block: str
    transcript_block: str
    diagram_block: str
    reference_block: str
    message_block: str

    @classmethod
    def for_anchor(cls, anchor: str) -> ExampleIds:
        if not anchor or any(character.isspace() for character in anchor):
            raise ValueError(
                f"ancre d’exemple invalide : {anchor!r} (un identifiant HTML non vide, sans espace)"
            )
        base = _selector_safe(anchor)
        return cls(
            anchor=anchor,
            code_tab=f"{base}__code",
            transcript_tab=f"{base}__transcription",
            diagram_tab=f"{base}__schema",
            reference_tab=f"{base}__reference",
            tab_group=f"{base}__onglets",
            code_block=f"{base}__source",
            transcript_block=f"{base}__dialogue",
            diagram_block=f"{base}__sequence",
            reference_block=f"{base}__dialogue-reference",
            message_block=f"{base}__probleme",
        )
