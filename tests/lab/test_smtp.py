"""The lab's SMTP server: the MX on "smtp" (25), the MSA on "submission" (587, STARTTLS) and
"submissions" (465, implicit TLS), driven by smtplib and by a raw socket for malformed input."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
import ssl
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from labo.context import LabContext
from labo.identity import SERVICES, USERS, User
from labo.smtp import MAX_MESSAGE_SIZE, SMTPBackend, start
from labo.smtp.policy import policy_for

T = TypeVar("T")

ALICE, BOB = USERS
HOST = "127.0.0.1"
CLIENT_NAME = "client.example.com"
TIMEOUT = 5.0
MESSAGE = b"From: Bob <bob@example.org>\r\nSubject: Salut\r\n\r\nBonjour Alice.\r\n"

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

    def inbox(self, user: User) -> list[bytes]:
        return [message.read() for message in self.ctx.store.messages(user)]

    def maildirs(self) -> dict[str, tuple[bytes, int]]:
        """Every file under the mail root: content and mtime, by relative path."""
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


def mx(lab: RunningSMTP) -> smtplib.SMTP:
    """Another server connecting to our MX on port 25, in clear."""
    return smtplib.SMTP(HOST, lab.port("smtp"), local_hostname=CLIENT_NAME, timeout=TIMEOUT)


def submission(lab: RunningSMTP, *, tls: bool = True, user: User | None = None) -> smtplib.SMTP:
    """A mail client on port 587: STARTTLS, then AUTH as ``user`` if given."""
    client = smtplib.SMTP(HOST, lab.port("submission"), local_hostname=CLIENT_NAME, timeout=TIMEOUT)
    if tls:
        client.starttls(context=lab.ctx.tls.client_context())
    if user is not None:
        client.login(user.login, user.password)
    return client


def submissions(lab: RunningSMTP, *, user: User | None = None) -> smtplib.SMTP_SSL:
    """A mail client on port 465: TLS from the first byte."""
    client = smtplib.SMTP_SSL(
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
def test_greeting_names_the_server_without_a_version(lab: RunningSMTP, service: str) -> None:
    tls = lab.ctx.tls.client_context() if service == "submissions" else None
    client = RawClient(lab.port(service), tls)
    try:
        assert client.greeting == b"220 mail.example.net ESMTP\r\n"
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


def test_mx_delivers_to_a_local_user_under_trace_headers(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.sendmail("carol@example.net", [ALICE.address], MESSAGE)
    assert lab.inbox(ALICE) == [
        b"Return-Path: <carol@example.net>\r\n"
        b"Delivered-To: alice@example.com\r\n"
        b"Received: from client.example.com (client.example.com [127.0.0.1])\r\n"
        b"\tby mail.example.net (labo) with ESMTP id 000000001 for <alice@example.com>;\r\n"
        b"\tMon, 02 Mar 2026 09:00:00 +0000\r\n" + MESSAGE
    ]


def test_mx_offers_starttls_without_requiring_it(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert client.mail("carol@example.net")[0] == 250


def test_mx_records_tls_in_the_received_header(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        client.starttls(context=lab.ctx.tls.client_context())
        client.sendmail("carol@example.net", [ALICE.address], MESSAGE)
    received = header_block(lab.inbox(ALICE)[0]).split(b"Received: ")[1]
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
        reply = client.rcpt("nobody@example.com")
    assert reply == (
        550,
        b"5.1.1 <nobody@example.com>: Recipient address rejected: "
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


def test_submission_refuses_foreign_recipients_without_relaying(lab: RunningSMTP) -> None:
    with submission(lab, user=ALICE) as client:
        client.mail(ALICE.address)
        reply = client.rcpt("dave@example.net")
    assert reply == (
        550,
        b"5.7.1 <dave@example.net>: Recipient address rejected: "
        b"external relay is disabled in this lab, no mail leaves the machine",
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
    received = header_block(lab.inbox(ALICE)[0]).split(b"Received: ")[1]
    assert (b"(using TLSv1." in received, b" with ESMTPSA id " in received) == (True, True)


# -- delivery -------------------------------------------------------------------------------------


def test_data_reply_names_the_queue_id(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        reply = transaction(client, "carol@example.net", [ALICE.address])
    assert reply == (250, b"2.0.0 Ok: queued as 000000001")


def test_queue_ids_are_shared_by_the_three_services(lab: RunningSMTP) -> None:
    replies = []
    with mx(lab) as client:
        replies.append(transaction(client, "carol@example.net", [ALICE.address]))
    with submission(lab, user=ALICE) as client:
        replies.append(transaction(client, ALICE.address, [BOB.address]))
    with submissions(lab, user=BOB) as client:
        replies.append(transaction(client, BOB.address, [ALICE.address]))
    assert [text.rsplit(b" ", 1)[1] for _, text in replies] == [
        b"000000001",
        b"000000002",
        b"000000003",
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
    with smtplib.SMTP(HOST, port, local_hostname=helo, timeout=TIMEOUT) as client:
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
def failing_second_write(lab: RunningSMTP, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store writes the first copy, then the disk is full."""
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
def test_write_failure_answers_451_4_3_0(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        reply = transaction(client, "carol@example.net", [ALICE.address, BOB.address])
    assert reply == (451, b"4.3.0 Error: queue file write error")


@pytest.mark.usefixtures("failing_second_write")
def test_write_failure_withdraws_the_copies_already_written(lab: RunningSMTP) -> None:
    with mx(lab) as client:
        transaction(client, "carol@example.net", [ALICE.address, BOB.address])
    assert lab.inbox(ALICE) + lab.inbox(BOB) == []


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
