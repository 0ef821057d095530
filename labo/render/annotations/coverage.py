"""Tokens no data file explains yet: the build reports them, so a new example keeps the rule."""

from __future__ import annotations

from dataclasses import dataclass

from labo.render.annotations.catalogue import Catalogue, catalogue
from labo.render.annotations.protocols import transcript_tokens
from labo.render.annotations.tokens import Token
from labo.wire.transcript import Transcript

_NB = "\u00a0"


@dataclass(frozen=True)
class Unexplained:
    """A required token without an entry, as it first appears in the transcript."""

    text: str
    token: Token

    def message(self) -> str:
        """What the author reads in the build output (French)."""
        found = self.token
        return (
            f"jeton sans explication «{_NB}{self.text}{_NB}» ({found.protocol}, {found.kind})"
            f"{_NB}: ajoutez la clé «{_NB}{found.key}{_NB}» à la catégorie "
            f"«{_NB}{found.kind}{_NB}» de data/annotations/{found.protocol}.yml"
        )


def unexplained(transcript: Transcript, known: Catalogue | None = None) -> list[Unexplained]:
    """Each required token of ``transcript`` that has no explanation, once, in order."""
    known = known or catalogue()
    seen: set[tuple[str, str, str]] = set()
    missing: list[Unexplained] = []
    for event, tokens in zip(transcript.events, transcript_tokens(transcript), strict=True):
        for found in tokens:
            identity = (found.protocol, found.kind, found.key.casefold())
            if not found.required or identity in seen or known.explain(found) is not None:
                continue
            seen.add(identity)
            missing.append(Unexplained(event.text[found.start : found.end], found))
    return missing
