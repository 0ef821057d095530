"""The mail queue on disk: each message is safely stored before the server says "queued as".

Postfix answers ``250 2.0.0 Ok: queued as 3F2A…`` only once the message is in its queue files;
delivery comes afterwards. This queue does the same in the lab's store: the message goes to
``messages/<id>`` and its envelope and state to ``entries/<id>.json``, each written in ``tmp/``
and then renamed, as in a Maildir, so a reader (or a queue re-opened from the same directory)
never sees half an entry. An entry exists once its state file does.

Queue ids are numbered from a counter kept in the directory, not drawn from the clock: the same
scenario always prints the same ids. Everything is written in a stable form (sorted JSON keys,
lab-clock dates), so two runs leave byte-identical queue directories.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

from labo.clock import LabClock
from labo.queue.entry import QueueEntry, RecipientState

#: Length of a queue id, prefix included (Postfix's short ids have ten hex digits).
ID_LENGTH = 10


class QueueError(Exception):
    """The queue was asked something it cannot do (an unknown id, no recipient)."""


class MailQueue:
    """The queue files of one MTA under ``directory``; ids are ``id_prefix`` + hex digits."""

    def __init__(self, directory: Path, clock: LabClock, id_prefix: str = "") -> None:
        if len(id_prefix) >= ID_LENGTH:
            raise ValueError(f"préfixe trop long pour un identifiant de file : {id_prefix!r}")
        self.directory = directory
        self._clock = clock
        self._prefix = id_prefix
        self._lock = threading.Lock()  # the lab resets the queue from another thread
        self._make_directories()
        self._last = self._last_number()

    @property
    def clock(self) -> LabClock:
        """The lab clock that dates arrivals (and that the queue manager schedules on)."""
        return self._clock

    # -- layout -----------------------------------------------------------------------------------

    @property
    def _tmp(self) -> Path:
        return self.directory / "tmp"

    @property
    def _messages(self) -> Path:
        return self.directory / "messages"

    @property
    def _entries(self) -> Path:
        return self.directory / "entries"

    @property
    def _sequence(self) -> Path:
        return self.directory / "sequence"

    def _make_directories(self) -> None:
        for path in (self._tmp, self._messages, self._entries):
            path.mkdir(parents=True, exist_ok=True)

    # -- ids --------------------------------------------------------------------------------------

    def _format_id(self, number: int) -> str:
        return f"{self._prefix}{number:0{ID_LENGTH - len(self._prefix)}X}"

    def _last_number(self) -> int:
        """The counter as saved, or past the highest id on disk if the save was lost."""
        saved = int(self._sequence.read_text()) if self._sequence.exists() else 0
        found = [self._number_of(path.stem) for path in self._entries.glob("*.json")]
        return max([saved, *(n for n in found if n is not None)])

    def _number_of(self, queue_id: str) -> int | None:
        if not queue_id.startswith(self._prefix):
            return None
        try:
            return int(queue_id[len(self._prefix) :], 16)
        except ValueError:
            return None

    def new_id(self) -> str:
        """Draw the next queue id (a server names it in ``Received:`` before it enqueues)."""
        with self._lock:
            self._last += 1
            number = self._last
            self._write(self._sequence, f"{number}\n".encode())
        return self._format_id(number)

    # -- entries ----------------------------------------------------------------------------------

    def enqueue(
        self,
        mail_from: str,
        recipients: Sequence[str],
        message: bytes,
        *,
        queue_id: str | None = None,
        smtputf8: bool = False,
    ) -> QueueEntry:
        """Store ``message`` for ``recipients``; once this returns, the message is in the queue.

        ``queue_id`` is one drawn with ``new_id`` (by default, a new one); ``smtputf8`` records
        that the client sent ``MAIL FROM`` with ``SMTPUTF8`` (RFC 6531 §3.4).
        """
        if not recipients:
            raise QueueError("un message sans destinataire ne peut pas entrer dans la file")
        queue_id = queue_id or self.new_id()
        entry = QueueEntry(
            id=queue_id,
            mail_from=mail_from,
            arrival=self._clock.now(),
            size=len(message),
            recipients=tuple(RecipientState(address) for address in recipients),
            message_path=self._messages / queue_id,
            smtputf8=smtputf8,
        )
        self._write(entry.message_path, message)
        self.update(entry)
        return entry

    def update(self, entry: QueueEntry) -> None:
        """Save the new state of ``entry`` (after a delivery attempt), atomically."""
        text = json.dumps(entry.to_json(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        self._write(self._state_path(entry.id), text.encode())

    def entries(self) -> list[QueueEntry]:
        """Every entry, in queue order (the order the messages arrived)."""
        found = [self._load(path) for path in sorted(self._entries.glob("*.json"))]
        return sorted(found, key=lambda entry: (self._number_of(entry.id) or 0, entry.id))

    def get(self, queue_id: str) -> QueueEntry | None:
        path = self._state_path(queue_id)
        return self._load(path) if path.exists() else None

    def remove(self, queue_id: str) -> None:
        """Take an entry out of the queue: its state file first, so it never looks half-gone."""
        try:
            self._state_path(queue_id).unlink()
        except FileNotFoundError:
            raise QueueError(f"aucun message {queue_id} dans la file") from None
        (self._messages / queue_id).unlink(missing_ok=True)

    def clear(self) -> None:
        """Empty the queue and number from 1 again, as on a freshly installed server."""
        with self._lock:
            shutil.rmtree(self.directory, ignore_errors=True)
            self._make_directories()
            self._last = 0

    # -- files ------------------------------------------------------------------------------------

    def _state_path(self, queue_id: str) -> Path:
        return self._entries / f"{queue_id}.json"

    def _load(self, path: Path) -> QueueEntry:
        data = json.loads(path.read_text(encoding="utf-8"))
        return QueueEntry.from_json(data, self._messages / data["id"])

    def _write(self, final: Path, content: bytes) -> None:
        """Write ``content`` to ``tmp/`` and rename it to ``final``: all or nothing."""
        temporary = self._tmp / final.name
        try:
            temporary.write_bytes(content)
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
