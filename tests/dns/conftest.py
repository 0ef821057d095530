"""A lab DNS server on a private event loop, like the lab's, with its recorder and a resolver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loop_thread import LoopThread

from labo.dns import DnsServer, LabResolver, LabZone, build_zone, start_dns
from labo.wire.transcript import Recorder

TIMEOUT = 5.0

#: A DKIM key record long enough that its answer does not fit in 512 octets of UDP.
DKIM_OWNER = "labo2026._domainkey.example.com"
DKIM_VALUE = "v=DKIM1; k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 14


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
