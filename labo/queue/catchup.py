"""A jump of the lab clock that lets every retry falling inside it happen, in order, on time.

An example "waits" an hour or five days by moving the lab clock. Had that time really passed,
Postfix would have retried a deferred message at each step of its backoff (5, 10, 20 minutes…)
and given up at the first retry past the queue lifetime. So the clock does not jump in one go:
it stops at each retry time inside the jump, lets the MTAs work, and goes on from there. Every
attempt is dated at its own time and its backoff counts from there, so the outcome is the same
run after run, whatever the size of the jump.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from labo.clock import LabClock
from labo.queue.store import MailQueue


def advance_with_retries(
    clock: LabClock,
    delta: timedelta,
    *,
    queues: Callable[[], Iterable[MailQueue]],
    flush: Callable[[], None],
) -> None:
    """Move ``clock`` ``delta`` ahead, stopping at each retry due on the way.

    ``queues`` gives the queues to watch (read again at each stop), ``flush`` lets the MTAs make
    the attempts due at the clock's time and returns once they are over.
    """
    if delta < timedelta(0):
        raise ValueError("l’horloge du labo ne recule pas")
    target = clock.peek() + delta
    last: datetime | None = None
    while (stop := next_retry(queues(), until=target)) is not None:
        if last is not None and stop <= last:
            break  # an attempt that did not reschedule its entry: never loop on it
        _advance_to(clock, stop)
        flush()
        last = stop
    _advance_to(clock, target)
    flush()


def next_retry(queues: Iterable[MailQueue], *, until: datetime) -> datetime | None:
    """The earliest retry time not later than ``until`` among the queues' deferred entries."""
    times = [
        entry.next_attempt
        for queue in queues
        for entry in queue.entries()
        if entry.next_attempt is not None and entry.next_attempt <= until
    ]
    return min(times, default=None)


def _advance_to(clock: LabClock, when: datetime) -> None:
    ahead = when - clock.peek()
    if ahead > timedelta(0):
        clock.advance(ahead)
