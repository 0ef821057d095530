"""A clock jump lets every retry inside it happen, in order and on time, as if time had passed."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from queue_fakes import MESSAGE, REPORTING_HOST, RecordingSink

from labo.clock import LabClock
from labo.queue import MailQueue, Outcome, QueueEntry, QueueManager, Temporary
from labo.queue.catchup import advance_with_retries

REFUSED = Temporary("connect to mail.example.net[203.0.113.25]:25: Connection refused", "4.4.1")


@dataclass
class DeadServer:
    """A transport whose next hop never answers; it notes the lab time of every attempt."""

    clock: LabClock
    attempts: list[datetime] = field(default_factory=list)

    async def __call__(self, entry: QueueEntry, recipients: Sequence[str]) -> Mapping[str, Outcome]:
        self.attempts.append(self.clock.peek())
        return dict.fromkeys(recipients, REFUSED)


@dataclass
class DeadServerLab:
    """One queue, its manager and the dead server behind it, on a clock of their own."""

    clock: LabClock
    queue: MailQueue
    server: DeadServer
    sink: RecordingSink
    flush: Callable[[], None]

    def jump(self, delta: timedelta) -> None:
        advance_with_retries(self.clock, delta, queues=lambda: [self.queue], flush=self.flush)

    def retries(self) -> list[timedelta]:
        """When each retry came, counted from the first attempt."""
        first, *others = self.server.attempts
        return [when - first for when in others]


@pytest.fixture
def make_lab(
    tmp_path: Path, run_manager: Callable[[QueueManager], None]
) -> Callable[[], DeadServerLab]:
    numbers = itertools.count()

    def make() -> DeadServerLab:
        clock = LabClock()
        queue = MailQueue(tmp_path / f"queue{next(numbers)}", clock)
        server, sink = DeadServer(clock), RecordingSink()
        manager = QueueManager(queue, server, sink, REPORTING_HOST)
        lab = DeadServerLab(clock, queue, server, sink, lambda: run_manager(manager))
        queue.enqueue("alice@example.com", ["dave@example.net"], MESSAGE)
        lab.flush()  # the first attempt, at once
        return lab

    return make


@pytest.fixture
def run_manager() -> Callable[[QueueManager], None]:
    """Kick a manager and wait until it is idle, on a loop of its own."""

    def run(manager: QueueManager) -> None:
        async def kick_and_wait() -> None:
            manager.kick()
            await manager.wait_idle()

        asyncio.run(kick_and_wait())

    return run


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=value) for value in values]


def test_an_hour_runs_each_retry_of_the_backoff_that_falls_within_it(
    make_lab: Callable[[], DeadServerLab],
) -> None:
    lab = make_lab()
    lab.jump(timedelta(hours=1))
    assert lab.retries() == minutes(5, 15, 35)


def test_a_jump_gives_the_same_retries_as_the_same_time_in_small_steps(
    make_lab: Callable[[], DeadServerLab],
) -> None:
    at_once, in_steps = make_lab(), make_lab()
    at_once.jump(timedelta(hours=3))
    for _ in range(36):
        in_steps.jump(timedelta(minutes=5))
    assert at_once.retries() == in_steps.retries()


def test_retries_never_wait_more_than_the_maximal_backoff(
    make_lab: Callable[[], DeadServerLab],
) -> None:
    lab = make_lab()
    lab.jump(timedelta(hours=5))
    gaps = [b - a for a, b in zip(lab.server.attempts, lab.server.attempts[1:], strict=False)]
    assert gaps == [*minutes(5, 10, 20, 40), *[timedelta(seconds=4000)] * 3]


def test_five_days_return_the_message_at_the_first_retry_past_its_lifetime(
    make_lab: Callable[[], DeadServerLab],
) -> None:
    lab = make_lab()
    lab.jump(timedelta(days=5, hours=2))
    arrival = lab.server.attempts[0]
    last = lab.server.attempts[-1]
    assert (len(lab.sink.reports), lab.queue.entries()) == (1, [])
    assert timedelta(days=5) <= last - arrival < timedelta(days=5, seconds=4000)


def test_the_clock_ends_at_the_end_of_the_jump(make_lab: Callable[[], DeadServerLab]) -> None:
    lab = make_lab()
    start = lab.clock.peek()
    lab.jump(timedelta(hours=1))
    assert lab.clock.peek() >= start + timedelta(hours=1)
