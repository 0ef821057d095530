"""A POP3 session's view of an INBOX: the snapshot taken at login, deletion marks, UPDATE.

RFC 1939 numbers messages once, at login, and keeps that numbering for the whole session even
if the store changes underneath. The IMAP server shares the same Maildir and may meanwhile move
a file from ``new/`` to ``cur/``, rename it to record a flag (``:2,S``) or expunge it. So each
message is remembered by its Maildir key, which never changes, and its file is looked up again
by that key whenever the last known path has gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from labo.identity import User
from labo.pop3.framing import normalise
from labo.store import MailStore

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How many times a file renamed while we reach for it is looked up again before giving up.
_LOOKUPS = 3


@dataclass
class MaildropEntry:
    """One message of the snapshot. ``size`` is what RETR sends; ``path`` the last one known."""

    number: int
    key: str
    size: int
    path: Path
    deleted: bool = False


@dataclass(frozen=True)
class UpdateOutcome:
    """What the UPDATE state did: files it removed, and files it failed to remove.

    Messages already removed by someone else count in neither.
    """

    removed: int
    failed: int


class Maildrop:
    """The messages a session sees, numbered from 1; built by ``open`` once authenticated."""

    def __init__(self, store: MailStore, user: User, entries: list[MaildropEntry]) -> None:
        self._store = store
        self._user = user
        self._entries = entries

    @classmethod
    def open(cls, store: MailStore, user: User) -> Maildrop:
        """Take the snapshot: the INBOX in delivery order, minus files that vanish meanwhile."""
        maildrop = cls(store, user, [])
        for stored in store.messages(user):
            entry = MaildropEntry(len(maildrop._entries) + 1, stored.key, 0, stored.path)
            content = maildrop._on_current_file(entry, Path.read_bytes)
            if content is None:
                continue
            entry.size = len(normalise(content))
            maildrop._entries.append(entry)
        return maildrop

    # -- what the session asks ---------------------------------------------------------------

    def entry(self, number: int) -> MaildropEntry | None:
        """Message ``number`` of the snapshot, deleted or not; None if there never was one."""
        if 1 <= number <= len(self._entries):
            return self._entries[number - 1]
        return None

    def present(self) -> list[MaildropEntry]:
        """The messages not marked as deleted, in order."""
        return [entry for entry in self._entries if not entry.deleted]

    def stat(self) -> tuple[int, int]:
        """Number and total size of the messages not marked as deleted (STAT, LIST, RSET)."""
        present = self.present()
        return len(present), sum(entry.size for entry in present)

    def read(self, entry: MaildropEntry) -> bytes | None:
        """The message as POP3 sends it, or None if it left the store since login."""
        content = self._on_current_file(entry, Path.read_bytes)
        return None if content is None else normalise(content)

    def undelete_all(self) -> None:
        """RSET: forget every deletion mark."""
        for entry in self._entries:
            entry.deleted = False

    def commit(self) -> UpdateOutcome:
        """The UPDATE state (RFC 1939 §6): remove the files of the messages marked as deleted.

        A message someone else already removed counts as done; a file that cannot be removed is
        reported, and the other deletions still happen.
        """
        removed = failed = 0
        for entry in self._entries:
            if not entry.deleted:
                continue
            try:
                if self._on_current_file(entry, _remove):
                    removed += 1
            except OSError:
                log.exception("POP3 UPDATE could not remove message %s", entry.key)
                failed += 1
        if removed:
            self._store.changed(self._user)  # IMAP IDLE sessions announce the EXPUNGE at once
        return UpdateOutcome(removed, failed)

    # -- finding a file again ----------------------------------------------------------------

    def _on_current_file(self, entry: MaildropEntry, action: Callable[[Path], T]) -> T | None:
        """Apply ``action`` to the message's file, following renames; None if the file is gone."""
        for _ in range(_LOOKUPS):
            try:
                return action(entry.path)
            except FileNotFoundError:
                path = self._locate(entry.key)
                if path is None:
                    return None
                entry.path = path
        return None

    def _locate(self, key: str) -> Path | None:
        return next((m.path for m in self._store.messages(self._user) if m.key == key), None)


def _remove(path: Path) -> bool:
    path.unlink()
    return True
