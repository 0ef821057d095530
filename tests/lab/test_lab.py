"""The lab as a whole: repeatable runs, reset and stop, and the transcript its proxies record.

Determinism is what lets the build compare a transcript with its approved copy, so it is checked
on the wire (transcript text) and on disk (Maildir names, contents and dates), within one lab
and across two labs. Lifecycle tests check what a long build relies on: a reset really starts
over and a stop leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import imaplib
import os
import poplib
import random
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from labo import appareil, deposer, netmap
from labo.clock import EPOCH
from labo.identity import SERVICES, USERS
from labo.lab import Lab
from labo.wire.transcript import ConnectionInfo, Event

#: The name the servers under test present (a context plays example.org).
SERVER_NAME = "imap.example.org"

ALICE, BOB = USERS

#: How long to wait for the proxies to see every connection close, as the runner does.
SETTLE_SECONDS = 2.0

MESSAGE = (
    b"From: Alice Martin <alice@example.com>\r\nTo: Bob Durand <bob@example.org>\r\n"
    b"Subject: Rendez-vous\r\nDate: Mon, 02 Mar 2026 08:59:00 +0000\r\n"
    b"Message-ID: <rendez-vous@example.com>\r\n\r\nOn se retrouve demain ?\r\n"
)

MaildirSnapshot = dict[str, tuple[bytes, int | None]]


# -- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def own_lab() -> Iterator[Lab]:
    """A lab of its own, for tests that stop it (the session lab must stay up)."""
    lab = Lab().start()
    yield lab
    lab.stop()


def settled_transcript(lab: Lab) -> list[Event]:
    """The transcript once every connection's end has been recorded."""
    lab.settle(SETTLE_SECONDS)
    return lab.transcript().events


def maildir_snapshot(lab: Lab) -> MaildirSnapshot:
    """Every file under each provider's mail root (``example.org/bob@example.org/cur/…``): its
    content, and its mtime (ns) when it is a message.

    Message mtimes come from the lab clock (IMAP shows them as INTERNALDATE); the bookkeeping
    files pymap writes (uidlist, subscriptions) carry the real time, which nobody reads.
    """
    snapshot: MaildirSnapshot = {}
    for domain, context in sorted(lab.contexts.items()):
        root = context.store.mail_root
        for path in sorted(root.rglob("*")):
            if path.is_file():
                is_message = path.parent.name in ("new", "cur", "tmp")
                mtime = path.stat().st_mtime_ns if is_message else None
                snapshot[f"{domain}/{path.relative_to(root)}"] = (path.read_bytes(), mtime)
    return snapshot


def run_scenario(lab: Lab) -> tuple[str, MaildirSnapshot]:
    """Submit with STARTTLS, read over IMAP (STARTTLS) and POP3 (STLS), as an example would."""
    lab.reset()
    random.seed(0)  # imaplib draws its tag prefix from ``random``; the runner seeds it the same
    with netmap.routed_to(lab):
        context = ssl.create_default_context()
        with (
            appareil("ordinateur d'Alice"),
            smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp,
        ):
            smtp.starttls(context=context)
            smtp.login(ALICE.login, ALICE.password)
            smtp.sendmail(ALICE.address, [BOB.address], MESSAGE)
        lab.flush_queues()  # queued by Alice's provider: delivered to Bob's before he reads
        with appareil("téléphone de Bob"), imaplib.IMAP4("imap.example.org", 143) as imap:
            imap.starttls(ssl_context=context)
            imap.login(BOB.login, BOB.password)
            imap.select("INBOX")
            imap.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE BODY[])")  # sets \Seen: a rename
        with appareil("ordinateur de Bob"):
            pop = poplib.POP3("pop.example.org", 110)
        pop.stls(context=context)
        pop.user(BOB.login)
        pop.pass_(BOB.password)
        pop.uidl()
        pop.retr(1)
        pop.quit()
    lab.settle(SETTLE_SECONDS)
    return lab.transcript().to_text(), maildir_snapshot(lab)


def thread_names() -> list[str]:
    return sorted(thread.name for thread in threading.enumerate())


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def refuses_connections(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:``port`` (loopback only)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def short_sessions() -> None:
    """One complete session per protocol, for tests that need traffic through every server."""
    context = ssl.create_default_context()
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=context)
        smtp.login(ALICE.login, ALICE.password)
        smtp.sendmail(ALICE.address, [BOB.address], MESSAGE)
    with imaplib.IMAP4_SSL("imap.example.org", ssl_context=context) as imap:
        imap.login(BOB.login, BOB.password)
        imap.select("INBOX")
    pop = poplib.POP3_SSL("pop.example.org", 995, context=context)
    pop.user(BOB.login)
    pop.pass_(BOB.password)
    pop.quit()


# -- determinism --------------------------------------------------------------------------------


def test_scenario_run_twice_gives_the_same_transcript(lab: Lab) -> None:
    first, _ = run_scenario(lab)
    second, _ = run_scenario(lab)
    assert first == second


def test_scenario_run_twice_gives_the_same_maildirs(lab: Lab) -> None:
    _, first = run_scenario(lab)
    _, second = run_scenario(lab)
    assert first == second


def test_scenario_leaves_a_renamed_message_dated_by_the_lab_clock(lab: Lab) -> None:
    """What the Maildir comparison is about: a name, a flag rename and a date the lab made up."""
    _, snapshot = run_scenario(lab)
    ((name, mtime),) = [(name, mtime) for name, (_, mtime) in snapshot.items() if mtime]
    seconds = int(Path(name).name.split(".")[0])
    assert name == f"{BOB.domain}/{BOB.login}/cur/{seconds}.M000001P0.{SERVER_NAME}:2,S"
    assert mtime == seconds * 1_000_000_000
    assert EPOCH.timestamp() <= seconds < EPOCH.timestamp() + 60


def test_two_labs_started_one_after_the_other_give_the_same_transcript_and_maildirs() -> None:
    with Lab() as first_lab:
        first = run_scenario(first_lab)
    with Lab() as second_lab:
        second = run_scenario(second_lab)
    assert first == second


# -- reset --------------------------------------------------------------------------------------


def test_reset_empties_every_mailbox_of_every_provider(lab: Lab) -> None:
    for user in USERS:
        lab.store_of(user).deliver(user, MESSAGE)
    lab.reset()
    assert [lab.store_of(user).messages(user) for user in USERS] == [[], []]


def test_reset_empties_every_queue(lab_routed: Lab) -> None:
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=ssl.create_default_context())
        smtp.login(ALICE.login, ALICE.password)
        smtp.sendmail(ALICE.address, [BOB.address], MESSAGE)
    lab_routed.reset()
    lab_routed.flush_queues()
    assert lab_routed.store_of(BOB).messages(BOB) == []


def test_both_providers_read_the_one_lab_clock(lab: Lab) -> None:
    assert lab.context_of(ALICE.address).clock is lab.context_of(BOB.address).clock


def test_reset_restarts_the_clock(lab: Lab) -> None:
    clock = lab.context_of(ALICE.address).clock
    clock.now()
    clock.now()
    lab.reset()
    assert clock.now() == EPOCH


def test_reset_clears_the_transcript(lab_routed: Lab) -> None:
    short_sessions()
    lab_routed.settle(SETTLE_SECONDS)
    lab_routed.reset()
    assert lab_routed.transcript().events == []


def test_first_connection_after_a_reset_is_numbered_one(lab_routed: Lab) -> None:
    short_sessions()
    lab_routed.reset()
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com"):
        pass
    connections = lab_routed.transcript().connections
    # the MSA's reverse lookup of its client is numbered like a connection
    assert [(number, info.service) for number, info in connections.items()] == [
        (1, "submission"),
        (2, "dns"),
    ]


class LiveClient(NamedTuple):
    """A logged-in client left connected: ``poke`` sends a harmless command, ``close`` cleans up."""

    poke: Callable[[], object]
    close: Callable[[], object]


def smtp_client() -> LiveClient:
    client = smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com")
    return LiveClient(client.noop, client.close)


def pop3_client() -> LiveClient:
    client = poplib.POP3_SSL("pop.example.org", 995, context=ssl.create_default_context())
    client.user(BOB.login)
    client.pass_(BOB.password)
    return LiveClient(client.noop, client.close)


def imap_client() -> LiveClient:
    client = imaplib.IMAP4_SSL("imap.example.org", ssl_context=ssl.create_default_context())
    client.login(BOB.login, BOB.password)
    client.select("INBOX")
    return LiveClient(client.noop, client.shutdown)


@pytest.mark.parametrize(
    ("connect", "closed"),
    [
        (smtp_client, smtplib.SMTPServerDisconnected),
        (pop3_client, (poplib.error_proto, ConnectionError)),
        (imap_client, (imaplib.IMAP4.abort, ConnectionError)),
    ],
    ids=["smtp", "pop3", "imap"],
)
def test_client_connected_before_a_reset_finds_its_connection_closed(
    lab_routed: Lab,
    connect: Callable[[], LiveClient],
    closed: type[BaseException] | tuple[type[BaseException], ...],
) -> None:
    client = connect()
    try:
        lab_routed.reset()
        with pytest.raises(closed):
            client.poke()
    finally:
        client.close()


def test_pop3_maildrop_of_a_session_cut_by_a_reset_can_be_opened_again(lab_routed: Lab) -> None:
    first = pop3_client()
    lab_routed.reset()
    first.close()
    second = poplib.POP3_SSL("pop.example.org", 995, context=ssl.create_default_context())
    second.user(BOB.login)
    assert second.pass_(BOB.password).startswith(b"+OK")
    second.quit()


# -- stop ---------------------------------------------------------------------------------------


def test_stop_ends_every_thread_the_lab_started() -> None:
    before = thread_names()
    lab = Lab().start()
    with netmap.routed_to(lab):
        short_sessions()  # relaying to the MX runs in worker threads
    lab.stop()
    assert thread_names() == before


def test_stop_leaves_no_task_on_the_lab_loop(own_lab: Lab) -> None:
    loop = own_lab.call(_running_loop())
    with netmap.routed_to(own_lab):
        clients = [connect() for connect in (smtp_client, pop3_client, imap_client)]
    try:
        own_lab.stop()
        assert asyncio.all_tasks(loop) == set()
    finally:
        for client in clients:
            client.close()


def test_stop_closes_every_listening_port(own_lab: Lab) -> None:
    ports = {port for _, port in own_lab.endpoints().values()} | own_lab.backend_ports()
    assert len(own_lab.endpoints()) == 2 * len(SERVICES)
    own_lab.stop()
    assert {port for port in ports if not refuses_connections(port)} == set()


def provider_workdirs(lab: Lab) -> list[Path]:
    return [context.workdir for context in lab.contexts.values()]


def test_stop_removes_the_lab_directory(own_lab: Lab) -> None:
    workdirs = provider_workdirs(own_lab)
    own_lab.stop()
    assert len(workdirs) == 2 and not any(workdir.exists() for workdir in workdirs)


def test_stop_twice_is_harmless(own_lab: Lab) -> None:
    workdirs = provider_workdirs(own_lab)
    own_lab.stop()
    own_lab.stop()
    assert not any(workdir.exists() for workdir in workdirs)


def test_start_then_stop_five_times_leaks_no_thread_and_no_file_descriptor() -> None:
    def cycle() -> None:
        with Lab() as lab, netmap.routed_to(lab):
            short_sessions()

    cycle()  # imports, the audit hook, lazily built state: what the first cycle alone pays
    threads, fds = thread_names(), open_fds()
    for _ in range(5):
        cycle()
    assert (thread_names(), open_fds()) == (threads, fds)


def test_a_reset_lab_is_the_one_examples_act_on(lab: Lab) -> None:
    with Lab():  # another lab came and went: examples were pointed at it, then at none
        pass
    lab.reset()
    deposer(BOB.address, sujet="Bonjour")
    assert len(lab.store_of(BOB).messages(BOB)) == 1


def test_stopping_another_lab_leaves_examples_acting_on_the_lab_reset_since(lab: Lab) -> None:
    other = Lab().start()
    try:
        lab.reset()
    finally:
        other.stop()
    deposer(BOB.address, sujet="Bonjour")
    assert len(lab.store_of(BOB).messages(BOB)) == 1


def test_a_lab_that_cannot_listen_fails_to_start_and_leaves_nothing_open() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        Lab().start().stop()  # imports and lazily built state, before counting
        threads, fds = thread_names(), open_fds()
        with pytest.raises(OSError):
            Lab(ports={("example.org", "imaps"): taken.getsockname()[1]}).start()
        assert (thread_names(), open_fds()) == (threads, fds)


# -- the transcript -----------------------------------------------------------------------------


def test_transcript_records_both_sides_in_order_between_open_and_close(lab_routed: Lab) -> None:
    with smtplib.SMTP("mx.example.org", 25, local_hostname="mx.fournisseur.test") as smtp:
        smtp.noop()
    assert [event.render() for event in settled_transcript(lab_routed)] == [
        "[1] ** ouverture\u00a0: «\u00a0client\u00a0» → mx.example.org:25 (smtp)",
        "[2] ** requête DNS\u00a0: «\u00a0MX d’example.org\u00a0» → résolveur du labo (udp/53)",
        "[2] C: 101.113.0.203.in-addr.arpa. IN PTR ?",
        "[2] S: NXDOMAIN (nom inexistant)",
        "[1] S: 220 mx.example.org ESMTP",
        "[1] C: noop",
        "[1] S: 250 2.0.0 Ok",
        "[1] C: QUIT",
        "[1] S: 221 2.0.0 Bye",
        "[1] ** fermeture",
    ]


_TLS_EVENT = re.compile(r"TLS établi\u00a0: TLSv1\.[23], [A-Z0-9_-]+")


def _context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _smtp_starttls() -> None:
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=_context())


def _pop3_stls() -> None:
    pop = poplib.POP3("pop.example.org", 110)
    pop.stls(context=_context())
    pop.quit()


def _imap_starttls() -> None:
    with imaplib.IMAP4("imap.example.org", 143) as imap:
        imap.starttls(ssl_context=_context())


@pytest.mark.parametrize(
    ("upgrade", "asking", "reply"),
    [
        (_smtp_starttls, "STARTTLS", r"220 .*"),
        (_pop3_stls, "STLS", r"\+OK .*"),
        (_imap_starttls, r"\S+ STARTTLS", r"\S+ OK .*"),
    ],
    ids=["smtp", "pop3", "imap"],
)
def test_tls_event_with_version_and_cipher_follows_the_upgrade_reply(
    lab_routed: Lab, upgrade: Callable[[], None], asking: str, reply: str
) -> None:
    upgrade()
    events = settled_transcript(lab_routed)
    asked = next(
        i
        for i, event in enumerate(events)
        if event.kind == "client" and re.fullmatch(asking, event.text)
    )
    answer, secured = events[asked + 1 : asked + 3]
    assert (answer.kind, secured.kind) == ("server", "tls")
    assert re.fullmatch(reply, answer.text)
    assert _TLS_EVENT.fullmatch(secured.text)


@pytest.mark.parametrize(
    "connect",
    [
        lambda: smtplib.SMTP_SSL("smtp.example.com", 465, context=_context()).close(),
        lambda: poplib.POP3_SSL("pop.example.org", 995, context=_context()).close(),
        lambda: imaplib.IMAP4_SSL("imap.example.org", ssl_context=_context()).shutdown(),
    ],
    ids=["submissions", "pop3s", "imaps"],
)
def test_implicit_tls_connection_starts_with_the_tls_event(
    lab_routed: Lab, connect: Callable[[], None]
) -> None:
    connect()
    events = [event for event in settled_transcript(lab_routed) if event.connection == 1]
    assert [event.kind for event in events[:3]] == ["open", "tls", "server"]
    assert _TLS_EVENT.fullmatch(events[1].text)


def test_connections_carry_the_device_label_and_the_host_name_asked(lab_routed: Lab) -> None:
    context = ssl.create_default_context()
    with appareil("téléphone de Bob"):
        imaplib.IMAP4_SSL("imap.example.org", ssl_context=context).logout()
    with appareil("ordinateur d'Alice"):
        smtplib.SMTP("smtp.example.com", "submission", local_hostname="o.example.com").quit()
    poplib.POP3_SSL("pop.example.com", 995, context=context).quit()
    assert list(lab_routed.transcript().connections.values()) == [
        ConnectionInfo(1, "imaps", "téléphone de Bob", "imap.example.org", 993),
        ConnectionInfo(2, "submission", "ordinateur d'Alice", "smtp.example.com", 587),
        ConnectionInfo(3, "dns", "MSA d’example.com", "résolveur du labo", 53),
        ConnectionInfo(4, "pop3s", "client", "pop.example.com", 995),
    ]


def test_every_connection_ends_with_a_close_event(lab_routed: Lab) -> None:
    short_sessions()
    events = settled_transcript(lab_routed)
    connections = lab_routed.transcript().connections
    last = {
        event.connection: event.kind
        for event in events
        if connections[event.connection].service != "dns"  # a DNS query over UDP: no close
    }
    assert len(last) >= 3  # one per protocol at least (the lab's own relaying may add some)
    assert set(last.values()) == {"close"}


def test_connection_cut_by_the_client_is_closed_in_the_transcript(lab_routed: Lab) -> None:
    with socket.create_connection(("pop.example.org", 110)) as sock:
        sock.recv(1024)
    events = settled_transcript(lab_routed)
    assert [event.kind for event in events] == ["open", "server", "close"]
