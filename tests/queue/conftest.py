"""Fixtures for the mail queue: a queue on a fresh lab clock, a scripted transport, a sink.

pytest-asyncio is not installed, so each test drives the manager with ``asyncio.run``
(``run_queue``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from queue_fakes import REPORTING_HOST, RecordingSink, ScriptedTransport

from labo.clock import LabClock
from labo.queue import MailQueue, QueueManager


@pytest.fixture
def clock() -> LabClock:
    return LabClock()


@pytest.fixture
def queue(tmp_path: Path, clock: LabClock) -> MailQueue:
    return MailQueue(tmp_path / "queue", clock)


@pytest.fixture
def transport() -> ScriptedTransport:
    return ScriptedTransport()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def manager(queue: MailQueue, transport: ScriptedTransport, sink: RecordingSink) -> QueueManager:
    return QueueManager(queue, transport, sink, REPORTING_HOST)


@pytest.fixture
def run_queue(manager: QueueManager) -> Callable[[], None]:
    """Kick the manager and wait until it is idle, on a loop of its own."""

    def run() -> None:
        async def kick_and_wait() -> None:
            manager.kick()
            await manager.wait_idle()

        asyncio.run(kick_and_wait())

    return run
