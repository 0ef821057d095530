"""Which page is being rendered, so messages can name it and count its lines as the file does.

Python-Markdown does not know the file it converts; the MkDocs hook sets it before each page,
with the file line where the Markdown starts (MkDocs strips the front matter first). A generator
without hooks still gets messages, naming the page as unknown and counting from its first line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

UNKNOWN_PAGE = "(page inconnue)"


@dataclass(frozen=True)
class _Page:
    path: str
    first_line: int


_state = threading.local()


def set_page(path: str | None, first_line: int = 1) -> None:
    """``path`` as messages show it (``docs/smtp.md``); None when no page is being rendered."""
    _state.page = None if path is None else _Page(path, first_line)


def _current() -> _Page | None:
    page: _Page | None = getattr(_state, "page", None)
    return page


def page() -> str:
    current = _current()
    return current.path if current else UNKNOWN_PAGE


def first_line() -> int:
    """The file line of the first line Markdown receives (after the front matter)."""
    current = _current()
    return current.first_line if current else 1
