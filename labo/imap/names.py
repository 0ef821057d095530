"""Which mailbox names become folders: each one is a Maildir++ directory such as ``.Travail.2026``.

pymap turns a name into a path without checking it. An empty name lands on the user's own Maildir
(a DELETE there would erase mail), an empty level or a ``/`` inside a level reaches the store above
it or outside it. So a folder name is made of non-empty levels separated by Maildir++'s ``.`` (the
delimiter Dovecot shows too), without ``/`` or control characters, short enough for a directory.
"""

from __future__ import annotations

import re

#: The hierarchy delimiter clients see: Maildir++'s own, as Dovecot announces it.
DELIMITER = "."

#: Longest directory name for a folder, in UTF-8 bytes (file systems allow 255).
MAX_DIRECTORY_NAME = 200

_FORBIDDEN = re.compile(r"[/\x00-\x1f\x7f]")


def is_folder_name(name: str) -> bool:
    """True when ``name`` may be a folder of the store (INBOX itself is not a folder)."""
    if name == "INBOX":
        return False
    levels = name.split(DELIMITER)
    if any(not level or _FORBIDDEN.search(level) for level in levels):
        return False
    try:
        directory = ("." + ".".join(levels)).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a broken modified UTF-7 name
        return False
    return len(directory) <= MAX_DIRECTORY_NAME


def ancestors(name: str) -> list[str]:
    """The names above ``name`` in the hierarchy, outermost first: ``a.b.c`` → ``a``, ``a.b``."""
    levels = name.split(DELIMITER)
    return [DELIMITER.join(levels[:depth]) for depth in range(1, len(levels))]
