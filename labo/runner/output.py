"""What an example prints, kept within bounds: a 100 MB print must not make a 100 MB page.

The capture keeps the beginning and counts the rest; messages show the beginning followed by
"… tronqué" and the total size.
"""

from __future__ import annotations

import io

#: Characters of an example's output (or of an error message) that messages and pages show.
LIMIT = 20_000


def _size(count: int) -> str:
    """1234567 → "1 234 567 caractères", grouped by narrow no-break spaces as French writes."""
    return f"{count:,}".replace(",", "\u202f") + " caractères"


def truncated(text: str, limit: int = LIMIT, total: int | None = None) -> str:
    """``text`` cut at ``limit`` characters, saying so with the total size."""
    total = len(text) if total is None else total
    if total <= limit and len(text) <= limit:
        return text
    return f"{text[:limit]}\n… tronqué ({_size(total)} au total)"


class CappedOutput(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters written and counts them all."""

    def __init__(self, limit: int = LIMIT) -> None:
        super().__init__()
        self._limit = limit
        self._kept: list[str] = []
        self._kept_size = 0
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.total += len(text)
        room = self._limit - self._kept_size
        if room > 0:
            piece = text[:room]
            self._kept.append(piece)
            self._kept_size += len(piece)
        return len(text)

    def getvalue(self) -> str:
        """What was kept, marked as cut when more was written."""
        return truncated("".join(self._kept), self._limit, self.total)
