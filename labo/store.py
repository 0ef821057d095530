"""The mail store: one Maildir per lab user, shared by the SMTP, POP3 and IMAP servers.

Maildir is the format real servers (Dovecot, Postfix's local delivery, pymap) share, so the three
servers see one truth: a message delivered over SMTP is in ``new/``, IMAP moves it to ``cur/`` and
renames it when flags change, POP3 deletes the file at QUIT. File names and mtimes come from the
lab clock and a counter, so two runs of the same scenario give the same Maildirs, byte for byte.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labo.clock import LabClock
from labo.identity import USERS, User


@dataclass(frozen=True)
class StoredMessage:
    """One message file of an INBOX.

    ``key`` is the Maildir unique name (the file name before ``:2,``): it never changes when IMAP
    renames the file to record flags, which is why POP3's UIDL is built on it.
    """

    key: str
    path: Path
    size: int

    def read(self) -> bytes:
        return self.path.read_bytes()


class MailStore:
    """Maildirs under ``root/mail/<login>/``, plus the POP3 maildrop locks (RFC 1939 §4).

    One store per provider: ``users`` are the mailboxes it keeps, ``hostname`` the name of the
    machine that writes them (the end of every Maildir file name).
    """

    def __init__(
        self,
        root: Path,
        clock: LabClock,
        *,
        users: Sequence[User] = USERS,
        hostname: str = "imap.example.org",
    ) -> None:
        self.root = root
        self.mail_root = root / "mail"
        self.users = tuple(users)
        self.hostname = hostname
        self._clock = clock
        self._sequence = 0
        self._mutex = threading.Lock()
        self._locked: set[str] = set()
        self._reset_hooks: list[Callable[[], None]] = []
        self._change_hooks: list[Callable[[User], None]] = []

    # -- layout ---------------------------------------------------------------------------------

    def maildir(self, user: User, folder: str | None = None) -> Path:
        """The Maildir of ``user``'s INBOX, or of one of its folders (Maildir++ ``.Name``)."""
        base = self.mail_root / user.login
        return base if folder is None else base / f".{folder}"

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` after every reset (the IMAP server seeds its UID lists there)."""
        self._reset_hooks.append(hook)

    def on_change(self, hook: Callable[[User], None]) -> Callable[[], None]:
        """Run ``hook(user)`` after each change to ``user``'s mailboxes; returns an unsubscriber.

        IMAP IDLE sessions wait on it instead of polling. It runs in the writer's thread, so a
        hook must be thread-safe and quick.
        """
        self._change_hooks.append(hook)
        return lambda: self._change_hooks.remove(hook)

    def changed(self, user: User) -> None:
        """Tell the ``on_change`` hooks that a mailbox of ``user`` gained or lost messages."""
        for hook in list(self._change_hooks):
            hook(user)

    def reset(self) -> None:
        """Empty every mailbox and start numbering again, as on a freshly installed server."""
        with self._mutex:
            if self.mail_root.exists():
                shutil.rmtree(self.mail_root)
            for user in self.users:
                self._make_maildir(self.maildir(user))
            self._sequence = 0
            self._locked.clear()
        for hook in self._reset_hooks:
            hook()

    @staticmethod
    def _make_maildir(path: Path) -> None:
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)

    # -- delivery -------------------------------------------------------------------------------

    def deliver(self, user: User, message: bytes, *, folder: str | None = None) -> str:
        """Store ``message`` in ``new/`` the Maildir way (write to ``tmp/``, then rename).

        The rename is atomic, so a reader never sees half a message. Returns the message key.
        """
        if user not in self.users:
            raise LookupError(f"{user.address} n'a pas de boîte chez ce fournisseur")
        directory = self.maildir(user, folder)
        self._make_maildir(directory)
        key, when = self.next_key()
        temporary = directory / "tmp" / key
        final = directory / "new" / key
        try:
            temporary.write_bytes(message)
            os.utime(temporary, (when, when))
            os.rename(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)  # never leave half a message behind
            raise
        self.changed(user)
        return key

    def next_key(self) -> tuple[str, float]:
        """Draw a new Maildir unique name and the lab-clock time it carries: ``(key, timestamp)``.

        Every writer of the store draws from this one counter (delivery here, IMAP APPEND and
        COPY), so names never clash and two runs of a scenario name their files alike.
        """
        with self._mutex:
            self._sequence += 1
            sequence = self._sequence
            when = self._clock.now().timestamp()
        return f"{int(when)}.M{sequence:06d}P0.{self.hostname}", when

    def messages(self, user: User) -> list[StoredMessage]:
        """The INBOX messages of ``user`` in delivery order (``new/`` and ``cur/``)."""
        found: list[StoredMessage] = []
        inbox = self.maildir(user)
        for sub in ("new", "cur"):
            directory = inbox / sub
            if not directory.is_dir():
                continue
            for entry in os.scandir(directory):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                key = entry.name.split(":", 1)[0]
                found.append(StoredMessage(key, Path(entry.path), entry.stat().st_size))
        found.sort(key=lambda message: message.key)
        return found

    # -- POP3 maildrop lock ---------------------------------------------------------------------

    def try_lock(self, user: User) -> bool:
        """Take the exclusive maildrop lock of ``user``; False if a session already holds it."""
        with self._mutex:
            if user.login in self._locked:
                return False
            self._locked.add(user.login)
            return True

    def unlock(self, user: User) -> None:
        with self._mutex:
            self._locked.discard(user.login)
