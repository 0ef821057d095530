"""The SMTP session alone (``LabSMTP``), under a handler that accepts anything or fails.

What the session does by itself, whatever the lab's handler decides: SMTPUTF8 (RFC 6531) lets a
UTF-8 address through to the handler, and a handler that raises ends the session with a protocol
reply instead of a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from labo.identity import PROVIDERS, SERVICES
from labo.smtp.policy import policy_for
from labo.smtp.session import LabSMTP

HOST = "127.0.0.1"
TIMEOUT = 5.0
MX_NAME = PROVIDERS["example.org"].host("mx").name


class RecordingHandler:
    """Accepts every client and address, and records what the session handed over."""

    def __init__(self) -> None:
        self.senders: list[tuple[str, bool]] = []
        self.recipients: list[str] = []
        self.fail_on_rcpt = False

    async def handle_PROXY(
        self, server: SMTP, session: Session, envelope: Envelope, proxy_data: Any
    ) -> bool:
        return True

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.senders.append((address, envelope.smtp_utf8))
        envelope.mail_from = address
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.fail_on_rcpt:
            raise RuntimeError("handler bug")
        self.recipients.append(address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, name="labo-smtp-session", daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(TIMEOUT)
    running.close()


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def port(loop: asyncio.AbstractEventLoop, handler: RecordingHandler) -> Iterator[int]:
    """An MX session server (port 25's policy) on an ephemeral loopback port."""
    sessions: set[LabSMTP] = set()

    def new_session() -> LabSMTP:
        return LabSMTP(
            handler,
            policy=policy_for(SERVICES["smtp"]),
            sessions=sessions,
            loop=loop,
            hostname=MX_NAME,
            ident="ESMTP",
            enable_SMTPUTF8=True,
            # As in the lab: the recording proxy's PROXY header comes first.
            proxy_protocol_timeout=TIMEOUT,
        )

    async def serve() -> asyncio.Server:
        return await loop.create_server(new_session, host=HOST, port=0)

    server = asyncio.run_coroutine_threadsafe(serve(), loop).result(TIMEOUT)

    async def close() -> None:
        server.close()
        tasks = [task for session in list(sessions) if (task := session.abort())]
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    yield int(server.sockets[0].getsockname()[1])
    asyncio.run_coroutine_threadsafe(close(), loop).result(TIMEOUT)


class Dialogue:
    """A raw client after its EHLO: one line out, one (single-line) reply back."""

    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        client_port = self._sock.getsockname()[1]
        self._sock.sendall(f"PROXY TCP4 203.0.113.9 192.0.2.1 {client_port} {port}\r\n".encode())
        self._lines = self._sock.makefile("rb")
        self._lines.readline()
        self._sock.sendall(b"EHLO client.example.net\r\n")
        while self._lines.readline()[3:4] == b"-":
            pass

    def command(self, line: str) -> bytes:
        self._sock.sendall(line.encode("utf-8") + b"\r\n")
        return self._lines.readline()

    def at_end(self) -> bool:
        return self._lines.readline() == b""

    def close(self) -> None:
        self._lines.close()
        self._sock.close()


@pytest.fixture
def dialogue(port: int) -> Iterator[Dialogue]:
    client = Dialogue(port)
    yield client
    client.close()


def test_utf8_sender_declared_with_smtputf8_reaches_the_handler(
    dialogue: Dialogue, handler: RecordingHandler
) -> None:
    reply = dialogue.command("MAIL FROM:<josé@example.net> SMTPUTF8")
    assert (reply, handler.senders) == (b"250 2.1.0 Ok\r\n", [("josé@example.net", True)])


def test_utf8_recipient_is_accepted_after_smtputf8(
    dialogue: Dialogue, handler: RecordingHandler
) -> None:
    dialogue.command("MAIL FROM:<carol@example.net> SMTPUTF8")
    reply = dialogue.command("RCPT TO:<bérénice@example.org>")
    assert (reply, handler.recipients) == (b"250 2.1.5 Ok\r\n", ["bérénice@example.org"])


def test_utf8_recipient_without_smtputf8_is_refused_with_553_5_6_7(
    dialogue: Dialogue, handler: RecordingHandler
) -> None:
    dialogue.command("MAIL FROM:<carol@example.net>")
    reply = dialogue.command("RCPT TO:<bérénice@example.org>")
    assert (reply, handler.recipients) == (
        b"553 5.6.7 Must declare SMTPUTF8 to send unicode address\r\n",
        [],
    )


def test_handler_failure_ends_the_session_with_421_and_no_traceback(
    dialogue: Dialogue, handler: RecordingHandler, caplog: pytest.LogCaptureFixture
) -> None:
    handler.fail_on_rcpt = True
    dialogue.command("MAIL FROM:<carol@example.net>")
    with caplog.at_level(logging.INFO):
        reply = dialogue.command("RCPT TO:<bob@example.org>")
        ended = dialogue.at_end()
    tracebacks: list[Any] = [record.exc_info for record in caplog.records if record.exc_info]
    assert (reply, ended, tracebacks) == (
        b"421 4.3.0 mx.example.org Error: internal error\r\n",
        True,
        [],
    )
