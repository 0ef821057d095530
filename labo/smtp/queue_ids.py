"""Queue ids: the name a server gives each accepted message ("250 2.0.0 Ok: queued as …").

Real MTAs derive them from the clock and the process; the lab numbers messages instead, from 1
after every store reset, so the same scenario always prints the same ids. The three SMTP
services are one server (mail.example.net), so they share one counter per store: two messages
never get the same id, whichever port they came through.
"""

from __future__ import annotations

import threading
import weakref

from labo.store import MailStore


class QueueIds:
    """Hands out ``000000001``, ``000000002``… (nine upper-case hex digits, Postfix-like)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # reset() comes from the thread that resets the store
        self._last = 0

    def next(self) -> str:
        with self._lock:
            self._last += 1
            return f"{self._last:09X}"

    def reset(self) -> None:
        with self._lock:
            self._last = 0


_BY_STORE: weakref.WeakKeyDictionary[MailStore, QueueIds] = weakref.WeakKeyDictionary()
_BY_STORE_LOCK = threading.Lock()


def queue_ids_for(store: MailStore) -> QueueIds:
    """The counter shared by every SMTP service of ``store``'s lab, restarted by its resets."""
    with _BY_STORE_LOCK:
        counter = _BY_STORE.get(store)
        if counter is None:
            counter = _BY_STORE[store] = QueueIds()
            store.on_reset(counter.reset)
        return counter
