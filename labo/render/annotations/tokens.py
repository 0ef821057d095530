"""A token: the stretch of a transcript line that an explanation from the data files covers.

Tokenizers say where tokens are; the data files say what they mean. Keeping the two apart lets
a test prove that every token of every approved transcript is explained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["client", "server"]


@dataclass(frozen=True)
class Token:
    """``text[start:end]`` of one line, to be explained by an entry of ``protocol``'s file.

    ``keys`` are tried in order, the most precise first (``BODY=8BITMIME`` before ``BODY``).
    A ``required`` token without an explanation is reported; an optional one (a word that only
    may be a keyword) is simply left plain.
    """

    start: int
    end: int
    protocol: str
    kind: str
    keys: tuple[str, ...]
    required: bool = True

    @property
    def key(self) -> str:
        """The key an author adds to the data file when the token is not explained yet."""
        return self.keys[-1]


def token(
    start: int, text: str, protocol: str, kind: str, *keys: str, required: bool = True
) -> Token:
    """The token ``text`` found at ``start``; its own text, upper-cased, is the default key."""
    return Token(start, start + len(text), protocol, kind, keys or (text.upper(),), required)
