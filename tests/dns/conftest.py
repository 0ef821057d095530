"""A lab DNS server on a private event loop, like the lab's, with its recorder and a resolver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from labo.dns import DnsServer, LabResolver, LabZone, build_zone, start_dns
from labo.wire.transcript import Recorder

TIMEOUT = 5.0
T = TypeVar("T")

#: A DKIM key record long enough that its answer does not fit in 512 octets of UDP.
DKIM_OWNER = "labo2026._domainkey.example.com"
DKIM_VALUE = "v=DKIM1; k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 14


class LoopThread:
    """An event loop in a background thread; records errors that would go unnoticed."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.unhandled: list[dict[str, Any]] = []
        self.loop.set_exception_handler(lambda _loop, context: self.unhandled.append(context))
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)
        self.loop.close()


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def zone() -> LabZone:
    return build_zone({DKIM_OWNER: [DKIM_VALUE]})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(loop_thread: LoopThread, zone: LabZone, recorder: Recorder) -> Iterator[DnsServer]:
    """A fresh server for each test, so its transcript starts at [1]; nothing may go unnoticed."""
    started = loop_thread.run(start_dns(zone, recorder))
    yield started
    loop_thread.run(started.close())
    assert loop_thread.unhandled == []


@pytest.fixture
def resolver(server: DnsServer) -> LabResolver:
    return LabResolver(("127.0.0.1", server.port), "MTA d'example.com")
