"""The lab's SMTP server: the MX on "smtp" (25), the MSA on "submission" (587, STARTTLS) and
"submissions" (465, implicit TLS), driven by smtplib and by a raw socket for malformed input."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
import ssl
import threading
import tracemalloc
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from labo.context import LabContext
from labo.identity import SERVICES, USERS, User
from labo.queue import MailQueue
from labo.smtp import MAX_MESSAGE_SIZE, SMTPBackend, start
from labo.smtp.policy import policy_for

T = TypeVar("T")

ALICE, BOB = USERS
HOST = "127.0.0.1"
CLIENT_NAME = "client.example.com"
TIMEOUT = 5.0
MESSAGE = b"From: Bob <bob@example.org>\r\nSubject: Salut\r\n\r\nBonjour Alice.\r\n"

#: A context made without a provider plays example.org (with a mailbox for every lab user):
#: each service greets with the name of its host, the MX on 25, the submission host on 587/465.
SERVER_NAME = {
    "smtp": "mx.example.org",
    "submission": "smtp.example.org",
    "submissions": "smtp.example.org",
}

# -- the lab under test ---------------------------------------------------------------------------


@dataclass
class RunningSMTP:
    """The three SMTP services over one store, on a background event loop like the lab's."""

    ctx: LabContext
    loop: asyncio.AbstractEventLoop
    backends: dict[str, SMTPBackend]

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def port(self, service: str) -> int:
        return self.backends[service].port

    def reset(self) -> None:
        """What ``Lab.reset`` does for SMTP: no session left, clock and mailboxes from zero."""
        for backend in self.backends.values():
            self.call(backend.drop_connections())
        self.ctx.clock.reset()
        self.ctx.store.reset()

    def wait_until_idle(self, service: str) -> None:
        """Wait (bounded) until the server has seen every client of ``service`` go."""
        backend = self.backends[service]

        async def idle() -> None:
            while backend.live_sessions:
                await asyncio.sleep(0.01)

        self.call(asyncio.wait_for(idle(), TIMEOUT))

    def queue(self) -> MailQueue:
        """The provider's queue, where the three services put what they accept."""
        assert self.ctx.mta is not None
        return self.ctx.mta.queue

    def flush(self) -> None:
        """Let the MTA deliver what its queue holds (the lab does so when a client leaves)."""

        async def flush() -> None:
            assert self.ctx.mta is not None
            self.ctx.mta.kick()
            await self.ctx.mta.wait_idle()

        self.call(flush())

    def inbox(self, user: User) -> list[bytes]:
        """The mailbox once the MTA has delivered what its queue holds."""
        self.flush()
        return [message.read() for message in self.ctx.store.messages(user)]

    def maildirs(self) -> dict[str, tuple[bytes, int]]:
        """Every file under the mail root once the queue is delivered: content and mtime."""
        self.flush()
        root = self.ctx.store.mail_root
        return {
            str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSMTP]:
    directory: Path = tmp_path_factory.mktemp("smtp-lab")
    ctx = LabContext.create(directory)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="labo-smtp-test", daemon=True)
    thread.start()
    running = RunningSMTP(ctx, loop, {})
    try:
        for name in ("smtp", "submission", "submissions"):
            running.backends[name] = running.call(start(ctx, SERVICES[name]))
        yield running
    finally:
        for backend in running.backends.values():
            running.call(backend.close())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)
        loop.close()


@pytest.fixture(autouse=True)
def fresh_lab(lab: RunningSMTP) -> None:
    lab.reset()


# -- clients --------------------------------------------------------------------------------------


#: Who the clients of these tests are on the lab's Internet (the recording proxy would say so).
CLIENT_ADDRESS = "203.0.113.9"


def proxy_line(sock: socket.socket, port: int) -> bytes:
    """The PROXY v1 header the recording proxy sends ahead of every client."""
    client_port = sock.getsockname()[1]
    return f"PROXY TCP4 {CLIENT_ADDRESS} 192.0.2.1 {client_port} {port}\r\n".encode()


class ProxiedSMTP(smtplib.SMTP):
    """smtplib, announced by a PROXY header as the lab's servers expect."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)
        sock.sendall(proxy_line(sock, port))
        return sock


class ProxiedSMTP_SSL(smtplib.SMTP_SSL):
    """smtplib on implicit TLS, the PROXY header first inside TLS (as the proxy sends it)."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)
        sock.sendall(proxy_line(sock, port))
        return sock


def mx(lab: RunningSMTP) -> smtplib.SMTP:
    """Another server connecting to our MX on port 25, in clear."""
    return ProxiedSMTP(HOST, lab.port("smtp"), local_hostname=CLIENT_NAME, timeout=TIMEOUT)


def submission(lab: RunningSMTP, *, tls: bool = True, user: User | None = None) -> smtplib.SMTP:
    """A mail client on port 587: STARTTLS, then AUTH as ``user`` if given."""
    client = ProxiedSMTP(HOST, lab.port("submission"), local_hostname=CLIENT_NAME, timeout=TIMEOUT)
    if tls:
        client.starttls(context=lab.ctx.tls.client_context())
    if user is not None:
        client.login(user.login, user.password)
    return client


def submissions(lab: RunningSMTP, *, user: User | None = None) -> smtplib.SMTP_SSL:
    """A mail client on port 465: TLS from the first byte."""
    client = ProxiedSMTP_SSL(
        HOST,
        lab.port("submissions"),
        local_hostname=CLIENT_NAME,
        timeout=TIMEOUT,
        context=lab.ctx.tls.client_context(),
    )
    if user is not None:
        client.login(user.login, user.password)
    return client


class RawClient:
    """A socket that sends exact bytes, for what smtplib refuses to send."""

    def __init__(self, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=HOST)
        self.sock.sendall(proxy_line(self.sock, port))
        self._lines = self.sock.makefile("rb")
        self.greeting = self.reply()

    def reply(self) -> bytes:
        """One complete reply, multi-line replies included."""
        lines = []
        while True:
            line = self._lines.readline()
            if not line:
                raise ConnectionError("le serveur a fermé la connexion")
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def command(self, line: bytes) -> bytes:
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def starttls(self, tls: ssl.SSLContext) -> None:
        """STARTTLS, then the same conversation over TLS (RFC 3207)."""
        assert self.command(b"STARTTLS") == b"220 2.0.0 Ready to start TLS\r\n"
        self._lines.close()
        self.sock = tls.wrap_socket(self.sock, server_hostname=HOST)
        self._lines = self.sock.makefile("rb")

    def at_end(self) -> bool:
        """True once the server has closed the connection (and said nothing more)."""
        return self._lines.readline() == b""

    def close(self) -> None:
        self._lines.close()
        self.sock.close()


@pytest.fixture
def raw_mx(lab: RunningSMTP) -> Iterator[RawClient]:
    client = RawClient(lab.port("smtp"))
    client.command(f"EHLO {CLIENT_NAME}".encode())
    yield client
    client.close()


# -- greeting and identity ------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["smtp", "submission", "submissions"])
def test_greeting_names_the_providers_host_for_the_service_without_a_version(
    lab: RunningSMTP, service: str
) -> None:
    tls = lab.ctx.tls.client_context() if service == "submissions" else None
    client = RawClient(lab.port(service), tls)
    try:
        assert client.greeting == f"220 {SERVER_NAME[service]} ESMTP\r\n".encode()
    finally:
        client.close()


def test_a_non_smtp_service_is_refused() -> None:
    with pytest.raises(ValueError, match="pop3"):
        policy_for(SERVICES["pop3"])


def transaction(
    client: smtplib.SMTP, sender: str, recipients: list[str], message: bytes = MESSAGE
) -> tuple[int, bytes]:
    """MAIL, RCPT for each recipient, DATA; returns the reply to the message."""
    client.ehlo_or_helo_if_needed()
    assert client.mail(sender)[0] == 250
    for recipient in recipients:
        assert client.rcpt(recipient)[0] == 250
    return client.data(message)


def header_block(message: bytes) -> bytes:
    return message.split(b"\r\n\r\n", 1)[0]


# -- port 25: the MX ------------------------------------------------------------------------------


def test_mx_refuses_to_relay_to_a_foreign_domain(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.ehlo()
        client.mail("carol@example.net")
        reply = client.rcpt("dave@example.net")
    assert reply == (554, b"5.7.1 <dave@example.net>: Relay access denied")


def test_mx_delivers_to_a_user_of_its_domain_under_trace_headers(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.sendmail("carol@example.net", [BOB.address], MESSAGE)
    assert lab.inbox(BOB) == [
        b"Return-Path: <carol@example.net>\r\n"
        b"Delivered-To: bob@example.org\r\n"
        b"Received: from mx.example.org ([198.51.100.25])\r\n"
        b"\tby imap.example.org with LMTP\r\n"
        b"\tid b+4gRMMZ4vgbmtd1ScyMSg\r\n"
        b"\t(envelope-from <carol@example.net>)\r\n"
        b"\tfor <bob@example.org>; Mon, 02 Mar 2026 09:00:02 +0000\r\n"
        b"Received: from client.example.com (unknown [203.0.113.9])\r\n"
        b"\tby mx.example.org (labo) with ESMTP id 0000000001\r\n"
        b"\tfor <bob@example.org>; Mon, 02 Mar 2026 09:00:00 +0000\r\n" + MESSAGE
    ]


def test_mx_refuses_the_other_providers_domain_as_a_relay(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.ehlo()
        client.mail("carol@example.net")
        reply = client.rcpt("nobody@example.com")
    assert reply == (554, b"5.7.1 <nobody@example.com>: Relay access denied")


def test_mx_offers_starttls_without_requiring_it(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert client.mail("carol@example.net")[0] == 250


def test_mx_records_tls_in_the_received_header(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.starttls(context=lab.ctx.tls.client_context())
        client.sendmail("carol@example.net", [ALICE.address], MESSAGE)
    received = header_block(lab.inbox(ALICE)[0]).split(b"Received: ")[2]
    assert b"\r\n\t(using TLSv1." in received
    assert b" with ESMTPS id " in received


def test_mx_offers_no_auth_even_after_starttls(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.starttls(context=lab.ctx.tls.client_context())
        client.ehlo()
        assert not client.has_extn("auth")


def test_mx_answers_auth_as_not_enabled(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.ehlo()
        reply = client.docmd("AUTH", "PLAIN")
    assert reply == (503, b"5.5.1 Error: authentication not enabled")


def test_mx_accepts_the_null_sender_of_bounces(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.sendmail("<>", [BOB.address], MESSAGE)
    assert lab.inbox(BOB)[0].startswith(b"Return-Path: <>\r\n")


@pytest.mark.parametrize("service", ["smtp", "submission"])
def test_unknown_local_user_is_refused_with_550_5_1_1(lab: RunningSMTP, service: str) -> None:
    client = mx(lab) if service == "smtp" else submission(lab, user=ALICE)
    with client:
        client.ehlo_or_helo_if_needed()
        client.mail(ALICE.address)
        reply = client.rcpt("nobody@example.org")
    assert reply == (
        550,
        b"5.1.1 <nobody@example.org>: Recipient address rejected: "
        b"User unknown in virtual mailbox table",
    )


# -- port 587: submission with STARTTLS -----------------------------------------------------------


def test_submission_hides_auth_before_starttls(lab: RunningSMTP) -> None:
    with submission(lab, tls=False) as client:
        client.ehlo()
        assert (client.has_extn("starttls"), client.has_extn("auth")) == (True, False)


def test_submission_offers_auth_instead_of_starttls_after_tls(lab: RunningSMTP) -> None:
    with submission(lab) as client:
        client.ehlo()
        assert (client.has_extn("starttls"), client.esmtp_features.get("auth")) == (
            False,
            " PLAIN LOGIN",
        )


def test_submission_refuses_mail_before_starttls(lab: RunningSMTP) -> None:
    with submission(lab, tls=False) as client:
        client.ehlo()
        reply = client.mail(ALICE.address)
    assert reply == (530, b"5.7.0 Must issue a STARTTLS command first")


def test_submission_refuses_mail_before_auth(lab: RunningSMTP) -> None:
    with submission(lab) as client:
        client.ehlo()
        reply = client.mail(ALICE.address)
    assert reply == (530, b"5.7.0 Authentication required")


def test_wrong_password_is_refused_with_535(lab: RunningSMTP) -> None:
    with submission(lab) as client, pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        client.login(ALICE.login, "not-the-password")
    assert (refused.value.smtp_code, refused.value.smtp_error) == (
        535,
        b"5.7.8 Authentication credentials invalid",
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_mechanism_accepts_the_right_password(lab: RunningSMTP, mechanism: str) -> None:
    with submission(lab) as client:
        client.ehlo()
        client.user, client.password = BOB.login, BOB.password
        authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        reply = client.auth(mechanism, authobject, initial_response_ok=mechanism == "PLAIN")
    assert reply == (235, b"2.7.0 Authentication successful")


def test_sender_not_owned_by_the_user_is_refused_with_553(lab: RunningSMTP) -> None:
    with submission(lab, user=ALICE) as client:
        reply = client.mail(BOB.address)
    assert reply == (
        553,
        b"5.7.1 <bob@example.org>: Sender address rejected: not owned by user alice@example.com",
    )


def test_submission_queues_mail_for_another_domain_to_relay_it(lab: RunningSMTP) -> None:
    with submission(lab, user=ALICE) as client:
        reply = transaction(client, ALICE.address, ["dave@example.net"])
    queued = [(e.id, [r.address for r in e.recipients]) for e in lab.queue().entries()]
    assert (reply, queued) == (
        (250, b"2.0.0 Ok: queued as 0000000001"),
        [("0000000001", ["dave@example.net"])],
    )


def test_submission_records_esmtpsa_in_the_received_header(lab: RunningSMTP) -> None:
    with submission(lab, user=ALICE) as client:
        client.sendmail(ALICE.address, [BOB.address], MESSAGE)
    assert b" with ESMTPSA id " in header_block(lab.inbox(BOB)[0])


# -- port 465: submission over implicit TLS -------------------------------------------------------


def test_submissions_offers_auth_over_implicit_tls(lab: RunningSMTP) -> None:
    with submissions(lab) as client:
        client.ehlo()
        assert client.esmtp_features.get("auth") == " PLAIN LOGIN"


def test_submissions_does_not_offer_starttls(lab: RunningSMTP) -> None:
    with submissions(lab) as client:
        client.ehlo()
        assert not client.has_extn("starttls")


def test_submissions_refuses_mail_before_auth(lab: RunningSMTP) -> None:
    with submissions(lab) as client:
        client.ehlo()
        reply = client.mail(BOB.address)
    assert reply == (530, b"5.7.0 Authentication required")


def test_submissions_records_tls_and_auth_in_the_received_header(lab: RunningSMTP) -> None:
    with submissions(lab, user=BOB) as client:
        client.sendmail(BOB.address, [ALICE.address], MESSAGE)
    received = header_block(lab.inbox(ALICE)[0]).split(b"Received: ")[2]
    assert (b"(using TLSv1." in received, b" with ESMTPSA id " in received) == (True, True)


# -- delivery -------------------------------------------------------------------------------------


def test_data_reply_names_the_queue_id(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        reply = transaction(client, "carol@example.net", [ALICE.address])
    assert reply == (250, b"2.0.0 Ok: queued as 0000000001")


def test_queue_ids_are_shared_by_the_three_services(lab: RunningSMTP) -> None:
    replies = []
    with mx(lab) as client:
        replies.append(transaction(client, "carol@example.net", [ALICE.address]))
    with submission(lab, user=ALICE) as client:
        replies.append(transaction(client, ALICE.address, [BOB.address]))
    with submissions(lab, user=BOB) as client:
        replies.append(transaction(client, BOB.address, [ALICE.address]))
    assert [text.rsplit(b" ", 1)[1] for _, text in replies] == [
        b"0000000001",
        b"0000000002",
        b"0000000003",
    ]


def test_two_recipients_get_one_copy_each(lab: RunningSMTP) -> None:
    with submission(lab, user=ALICE) as client:
        client.sendmail(ALICE.address, [BOB.address, ALICE.address], MESSAGE)
    delivered_to = [header_block(m).split(b"\r\n")[1] for m in lab.inbox(ALICE) + lab.inbox(BOB)]
    assert delivered_to == [b"Delivered-To: alice@example.com", b"Delivered-To: bob@example.org"]


def test_a_recipient_named_twice_gets_one_copy(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.sendmail("carol@example.net", [BOB.address, "Bob@Example.org"], MESSAGE)
    assert len(lab.inbox(BOB)) == 1


def test_bare_line_ends_are_stored_as_crlf(lab: RunningSMTP, raw_mx: RawClient) -> None:
    raw_mx.command(b"MAIL FROM:<carol@example.net>")
    raw_mx.command(b"RCPT TO:<alice@example.com>")
    raw_mx.command(b"DATA")
    raw_mx.sock.sendall(b"Subject: x\r\n\r\none\ntwo\rthree\r\n.\r\n")
    raw_mx.reply()
    assert lab.inbox(ALICE)[0].endswith(b"\r\n\r\none\r\ntwo\r\nthree\r\n")


def test_received_lines_stay_within_78_characters_for_a_long_helo(lab: RunningSMTP) -> None:
    helo = "a-rather-long-relay-name-for-the-folding-test.mx.example.net"
    port = lab.port("smtp")
    with ProxiedSMTP(HOST, port, local_hostname=helo, timeout=TIMEOUT) as client:
        client.sendmail("carol@example.net", [ALICE.address], MESSAGE)
    lines = header_block(lab.inbox(ALICE)[0]).split(b"\r\n")
    assert max(len(line) for line in lines) <= 78


def scenario(lab: RunningSMTP) -> None:
    """One message through each service, over every kind of connection."""
    with submission(lab, user=ALICE) as client:
        client.sendmail(ALICE.address, [BOB.address, ALICE.address], MESSAGE)
    with mx(lab) as client:
        client.starttls(context=lab.ctx.tls.client_context())
        client.sendmail("carol@example.net", [BOB.address], MESSAGE)
    with submissions(lab, user=BOB) as client:
        client.sendmail(BOB.address, [ALICE.address], MESSAGE)


def test_same_scenario_after_reset_gives_identical_maildirs(lab: RunningSMTP) -> None:
    scenario(lab)
    first = lab.maildirs()
    lab.reset()
    scenario(lab)
    assert (len(first), lab.maildirs()) == (4, first)


@pytest.fixture
def failing_queue_write(lab: RunningSMTP, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk is full when the server writes the message into its queue."""

    def enqueue_on_a_full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lab.queue(), "enqueue", enqueue_on_a_full_disk)


@pytest.mark.usefixtures("failing_queue_write")
def test_queue_write_failure_answers_451_4_3_0_and_delivers_nothing(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        reply = transaction(client, "carol@example.net", [ALICE.address, BOB.address])
    assert (reply, lab.inbox(ALICE) + lab.inbox(BOB)) == (
        (451, b"4.3.0 Error: queue file write error"),
        [],
    )


@pytest.fixture
def failing_second_write(lab: RunningSMTP, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MTA writes the first mailbox copy, then the disk is full."""
    deliver = lab.ctx.store.deliver
    writes = 0

    def deliver_until_full(user: User, message: bytes, **options: Any) -> str:
        nonlocal writes
        writes += 1
        if writes > 1:
            raise OSError(28, "No space left on device")
        return deliver(user, message, **options)

    monkeypatch.setattr(lab.ctx.store, "deliver", deliver_until_full)


@pytest.mark.usefixtures("failing_second_write")
def test_mailbox_write_failure_withdraws_the_copies_already_written(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        transaction(client, "carol@example.net", [ALICE.address, BOB.address])
    assert lab.inbox(ALICE) + lab.inbox(BOB) == []


@pytest.mark.usefixtures("failing_second_write")
def test_mailbox_write_failure_keeps_the_message_queued_for_a_later_attempt(
    lab: RunningSMTP,
) -> None:
    with mx(lab) as client:
        reply = transaction(client, "carol@example.net", [ALICE.address, BOB.address])
    lab.flush()
    states = [(r.address, r.status) for e in lab.queue().entries() for r in e.recipients]
    assert (reply, states) == (
        (250, b"2.0.0 Ok: queued as 0000000001"),
        [(ALICE.address, "deferred"), (BOB.address, "deferred")],
    )


# -- limits and malformed input -------------------------------------------------------------------


def test_ehlo_announces_the_size_limit(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.ehlo()
        assert client.esmtp_features.get("size") == str(MAX_MESSAGE_SIZE)


def test_declared_size_over_the_limit_is_refused_with_552_5_3_4(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.ehlo()
        reply = client.mail("carol@example.net", [f"SIZE={MAX_MESSAGE_SIZE + 1}"])
    assert reply == (552, b"5.3.4 Message size exceeds fixed limit")


def test_message_over_the_limit_is_refused_with_552_5_3_4(lab: RunningSMTP) -> None:
    line = b"x" * 998 + b"\r\n"
    too_big = b"Subject: big\r\n\r\n" + line * (MAX_MESSAGE_SIZE // len(line) + 1)
    with mx(lab) as client:
        reply = transaction(client, "carol@example.net", [ALICE.address], too_big)
    assert (reply, lab.inbox(ALICE)) == ((552, b"5.3.4 Message size exceeds fixed limit"), [])


def test_data_line_over_the_rfc_limit_is_refused_and_not_stored(
    lab: RunningSMTP, raw_mx: RawClient
) -> None:
    raw_mx.command(b"MAIL FROM:<carol@example.net>")
    raw_mx.command(b"RCPT TO:<alice@example.com>")
    raw_mx.command(b"DATA")
    raw_mx.sock.sendall(b"Subject: long\r\n\r\n" + b"x" * 1200 + b"\r\n.\r\n")
    reply = raw_mx.reply()
    assert (reply[:4], lab.inbox(ALICE)) == (b"500 ", [])


MALFORMED = {
    "mail-without-argument": (b"MAIL", b"501 5.5.4 Syntax: MAIL FROM:<address>"),
    "rcpt-before-mail": (b"RCPT TO:<alice@example.com>", b"503 5.5.1 Error: need MAIL command"),
    "data-before-rcpt": (b"DATA", b"503 5.5.1 Error: need RCPT command"),
    "ehlo-without-name": (b"EHLO", b"501 5.5.4 Syntax: EHLO hostname"),
    "unknown-command": (b"FOO bar", b"502 5.5.2 Error: command not recognized"),
    "empty-line": (b"", b"500 5.5.2 Error: bad syntax"),
    "line-too-long": (b"NOOP " + b"x" * 600, b"500 5.5.2 Error: line too long"),
    "invalid-utf-8": (b"NOOP \xff", b"500 5.5.2 Error: bad UTF-8 syntax"),
    "undeclared-utf-8": (
        "MAIL FROM:<josé@example.net>".encode(),
        b"553 5.6.7 Must declare SMTPUTF8 to send unicode address",
    ),
    "sender-without-domain": (b"MAIL FROM:<a b>", b"501 5.1.7 Bad sender address syntax"),
    "unparsable-sender": (b"MAIL FROM:<@>", b"553 5.1.3 Error: malformed address"),
    "unknown-body-type": (
        b"MAIL FROM:<carol@example.net> BODY=FOO",
        b"501 5.5.4 Bad BODY keyword value",
    ),
    "starttls-with-argument": (b"STARTTLS now", b"501 5.5.4 Syntax: STARTTLS"),
}


@pytest.mark.parametrize(("line", "expected"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_command_gets_an_error_and_the_session_goes_on(
    raw_mx: RawClient, line: bytes, expected: bytes
) -> None:
    replies = raw_mx.command(line), raw_mx.command(b"NOOP")
    assert replies == (expected + b"\r\n", b"250 2.0.0 Ok\r\n")


def test_client_vanishing_during_data_stores_nothing(lab: RunningSMTP, raw_mx: RawClient) -> None:
    raw_mx.command(b"MAIL FROM:<carol@example.net>")
    raw_mx.command(b"RCPT TO:<alice@example.com>")
    raw_mx.command(b"DATA")
    raw_mx.sock.sendall(b"Subject: half\r\n\r\nhalf a mess")
    raw_mx.close()
    lab.wait_until_idle("smtp")
    assert lab.maildirs() == {}


# -- lifecycle ------------------------------------------------------------------------------------


def test_drop_connections_cuts_live_sessions(lab: RunningSMTP) -> None:
    client = submission(lab, user=ALICE)
    lab.call(lab.backends["submission"].drop_connections())
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.noop()


def test_drop_connections_leaves_no_live_session(lab: RunningSMTP) -> None:
    clients = [mx(lab), submission(lab, user=ALICE), submissions(lab, user=BOB)]
    for backend in lab.backends.values():
        lab.call(backend.drop_connections())
    assert [backend.live_sessions for backend in lab.backends.values()] == [0, 0, 0]
    for client in clients:
        client.close()


def test_auth_logs_no_deprecation_warning(
    lab: RunningSMTP, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), submission(lab, user=ALICE):
        pass
    assert [record.getMessage() for record in caplog.records if record.name == "mail.log"] == []


# -- EHLO and replies as Postfix words them -------------------------------------------------------


def raw_client(lab: RunningSMTP, service: str) -> RawClient:
    """A raw client on ``service``, over TLS from the first byte on port 465."""
    tls = lab.ctx.tls.client_context() if service == "submissions" else None
    return RawClient(lab.port(service), tls)


def ehlo_lines(service: str, *extensions: bytes) -> bytes:
    keywords = [SERVER_NAME[service].encode(), b"PIPELINING", b"SIZE 10485760", *extensions]
    keywords += [b"ENHANCEDSTATUSCODES", b"8BITMIME", b"SMTPUTF8"]
    return b"".join(b"250-" + k + b"\r\n" for k in keywords[:-1]) + b"250 SMTPUTF8\r\n"


EHLO = {
    "mx-in-clear": ("smtp", False, ehlo_lines("smtp", b"STARTTLS")),
    "mx-after-starttls": ("smtp", True, ehlo_lines("smtp")),
    "submission-in-clear": ("submission", False, ehlo_lines("submission", b"STARTTLS")),
    "submission-after-starttls": (
        "submission",
        True,
        ehlo_lines("submission", b"AUTH PLAIN LOGIN"),
    ),
    "submissions": ("submissions", False, ehlo_lines("submissions", b"AUTH PLAIN LOGIN")),
}


@pytest.mark.parametrize(("service", "starttls", "expected"), EHLO.values(), ids=EHLO.keys())
def test_ehlo_lists_what_the_session_implements_in_postfix_order(
    lab: RunningSMTP, service: str, starttls: bool, expected: bytes
) -> None:
    client = raw_client(lab, service)
    try:
        if starttls:
            client.starttls(lab.ctx.tls.client_context())
        assert client.command(f"EHLO {CLIENT_NAME}".encode()) == expected
    finally:
        client.close()


REPLIES = {
    "noop": (b"NOOP", b"250 2.0.0 Ok"),
    "rset": (b"RSET", b"250 2.0.0 Ok"),
    "rset-with-argument": (b"RSET now", b"501 5.5.4 Syntax: RSET"),
    "help": (b"HELP", b"502 5.5.2 Error: command not recognized"),
    "vrfy": (b"VRFY alice@example.com", b"502 5.5.2 Error: command not recognized"),
    "expn": (b"EXPN staff", b"502 5.5.2 Error: command not recognized"),
    "nested-mail": (b"MAIL FROM:<carol@example.net>", b"503 5.5.1 Error: nested MAIL command"),
    "rcpt-without-address": (b"RCPT TO:", b"501 5.5.4 Syntax: RCPT TO:<address>"),
    "data-with-argument": (b"DATA now", b"501 5.5.4 Syntax: DATA"),
}


@pytest.mark.parametrize(("line", "expected"), REPLIES.values(), ids=REPLIES.keys())
def test_reply_carries_its_enhanced_status_code(
    raw_mx: RawClient, line: bytes, expected: bytes
) -> None:
    raw_mx.command(b"MAIL FROM:<carol@example.net>")
    raw_mx.command(b"RCPT TO:<alice@example.com>")
    assert raw_mx.command(line) == expected + b"\r\n"


def test_mail_before_helo_is_refused_with_503_5_5_1(lab: RunningSMTP) -> None:
    client = RawClient(lab.port("smtp"))
    try:
        reply = client.command(b"MAIL FROM:<carol@example.net>")
    finally:
        client.close()
    assert reply == b"503 5.5.1 Error: send HELO/EHLO first\r\n"


def test_quit_says_bye_with_its_code_and_closes(raw_mx: RawClient) -> None:
    assert (raw_mx.command(b"QUIT"), raw_mx.at_end()) == (b"221 2.0.0 Bye\r\n", True)


def test_unknown_mail_parameter_is_refused_with_555_5_5_4(raw_mx: RawClient) -> None:
    reply = raw_mx.command(b"MAIL FROM:<carol@example.net> FOO=BAR")
    assert reply == b"555 5.5.4 Unsupported option in MAIL FROM\r\n"


# -- PIPELINING (RFC 2920) ------------------------------------------------------------------------


def test_pipelined_transaction_gets_every_reply_in_order(
    lab: RunningSMTP, raw_mx: RawClient
) -> None:
    raw_mx.sock.sendall(
        b"MAIL FROM:<carol@example.net>\r\n"
        b"RCPT TO:<alice@example.com>\r\n"
        b"RCPT TO:<nobody@example.org>\r\n"
        b"RCPT TO:<bob@example.org>\r\n"
        b"DATA\r\n"
    )
    replies = [raw_mx.reply() for _ in range(5)]
    raw_mx.sock.sendall(MESSAGE + b".\r\nQUIT\r\n")
    replies += [raw_mx.reply(), raw_mx.reply()]
    assert replies == [
        b"250 2.1.0 Ok\r\n",
        b"250 2.1.5 Ok\r\n",
        b"550 5.1.1 <nobody@example.org>: Recipient address rejected: "
        b"User unknown in virtual mailbox table\r\n",
        b"250 2.1.5 Ok\r\n",
        b"354 End data with <CR><LF>.<CR><LF>\r\n",
        b"250 2.0.0 Ok: queued as 0000000001\r\n",
        b"221 2.0.0 Bye\r\n",
    ]


def test_pipelined_transaction_delivers_to_every_accepted_recipient(
    lab: RunningSMTP, raw_mx: RawClient
) -> None:
    raw_mx.sock.sendall(
        b"MAIL FROM:<carol@example.net>\r\nRCPT TO:<alice@example.com>\r\n"
        b"RCPT TO:<bob@example.org>\r\nDATA\r\n" + MESSAGE + b".\r\nQUIT\r\n"
    )
    while not raw_mx.reply().startswith(b"221 "):
        pass
    assert (len(lab.inbox(ALICE)), len(lab.inbox(BOB))) == (1, 1)


# -- STARTTLS inside TLS, and other ways a session could end in a traceback -----------------------


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Every record of level WARNING or more, from any logger (asyncio's included)."""
    with caplog.at_level(logging.WARNING):
        yield caplog.records


@pytest.mark.parametrize("service", ["smtp", "submission", "submissions"])
def test_starttls_inside_tls_is_refused_and_the_session_goes_on(
    lab: RunningSMTP, service: str, errors_logged: list[logging.LogRecord]
) -> None:
    client = raw_client(lab, service)
    try:
        if service != "submissions":
            client.starttls(lab.ctx.tls.client_context())
        client.command(f"EHLO {CLIENT_NAME}".encode())
        replies = client.command(b"STARTTLS"), client.command(b"NOOP")
    finally:
        client.close()
    lab.wait_until_idle(service)
    assert (replies, errors_logged) == (
        (b"554 5.5.1 Error: TLS already active\r\n", b"250 2.0.0 Ok\r\n"),
        [],
    )


@pytest.mark.parametrize("service", ["smtp", "submissions"])
def test_too_many_unknown_commands_end_the_session_with_421(
    lab: RunningSMTP, service: str, errors_logged: list[logging.LogRecord]
) -> None:
    client = raw_client(lab, service)
    try:
        client.sock.sendall(b"FOO\r\n" * 5 + b"NOOP\r\nQUIT\r\n")  # pipelined past the last words
        replies = [client.reply() for _ in range(5)]
        ended = client.at_end()
    finally:
        client.close()
    lab.wait_until_idle(service)
    assert (replies, ended, errors_logged) == (
        [b"502 5.5.2 Error: command not recognized\r\n"] * 4
        + [f"421 4.7.0 {SERVER_NAME[service]} Error: too many errors\r\n".encode()],
        True,
        [],
    )


def test_failed_tls_handshake_after_starttls_closes_quietly(
    lab: RunningSMTP, raw_mx: RawClient, errors_logged: list[logging.LogRecord]
) -> None:
    raw_mx.command(b"STARTTLS")
    raw_mx.sock.sendall(b"this is not a TLS ClientHello\r\n" * 4)
    ended = raw_mx.at_end()
    lab.wait_until_idle("smtp")
    assert (ended, errors_logged) == (True, [])


# -- line limits (RFC 5321 §4.5.3.1) --------------------------------------------------------------


def padded(prefix: bytes, length: int) -> bytes:
    """``prefix`` padded with ``x`` to a line of ``length`` octets, CRLF included."""
    return prefix + b"x" * (length - len(prefix) - 2)


def test_command_line_of_512_octets_is_accepted(raw_mx: RawClient) -> None:
    assert raw_mx.command(padded(b"NOOP ", 512)) == b"250 2.0.0 Ok\r\n"


def test_command_line_of_513_octets_is_too_long(raw_mx: RawClient) -> None:
    assert raw_mx.command(padded(b"NOOP ", 513)) == b"500 5.5.2 Error: line too long\r\n"


def test_mail_line_gets_the_allowance_of_size_and_smtputf8(raw_mx: RawClient) -> None:
    def mail(length: int) -> bytes:
        local_part = b"c" * (length - len(b"MAIL FROM:<@example.net>\r\n"))
        return b"MAIL FROM:<" + local_part + b"@example.net>"

    replies = raw_mx.command(mail(512 + 26 + 10 + 1)), raw_mx.command(mail(512 + 26 + 10))
    assert replies == (b"500 5.5.2 Error: line too long\r\n", b"250 2.1.0 Ok\r\n")


def test_endless_command_line_ends_the_connection(raw_mx: RawClient) -> None:
    chunk = b"x" * 65536
    sent = 0
    with pytest.raises(OSError):  # reset, or timeout if the server kept reading forever
        while sent < 64 * 1024 * 1024:
            raw_mx.sock.sendall(chunk)
            sent += len(chunk)
        raw_mx.reply()
    assert sent < 64 * 1024 * 1024


def start_data(client: RawClient) -> None:
    client.command(b"MAIL FROM:<carol@example.net>")
    client.command(b"RCPT TO:<alice@example.com>")
    client.command(b"DATA")


def test_data_line_of_1000_octets_is_stored(lab: RunningSMTP, raw_mx: RawClient) -> None:
    start_data(raw_mx)
    line = padded(b"", 1000) + b"\r\n"
    raw_mx.sock.sendall(b"Subject: long\r\n\r\n" + line + b".\r\n")
    assert raw_mx.reply().startswith(b"250 2.0.0 Ok")
    assert lab.inbox(ALICE)[0].endswith(b"\r\n\r\n" + line)


def test_dot_stuffed_line_of_1000_octets_is_stored_unstuffed(
    lab: RunningSMTP, raw_mx: RawClient
) -> None:
    start_data(raw_mx)
    line = padded(b".", 1000) + b"\r\n"
    raw_mx.sock.sendall(b"Subject: dot\r\n\r\n." + line + b".\r\n")
    assert raw_mx.reply().startswith(b"250 2.0.0 Ok")
    assert lab.inbox(ALICE)[0].endswith(b"\r\n\r\n" + line)


def test_data_line_of_1001_octets_is_refused_and_the_session_goes_on(
    lab: RunningSMTP, raw_mx: RawClient
) -> None:
    start_data(raw_mx)
    raw_mx.sock.sendall(b"Subject: long\r\n\r\n" + padded(b"", 1001) + b"\r\n.\r\n")
    replies = raw_mx.reply(), raw_mx.command(b"NOOP")
    assert (replies, lab.inbox(ALICE)) == (
        (b"500 5.5.2 Error: line too long\r\n", b"250 2.0.0 Ok\r\n"),
        [],
    )


def test_huge_data_line_is_read_with_bounded_memory(raw_mx: RawClient) -> None:
    start_data(raw_mx)
    message = b"Subject: huge\r\n\r\n" + b"x" * (16 * 1024 * 1024) + b"\r\n.\r\n"
    tracemalloc.start()
    try:
        raw_mx.sock.sendall(message)
        reply = raw_mx.reply()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (reply, peak < 4 * 1024 * 1024) == (b"500 5.5.2 Error: line too long\r\n", True)


@pytest.fixture
def raw_submission(lab: RunningSMTP) -> Iterator[RawClient]:
    """A raw client on port 587, after STARTTLS and EHLO: ready to authenticate."""
    client = RawClient(lab.port("submission"))
    client.starttls(lab.ctx.tls.client_context())
    client.command(f"EHLO {CLIENT_NAME}".encode())
    yield client
    client.close()


AUTH_ANSWERS = {
    "cancelled": (b"*", b"501 5.7.0 Authentication aborted"),
    "not-base64": (b"not base64!", b"501 5.5.2 Can't decode base64"),
    "too-long": (b"QUFB" * 400, b"500 5.5.6 Authentication Exchange line is too long"),
}


@pytest.mark.parametrize(("answer", "expected"), AUTH_ANSWERS.values(), ids=AUTH_ANSWERS.keys())
def test_bad_auth_answer_gets_an_error_and_the_session_goes_on(
    raw_submission: RawClient, answer: bytes, expected: bytes
) -> None:
    raw_submission.command(b"AUTH LOGIN")
    replies = raw_submission.command(answer), raw_submission.command(b"NOOP")
    assert replies == (expected + b"\r\n", b"250 2.0.0 Ok\r\n")
