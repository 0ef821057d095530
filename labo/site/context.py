"""Which page is being rendered, so messages can name it.

Python-Markdown does not know the file it converts; the MkDocs hook sets it before each page.
A generator without hooks still gets messages, naming the page as unknown.
"""

from __future__ import annotations

import threading

_state = threading.local()
UNKNOWN_PAGE = "(page inconnue)"


def set_page(path: str | None) -> None:
    _state.page = path


def page() -> str:
    return getattr(_state, "page", None) or UNKNOWN_PAGE
