"""When the queue tries a deferred message again, and when it gives up.

Postfix's defaults (``minimal_backoff_time`` 300 s, ``maximal_backoff_time`` 4000 s,
``maximal_queue_lifetime`` 5 days): the first retry comes 5 minutes after the first failure,
each later one waits twice as long as the one before, never more than 66 min 40 s, and a message
still undelivered 5 days after its arrival is returned to its sender. All of it on the lab
clock, so an example "waits" by advancing the clock, not by sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """The backoff and lifetime of the queue (Postfix's defaults unless told otherwise)."""

    first_backoff: timedelta = timedelta(minutes=5)
    max_backoff: timedelta = timedelta(seconds=4000)
    lifetime: timedelta = timedelta(days=5)

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failed attempt (1 for the first)."""
        if attempts < 1:
            return timedelta(0)
        doubled = self.first_backoff * 2 ** min(attempts - 1, 32)
        return min(doubled, self.max_backoff)

    def next_attempt(self, attempted_at: datetime, attempts: int) -> datetime:
        return attempted_at + self.backoff(attempts)

    def expired(self, arrival: datetime, now: datetime) -> bool:
        """True once a message has spent its whole lifetime in the queue."""
        return now - arrival >= self.lifetime
