"""The change signals IMAP IDLE waits on (labo.imap.changes), and the store hook feeding them."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from pymap.concurrent import Event

from labo.clock import LabClock
from labo.identity import USERS
from labo.imap.changes import ChangeBoard, ChangeSignal
from labo.store import MailStore

ALICE, BOB = USERS
MESSAGE = b"Subject: Salut\r\n\r\nBonjour.\r\n"


@pytest.fixture
def store(tmp_path: Path) -> MailStore:
    store = MailStore(tmp_path, LabClock())
    store.reset()
    return store


def test_wait_returns_at_once_when_a_change_came_since_the_count_seen() -> None:
    async def scenario() -> None:
        signal = ChangeSignal()
        seen = signal.version
        signal.bump()
        await asyncio.wait_for(signal.wait_beyond(seen, Event.for_asyncio()), 1)

    asyncio.run(scenario())


def test_wait_ends_on_the_next_change() -> None:
    async def scenario() -> None:
        signal = ChangeSignal()
        waiting = asyncio.create_task(signal.wait_beyond(signal.version, Event.for_asyncio()))
        await asyncio.sleep(0)  # let it start waiting
        assert not waiting.done()
        signal.bump()
        await asyncio.wait_for(waiting, 1)

    asyncio.run(scenario())


def test_wait_ends_when_idle_is_done() -> None:
    async def scenario() -> None:
        signal, done = ChangeSignal(), Event.for_asyncio()
        waiting = asyncio.create_task(signal.wait_beyond(signal.version, done))
        await asyncio.sleep(0)
        done.set()
        await asyncio.wait_for(waiting, 1)

    asyncio.run(scenario())


def test_delivery_from_another_thread_bumps_the_recipient_signal_only(store: MailStore) -> None:
    async def scenario() -> tuple[int, int]:
        board = ChangeBoard()
        board.listen(store)
        alice, bob = board.signal(ALICE.login), board.signal(BOB.login)
        waiting = asyncio.create_task(alice.wait_beyond(alice.version, Event.for_asyncio()))
        delivery = threading.Thread(target=store.deliver, args=(ALICE, MESSAGE))
        delivery.start()
        await asyncio.wait_for(waiting, 1)
        delivery.join()
        return alice.version, bob.version

    assert asyncio.run(scenario()) == (1, 0)


def test_a_board_no_longer_listening_is_not_told(store: MailStore) -> None:
    async def scenario() -> int:
        board = ChangeBoard()
        stop = board.listen(store)
        stop()
        store.deliver(ALICE, MESSAGE)
        await asyncio.sleep(0)  # where a scheduled bump would run
        return board.signal(ALICE.login).version

    assert asyncio.run(scenario()) == 0
