"""Explanations of the protocol tokens in transcripts: tokenizers per protocol, the data files
of ``data/annotations/`` (``catalogue``), their HTML (``html``) and what is left unexplained
(``coverage``)."""

from labo.render.annotations.catalogue import Catalogue, Entry, catalogue
from labo.render.annotations.coverage import Unexplained, unexplained
from labo.render.annotations.html import Annotator
from labo.render.annotations.protocols import transcript_tokens
from labo.render.annotations.tokens import Token

__all__ = [
    "Annotator",
    "Catalogue",
    "Entry",
    "Token",
    "Unexplained",
    "catalogue",
    "transcript_tokens",
    "unexplained",
]
