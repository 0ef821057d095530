"""A lab clock that makes dates in transcripts and Maildirs repeatable.

Freezing time globally would also freeze ``time.monotonic`` and hang asyncio, so the lab asks this
clock explicitly for every date it writes (Received headers, file mtimes, INTERNALDATE).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

#: The lab's first instant after every reset.
EPOCH = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


class LabClock:
    """Returns ``EPOCH``, then one second later on each call; ``reset`` starts over.

    ``advance`` jumps ahead (an example "waits" five minutes for the mail queue to retry) and
    ``peek`` reads the time without ticking, for decisions that write no date.
    """

    def __init__(self, start: datetime = EPOCH, step: timedelta = timedelta(seconds=1)) -> None:
        self._start = start
        self._step = step
        self._ticks = 0
        self._skipped = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            value = self._current()
            self._ticks += 1
            return value

    def peek(self) -> datetime:
        """The value the next ``now()`` will return, without moving the clock."""
        with self._lock:
            return self._current()

    def advance(self, delta: timedelta) -> None:
        """Move the clock ``delta`` ahead, as if that much time had passed."""
        if delta < timedelta(0):
            raise ValueError("l’horloge du labo ne recule pas")
        with self._lock:
            self._skipped += delta

    def reset(self) -> None:
        with self._lock:
            self._ticks = 0
            self._skipped = timedelta(0)

    def _current(self) -> datetime:
        return self._start + self._ticks * self._step + self._skipped
