"""The « Avec Postfix et Dovecot » tab: the approved reference transcript, rendered like the
lab's, under a one-line note of the differences declared for the example.

The reader sees what real servers say and, in one sentence, why it differs from the lab. The
note's reasons are written by authors with ordinary spaces: French typography is applied here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labo.render.escape import inline
from labo.render.transcript import render_transcript
from labo.wire.transcript import Transcript

NOTE = "labo-reference"
LABEL = "Avec Postfix et Dovecot"
_NB = "\u00a0"
_BEFORE_SIGN = re.compile(r" ?([:;?!])(?=\s|$)")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")


@dataclass(frozen=True)
class ReferenceRun:
    """What the tab shows; ``problem`` (French) instead when there is nothing to show yet."""

    transcript: Transcript | None = None
    reasons: tuple[str, ...] = ()  # the declared differences' reasons, each once, in file order
    failure: str | None = None  # the reason of an « échec » declaration
    problem: str | None = None


def french(sentence: str) -> str:
    """No-break spaces before « : ; ? ! » and inside guillemets, typographic apostrophes."""
    sentence = _BEFORE_SIGN.sub(lambda match: _NB + match[1], sentence)
    sentence = re.sub(r"« ?", "«" + _NB, re.sub(r" ?»", _NB + "»", sentence))
    return _APOSTROPHE.sub("’", sentence)


def note(reference: ReferenceRun) -> str:
    """The one-line note, as plain text."""
    parts = []
    if reference.failure:
        stopped = reference.transcript is not None and bool(reference.transcript.events)
        parts.append(
            f"Échec déclaré{_NB}: {french(reference.failure).rstrip('.')}. L’exemple ne passe "
            "pas tel quel contre Postfix et Dovecot"
            + (f"{_NB}; la transcription s’arrête là où il a échoué." if stopped else ".")
        )
    if reference.reasons:
        reasons = f"{_NB}; ".join(french(reason).rstrip(".") for reason in reference.reasons)
        parts.append(f"Différences déclarées avec le labo{_NB}: {reasons}.")
    elif not reference.failure:
        parts.append("Aucune différence déclarée avec le labo.")
    return " ".join(parts)


def render_reference(reference: ReferenceRun, *, block_id: str) -> str:
    """The tab's content; ``block_id`` must be unique on the page."""
    if reference.problem is not None or reference.transcript is None:
        problem = reference.problem or "Pas de transcription de référence."
        return f'<p class="{NOTE}__note {NOTE}__note--manque">{inline(problem)}</p>'
    paragraph = f'<p class="{NOTE}__note">{inline(note(reference))}</p>'
    if not reference.transcript.events:
        return paragraph
    return paragraph + "\n" + render_transcript(reference.transcript, block_id=block_id)
