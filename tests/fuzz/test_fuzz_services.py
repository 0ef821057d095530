"""Bounded, seeded fuzzing of every service of both providers, through the recording proxy.

Every class of malformed input (``hostile_clients``) goes to each of the 14 services; then the
lab's log must hold no traceback, and a normal client must still be served. An endless line must
cost the lab bounded memory. Only loopback is contacted (``Lab.endpoint``). A failure names the
seed: ``LABO_FUZZ_SEED=<seed> pytest tests/fuzz`` replays it.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import ssl
import tracemalloc
from collections.abc import Callable

import pytest
from hostile_clients import IN_SESSION, PROBE, QUIT, TLS_REQUEST

from labo.identity import PROVIDERS, SERVICES, Service
from labo.lab import Lab

SEED = int(os.environ.get("LABO_FUZZ_SEED", "20261202"))
#: How long one read may wait for the lab: a bound on a hang, never a pause.
READ_TIMEOUT = 10.0
#: What one endless line may cost the lab while it crosses the proxy and reaches the server.
MEMORY_BOUND = 4 * 1024 * 1024

KEYS = [(domain, name) for domain in PROVIDERS for name in SERVICES]

pytestmark = pytest.mark.timeout(300)


def replay(domain: str, name: str, detail: str = "") -> str:
    return f"graine {SEED} ({domain} {name}{', ' + detail if detail else ''})"


class Session:
    """A raw client of one lab service: greeted, in TLS when the service starts with it."""

    def __init__(self, lab: Lab, domain: str, service: Service) -> None:
        self.service = service
        self.hostname = PROVIDERS[domain].hostname_for(service)
        self.context = ssl.create_default_context(cafile=str(lab.ca_file))
        raw = socket.create_connection(lab.endpoint(domain, service.name), timeout=READ_TIMEOUT)
        self.sock: socket.socket = raw
        if service.tls == "implicit":
            self.sock = self.context.wrap_socket(raw, server_hostname=self.hostname)
        self.greeting = self.line()

    def line(self) -> bytes:
        data = b""
        while not data.endswith(b"\n"):
            chunk = self.sock.recv(1)
            if not chunk:
                break
            data += chunk
        return data

    def reply(self) -> bytes:
        """One whole reply: SMTP's last line, IMAP's tagged line, POP3's status line."""
        while True:
            line = self.line()
            protocol = self.service.protocol
            if not line or not (
                (protocol == "smtp" and line[3:4] == b"-")
                or (protocol == "imap" and line.startswith(b"* "))
            ):
                return line

    def send(self, data: bytes) -> bool:
        """Send ``data``; False when the server has already hung up (it may, mid-line)."""
        try:
            self.sock.sendall(data)
        except (ConnectionError, ssl.SSLError):
            return False
        return True

    def until_closed(self) -> None:
        """Read until the server closes; a time-out here means it never did."""
        try:
            while self.sock.recv(65536):
                pass
        except (ConnectionResetError, ssl.SSLError):
            pass  # closed with our bytes unread, or TLS torn down: closed all the same

    def upgrade(self) -> None:
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.hostname)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def fresh(lab: Lab) -> Lab:
    lab.reset()
    return lab


@pytest.fixture
def tracebacks(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """What the lab logged so far (every thread) with a traceback, or as an asyncio error."""
    caplog.set_level(logging.DEBUG)

    def found() -> list[str]:
        return [
            f"{record.name}: {record.getMessage()}"
            for record in caplog.records
            if record.exc_info
            or "Traceback" in record.getMessage()
            or (record.name == "asyncio" and record.levelno >= logging.ERROR)
        ]

    return found


def say_hello(session: Session) -> None:
    if session.service.protocol == "smtp":
        session.send(b"EHLO client.example.com\r\n")
        session.reply()


def log_in_where_possible(session: Session, domain: str) -> None:
    """On imaps, log in and select: SEARCH and APPEND are only parsed in a session."""
    if session.service.protocol == "imap" and session.service.tls == "implicit":
        user = PROVIDERS[domain].users[0]
        session.send(f"n0 LOGIN {user.login} {user.password}\r\nn0 SELECT INBOX\r\n".encode())
        session.reply()
        session.reply()


def send_and_leave(session: Session, payload: bytes) -> None:
    if session.send(payload):
        session.send(QUIT[session.service.protocol])
    session.until_closed()


def pipelined_tls_request(session: Session) -> None:
    """The TLS request with a command right behind it; on the reply, the handshake starts."""
    protocol = session.service.protocol
    session.send(TLS_REQUEST[protocol] + PROBE[protocol])
    answer = session.reply()
    if session.service.tls == "starttls" and answer.startswith((b"220", b"+OK", b"s1 OK")):
        session.upgrade()
    session.send(QUIT[protocol])
    session.until_closed()


def still_serves(lab: Lab, domain: str, service: Service) -> bool:
    session = Session(lab, domain, service)
    try:
        session.send(PROBE[service.protocol])
        answer = session.reply()
        return answer.startswith((b"250", b"+OK", b"p1 OK"))
    finally:
        session.close()


def hostile_session(lab: Lab, domain: str, service: Service, case: str) -> None:
    rng = random.Random(f"{SEED}/{domain}/{service.name}/{case}")
    session = Session(lab, domain, service)
    try:
        say_hello(session)
        log_in_where_possible(session, domain)
        if case == "STARTTLS suivi d'une commande":
            pipelined_tls_request(session)
        else:
            send_and_leave(session, IN_SESSION[case](rng, service))
    finally:
        session.close()


def garbage_instead_of_tls(lab: Lab, domain: str, service: Service) -> None:
    """On implicit TLS, bytes that are no handshake: the connection ends, nothing else."""
    rng = random.Random(f"{SEED}/{domain}/{service.name}/handshake")
    with socket.create_connection(lab.endpoint(domain, service.name), timeout=READ_TIMEOUT) as raw:
        raw.sendall(rng.randbytes(rng.randint(1, 4096)))
        try:
            while raw.recv(65536):
                pass
        except ConnectionResetError:
            pass


CASES = [*IN_SESSION, "STARTTLS suivi d'une commande"]


@pytest.mark.parametrize(("domain", "name"), KEYS)
def test_every_malformed_class_leaves_the_service_serving_without_a_traceback(
    fresh: Lab, tracebacks: Callable[[], list[str]], domain: str, name: str
) -> None:
    service = SERVICES[name]
    for case in CASES:
        hostile_session(fresh, domain, service, case)
        assert still_serves(fresh, domain, service), replay(domain, name, case)
    if service.tls == "implicit":
        garbage_instead_of_tls(fresh, domain, service)
        assert still_serves(fresh, domain, service), replay(domain, name, "poignée de main")
    fresh.settle(5.0)
    assert tracebacks() == [], replay(domain, name)


@pytest.mark.parametrize(("domain", "name"), KEYS)
def test_an_endless_line_costs_the_lab_bounded_memory(fresh: Lab, domain: str, name: str) -> None:
    service = SERVICES[name]
    chunk = b"x" * 65536
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        session = Session(fresh, domain, service)
        say_hello(session)
        sent = 0
        while sent < 8 * 1024 * 1024 and session.send(chunk):
            sent += len(chunk)
        send_and_leave(session, b"\r\n")
        session.close()
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, replay(domain, name, f"{peak} octets de plus au plus fort")
