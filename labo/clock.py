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
    """Returns ``EPOCH``, then one second later on each call; ``reset`` starts over."""

    def __init__(self, start: datetime = EPOCH, step: timedelta = timedelta(seconds=1)) -> None:
        self._start = start
        self._step = step
        self._ticks = 0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            value = self._start + self._ticks * self._step
            self._ticks += 1
            return value

    def reset(self) -> None:
        with self._lock:
            self._ticks = 0
