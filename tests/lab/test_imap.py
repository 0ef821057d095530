"""The lab's IMAP servers (pymap over the store), driven by imaplib and by scripted dialogues."""

from __future__ import annotations

import asyncio
import imaplib
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

import labo.imap
from labo.context import LabContext
from labo.identity import SERVICES, USERS, User
from labo.imap import ImapBackend
from labo.pop3.maildrop import Maildrop

#: The name the servers under test present (a context plays example.org).
SERVER_NAME = "imap.example.org"

T = TypeVar("T")

ALICE, BOB = USERS
MESSAGE = b"From: bob@example.org\r\nTo: alice@example.com\r\nSubject: Salut\r\n\r\nBonjour.\r\n"

# -- the lab under test ---------------------------------------------------------------------------


@dataclass
class RunningImap:
    """Both IMAP services over one store, on a background event loop like the lab's."""

    ctx: LabContext
    loop: asyncio.AbstractEventLoop
    imap: ImapBackend
    imaps: ImapBackend

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def tasks(self) -> list[asyncio.Task[Any]]:
        """Every task on the lab loop but the one asking."""

        async def others() -> list[asyncio.Task[Any]]:
            return [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]

        return self.call(others())


def _start(directory: Path) -> tuple[RunningImap, threading.Thread]:
    ctx = LabContext.create(directory)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="labo-test", daemon=True)
    thread.start()

    def start(name: str) -> ImapBackend:
        return asyncio.run_coroutine_threadsafe(labo.imap.start(ctx, SERVICES[name]), loop).result(
            10
        )

    return RunningImap(ctx, loop, start("imap"), start("imaps")), thread


@pytest.fixture
def start_lab(tmp_path: Path) -> Iterator[Callable[[], RunningImap]]:
    """Starts as many independent labs as a test needs, each in its own directory."""
    started: list[tuple[RunningImap, threading.Thread]] = []

    def start() -> RunningImap:
        directory = tmp_path / f"lab{len(started)}"
        directory.mkdir()
        started.append(_start(directory))
        return started[-1][0]

    yield start
    for lab, thread in started:
        lab.call(lab.imap.close())
        lab.call(lab.imaps.close())
        lab.loop.call_soon_threadsafe(lab.loop.stop)
        thread.join(5)
        lab.loop.close()


@pytest.fixture
def lab(start_lab: Callable[[], RunningImap]) -> RunningImap:
    return start_lab()


# -- clients -----------------------------------------------------------------------------------


def proxy_header(sock: socket.socket, port: int) -> bytes:
    """The PROXY v1 line the lab's recording proxy sends ahead of its client's bytes."""
    return b"PROXY TCP4 192.0.2.10 192.0.2.1 %d %d\r\n" % (sock.getsockname()[1], port)


class ProxiedIMAP4(imaplib.IMAP4):
    """imaplib behind the lab's proxy: the server first reads a PROXY header."""

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = super()._create_socket(timeout)
        sock.sendall(proxy_header(sock, 143))
        return sock


class ProxiedIMAP4_SSL(imaplib.IMAP4_SSL):
    """imaplib over implicit TLS behind the proxy: the header comes before the handshake."""

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout)
        sock.sendall(proxy_header(sock, 993))
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def plain(lab: RunningImap) -> ProxiedIMAP4:
    return ProxiedIMAP4("127.0.0.1", lab.imap.port, timeout=5)


def logged_in(lab: RunningImap, user: User = ALICE) -> imaplib.IMAP4_SSL:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", lab.imaps.port, ssl_context=lab.ctx.tls.client_context(), timeout=5
    )
    client.login(user.login, user.password)
    return client


def selected(lab: RunningImap, user: User = ALICE) -> imaplib.IMAP4_SSL:
    client = logged_in(lab, user)
    client.select("INBOX")
    return client


class Dialogue:
    """A scripted client with fixed tags: every line the server sends, as it sent it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lines: list[bytes] = []
        self._counter = 0
        self._reader = sock.makefile("rb")

    @classmethod
    def plain(cls, lab: RunningImap, *, header: bool = True) -> Dialogue:
        sock = socket.create_connection(("127.0.0.1", lab.imap.port), timeout=5)
        if header:
            sock.sendall(proxy_header(sock, 143))
        dialogue = cls(sock)
        dialogue.read_line()
        return dialogue

    @classmethod
    def implicit_tls(cls, lab: RunningImap) -> Dialogue:
        sock = socket.create_connection(("127.0.0.1", lab.imaps.port), timeout=5)
        sock.sendall(proxy_header(sock, 993))
        context = lab.ctx.tls.client_context()
        dialogue = cls(context.wrap_socket(sock, server_hostname=SERVER_NAME))
        dialogue.read_line()
        return dialogue

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, text: bytes) -> list[bytes]:
        """Send ``<tag> text`` and return the server's lines up to the tagged reply."""
        self._counter += 1
        tag = b"t%d" % self._counter
        self.send(tag + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag: bytes) -> list[bytes]:
        """The server's lines up to and including the one tagged ``tag``."""
        reply = [self.read_line()]
        while not reply[-1].startswith(tag + b" "):
            reply.append(self.read_line())
        return reply

    def read_line(self) -> bytes:
        """One response line, with any literal it announces folded in."""
        line = self._reader.readline()
        if not line:
            raise EOFError("the server closed the connection")
        literal = re.search(rb"\{(\d+)\}\r\n$", line)
        if literal:
            line += self._reader.read(int(literal[1])) + self._reader.readline()
        self.lines.append(line)
        return line

    def closed(self) -> bool:
        return self._reader.read(1) == b""

    def close(self) -> None:
        self._reader.close()
        self.sock.close()


def stored_files(user: User, lab: RunningImap) -> list[str]:
    """The message files of ``user``'s INBOX, as ``new/…`` and ``cur/…``."""
    directory = lab.ctx.store.maildir(user)
    return sorted(f"{sub}/{name}" for sub in ("new", "cur") for name in os.listdir(directory / sub))


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition never met")
        time.sleep(0.01)


# -- STARTTLS, implicit TLS, login ---------------------------------------------------------------


def test_greeting_is_fixed_and_announces_logindisabled_before_starttls(lab: RunningImap) -> None:
    client = plain(lab)
    assert client.welcome == (
        b"* OK [CAPABILITY IMAP4rev1 LITERAL+ ID STARTTLS LOGINDISABLED] "
        + SERVER_NAME.encode()
        + b" IMAP ready"
    )
    client.shutdown()


def test_no_auth_mechanism_is_offered_before_starttls(lab: RunningImap) -> None:
    client = plain(lab)
    assert not any(cap.startswith("AUTH=") for cap in client.capabilities)
    client.shutdown()


def test_login_before_starttls_is_refused(lab: RunningImap) -> None:
    client = plain(lab)
    with pytest.raises(imaplib.IMAP4.error, match=r"\[PRIVACYREQUIRED\]"):
        client.login(ALICE.login, ALICE.password)
    client.shutdown()


def test_login_after_starttls_succeeds(lab: RunningImap) -> None:
    client = plain(lab)
    client.starttls(ssl_context=lab.ctx.tls.client_context())
    assert client.login(ALICE.login, ALICE.password)[0] == "OK"
    client.logout()


def test_starttls_offers_auth_plain_and_hides_starttls(lab: RunningImap) -> None:
    client = plain(lab)
    client.starttls(ssl_context=lab.ctx.tls.client_context())
    assert "AUTH=PLAIN" in client.capabilities
    assert "STARTTLS" not in client.capabilities
    client.logout()


def test_client_without_proxy_header_is_still_treated_as_remote(lab: RunningImap) -> None:
    dialogue = Dialogue.plain(lab, header=False)
    assert b"LOGINDISABLED" in dialogue.lines[0]
    dialogue.close()


def test_proxy_header_is_read_and_never_answered(lab: RunningImap) -> None:
    dialogue = Dialogue.plain(lab)
    assert dialogue.command(b"NOOP") == [b"t1 OK NOOP completed.\r\n"]
    dialogue.close()


def test_imaps_offers_auth_from_the_greeting(lab: RunningImap) -> None:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", lab.imaps.port, ssl_context=lab.ctx.tls.client_context(), timeout=5
    )
    assert client.welcome == (
        b"* OK [CAPABILITY IMAP4rev1 LITERAL+ ID AUTH=PLAIN AUTH=LOGIN] "
        + SERVER_NAME.encode()
        + b" IMAP ready"
    )
    client.logout()


def test_imaps_accepts_login_at_once(lab: RunningImap) -> None:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", lab.imaps.port, ssl_context=lab.ctx.tls.client_context(), timeout=5
    )
    assert client.login(BOB.login, BOB.password)[0] == "OK"
    client.logout()


def test_imaps_accepts_a_proxy_header_sent_before_the_handshake(lab: RunningImap) -> None:
    client = ProxiedIMAP4_SSL(
        "127.0.0.1", lab.imaps.port, ssl_context=lab.ctx.tls.client_context(), timeout=5
    )
    assert client.login(ALICE.login, ALICE.password)[0] == "OK"
    client.logout()


def test_imaps_accepts_a_proxy_header_sent_inside_tls(lab: RunningImap) -> None:
    sock = socket.create_connection(("127.0.0.1", lab.imaps.port), timeout=5)
    context = lab.ctx.tls.client_context()
    header = proxy_header(sock, 993)
    dialogue = Dialogue(context.wrap_socket(sock, server_hostname=SERVER_NAME))
    dialogue.send(header)  # how the lab's proxy does it on an implicit-TLS service
    dialogue.read_line()
    assert dialogue.command(b"NOOP") == [b"t1 OK NOOP completed.\r\n"]
    dialogue.close()


def test_line_that_only_looks_like_a_proxy_header_is_answered(lab: RunningImap) -> None:
    dialogue = Dialogue.plain(lab, header=False)
    dialogue.send(b"PROXY nonsense\r\n")
    assert dialogue.read_line() == b"PROXY BAD NONSENSE: Unknown command.\r\n"
    dialogue.close()


def test_imaps_speaks_tls_from_the_first_byte(lab: RunningImap) -> None:
    sock = socket.create_connection(("127.0.0.1", lab.imaps.port), timeout=5)
    tls = lab.ctx.tls.client_context().wrap_socket(sock, server_hostname=SERVER_NAME)
    assert tls.version() in ("TLSv1.2", "TLSv1.3")
    tls.close()


def test_imaps_closes_a_client_that_does_not_speak_tls(lab: RunningImap) -> None:
    sock = socket.create_connection(("127.0.0.1", lab.imaps.port), timeout=5)
    sock.sendall(b"a1 NOOP\r\n")
    try:
        answer = sock.recv(1024)
    except ConnectionResetError:
        answer = b""
    assert b"OK" not in answer  # a TLS alert or nothing, never an IMAP reply
    sock.close()


def test_wrong_password_gets_no(lab: RunningImap) -> None:
    client = plain(lab)
    client.starttls(ssl_context=lab.ctx.tls.client_context())
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(ALICE.login, "not-the-password")
    client.logout()


def test_unknown_user_gets_no(lab: RunningImap) -> None:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", lab.imaps.port, ssl_context=lab.ctx.tls.client_context(), timeout=5
    )
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login("mallory@example.com", "alice-secret")
    client.logout()


def test_user_cannot_act_as_another_user(lab: RunningImap) -> None:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", lab.imaps.port, ssl_context=lab.ctx.tls.client_context(), timeout=5
    )
    plain_sasl = f"{BOB.login}\0{ALICE.login}\0{ALICE.password}".encode()
    with pytest.raises(imaplib.IMAP4.error):
        client.authenticate("PLAIN", lambda _: plain_sasl)
    client.logout()


def test_authenticate_plain_logs_in(lab: RunningImap) -> None:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", lab.imaps.port, ssl_context=lab.ctx.tls.client_context(), timeout=5
    )
    plain_sasl = f"\0{ALICE.login}\0{ALICE.password}".encode()
    assert client.authenticate("PLAIN", lambda _: plain_sasl)[0] == "OK"
    client.logout()


# -- the shared store ---------------------------------------------------------------------------


def test_select_sees_a_message_delivered_to_new(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    client = logged_in(lab)
    assert client.select("INBOX") == ("OK", [b"1"])
    client.logout()


def test_fetched_message_is_the_delivered_one(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    client = selected(lab)
    _, data = client.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == MESSAGE
    client.logout()


def test_message_stored_with_bare_lf_is_served_with_crlf(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, b"Subject: lf\n\nline\n")
    client = selected(lab)
    _, data = client.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == b"Subject: lf\r\n\r\nline\r\n"
    client.logout()


def test_users_see_only_their_own_mailbox(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    client = logged_in(lab, BOB)
    assert client.select("INBOX") == ("OK", [b"0"])
    client.logout()


def test_seen_set_by_one_session_is_seen_by_the_other(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    phone, laptop = selected(lab), selected(lab)
    phone.store("1", "+FLAGS", r"(\Seen)")
    laptop.noop()
    _, data = laptop.fetch("1", "(FLAGS)")
    assert rb"\Seen" in data[0]
    phone.logout()
    laptop.logout()


def test_seen_renames_the_file_but_keeps_its_key(lab: RunningImap) -> None:
    key = lab.ctx.store.deliver(ALICE, MESSAGE)
    client = selected(lab)
    client.store("1", "+FLAGS", r"(\Seen)")
    assert stored_files(ALICE, lab) == [f"cur/{key}:2,S"]
    assert [message.key for message in lab.ctx.store.messages(ALICE)] == [key]
    client.logout()


def test_folder_created_by_one_session_is_listed_by_the_other(lab: RunningImap) -> None:
    phone, laptop = logged_in(lab), logged_in(lab)
    phone.create("Archives")
    _, listing = laptop.list()
    assert any(line.endswith(b' "." Archives') for line in listing)
    phone.logout()
    laptop.logout()


def test_created_folder_is_a_maildir_plus_plus_subdirectory(lab: RunningImap) -> None:
    client = logged_in(lab)
    client.create("Archives")
    assert (lab.ctx.store.maildir(ALICE, "Archives") / "cur").is_dir()
    client.logout()


def test_creating_an_existing_folder_gets_no_alreadyexists(lab: RunningImap) -> None:
    client = logged_in(lab)
    client.create("Archives")
    assert client.create("Archives") == ("NO", [b"[ALREADYEXISTS] Mailbox already exists."])
    assert client.noop()[0] == "OK"  # and the session goes on
    client.logout()


def test_create_makes_the_superior_folders(lab: RunningImap) -> None:
    client = logged_in(lab)
    client.create("Travail.2026.Mars")
    _, listing = client.list('""', "Travail*")
    names = sorted(line.rsplit(b' "." ', 1)[1] for line in listing)
    assert names == [b"Travail", b"Travail.2026", b"Travail.2026.Mars"]
    client.logout()


@pytest.mark.parametrize("name", ['""', '"."', '".."', '"a/b"', '"x/../y"', '".a"', '"a..b"'])
def test_create_with_a_name_no_folder_can_have_gets_no_cannot(lab: RunningImap, name: str) -> None:
    client = logged_in(lab)
    assert client.create(name) == ("NO", [b"[CANNOT] Invalid mailbox name."])
    inbox_entries = sorted(os.listdir(lab.ctx.store.maildir(ALICE)))
    expected = ["cur", "dovecot-uidlist", "new", "tmp", "subscriptions", ".Drafts", ".Junk"]
    assert inbox_entries == sorted([*expected, ".Sent", ".Trash"])
    assert sorted(os.listdir(lab.ctx.store.mail_root)) == sorted(user.login for user in USERS)
    client.logout()


@pytest.mark.parametrize("name", ['""', '"."', '".."'])
def test_delete_of_a_name_no_folder_can_have_deletes_nothing(lab: RunningImap, name: str) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    lab.ctx.store.deliver(BOB, MESSAGE)
    client = logged_in(lab)
    assert client.delete(name) == ("NO", [b"[NONEXISTENT] Mailbox does not exist."])
    assert len(lab.ctx.store.messages(ALICE)) == len(lab.ctx.store.messages(BOB)) == 1
    client.logout()


def test_rename_of_a_missing_folder_gets_no_nonexistent(lab: RunningImap) -> None:
    client = logged_in(lab)
    assert client.rename("Nulle-part", "Ailleurs") == (
        "NO",
        [b"[NONEXISTENT] Mailbox does not exist."],
    )
    client.logout()


def test_rename_keeps_the_mailboxid(lab: RunningImap) -> None:
    client = logged_in(lab)
    _, (created,) = client.create("Brouillons")
    client.rename("Brouillons", "Projets")
    _, (status,) = client.status("Projets", "(MAILBOXID)")
    assert re.search(rb"MAILBOXID \((\w+)\)", created)[1] in status  # type: ignore[index]
    client.logout()


def test_folder_the_store_delivered_to_is_readable(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE, folder="Listes")
    client = logged_in(lab)
    assert client.select("Listes") == ("OK", [b"1"])
    client.logout()


def test_body_peek_leaves_the_message_unseen(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    client = selected(lab)
    client.fetch("1", "(BODY.PEEK[])")
    _, data = client.fetch("1", "(FLAGS)")
    assert rb"\Seen" not in data[0]
    client.logout()


def test_body_fetch_marks_the_message_seen(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    client = selected(lab)
    client.fetch("1", "(BODY[])")
    _, data = client.fetch("1", "(FLAGS)")
    assert rb"\Seen" in data[0]
    client.logout()


def idling(lab: RunningImap, user: User = ALICE, mailbox: bytes = b"INBOX") -> Dialogue:
    """A session that selected ``mailbox`` and is now in IDLE."""
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {user.login} {user.password}".encode())
    dialogue.command(b"SELECT " + mailbox)
    dialogue.send(b"idle IDLE\r\n")
    assert dialogue.read_line() == b"+ Idling.\r\n"
    return dialogue


def idle_done(dialogue: Dialogue) -> list[bytes]:
    """End IDLE; the lines the server sent from then on, up to its tagged reply."""
    dialogue.send(b"DONE\r\n")
    return dialogue.until(b"idle")


def test_idle_session_is_told_exists_then_recent_after_a_delivery(lab: RunningImap) -> None:
    dialogue = idling(lab)
    lab.ctx.store.deliver(ALICE, MESSAGE)
    assert [dialogue.read_line(), dialogue.read_line()] == [b"* 1 EXISTS\r\n", b"* 1 RECENT\r\n"]
    dialogue.close()


def test_idle_sends_no_fetch_for_a_new_message(lab: RunningImap) -> None:
    dialogue = idling(lab)
    lab.ctx.store.deliver(ALICE, MESSAGE)
    dialogue.read_line()
    dialogue.read_line()
    assert idle_done(dialogue) == [b"idle OK IDLE completed.\r\n"]
    dialogue.close()


def test_idle_session_is_told_of_each_delivery(lab: RunningImap) -> None:
    dialogue = idling(lab)
    for count in (1, 2):
        lab.ctx.store.deliver(ALICE, MESSAGE)
        assert dialogue.read_line() == b"* %d EXISTS\r\n" % count
        assert dialogue.read_line() == b"* %d RECENT\r\n" % count
    dialogue.close()


def test_idle_session_is_told_expunge_when_another_session_expunges(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    dialogue = idling(lab)
    other = selected(lab)
    other.store("1", "+FLAGS", "(\\Deleted)")
    assert dialogue.read_line() == b"* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\n"
    other.expunge()
    assert dialogue.read_line() == b"* 1 EXPUNGE\r\n"
    other.logout()
    dialogue.close()


def test_idle_session_is_told_expunge_after_a_pop3_deletion(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    dialogue = idling(lab)
    maildrop = Maildrop.open(lab.ctx.store, ALICE)
    entry = maildrop.entry(1)
    assert entry is not None
    entry.deleted = True
    maildrop.commit()  # what POP3 QUIT does
    assert dialogue.read_line() == b"* 1 EXPUNGE\r\n"
    dialogue.close()


def test_idle_session_is_told_of_a_message_appended_by_another_session(lab: RunningImap) -> None:
    dialogue = idling(lab)
    other = logged_in(lab)
    other.append("INBOX", "", None, MESSAGE)
    assert dialogue.read_line() == b"* 1 EXISTS\r\n"
    other.logout()
    dialogue.close()


def test_idle_on_another_folder_is_not_told_of_an_inbox_delivery(lab: RunningImap) -> None:
    dialogue = idling(lab, mailbox=b"Sent")
    lab.ctx.store.deliver(ALICE, MESSAGE)
    assert idle_done(dialogue) == [b"idle OK IDLE completed.\r\n"]
    dialogue.close()


def test_noop_after_a_delivery_tells_exists_then_recent(lab: RunningImap) -> None:
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    dialogue.command(b"SELECT INBOX")
    lab.ctx.store.deliver(ALICE, MESSAGE)
    assert dialogue.command(b"NOOP") == [
        b"* 1 EXISTS\r\n",
        b"* 1 RECENT\r\n",
        b"t3 OK NOOP completed.\r\n",
    ]
    dialogue.close()


def test_only_the_first_session_to_see_a_message_gets_it_as_recent(lab: RunningImap) -> None:
    first = selected(lab)
    lab.ctx.store.deliver(ALICE, MESSAGE)
    first.noop()
    second = selected(lab)
    assert second.response("RECENT") == ("RECENT", [b"0"])
    _, data = first.fetch("1", "(FLAGS)")
    assert rb"\Recent" in data[0]
    first.logout()
    second.logout()


def test_file_removed_behind_the_server_is_expunged_on_noop(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    dialogue.command(b"SELECT INBOX")
    lab.ctx.store.messages(ALICE)[0].path.unlink()  # what POP3 does on DELE + QUIT
    assert b"* 1 EXPUNGE\r\n" in dialogue.command(b"NOOP")
    dialogue.close()


# -- message structure (RFC 9051 §7.5.2, RFC 2046 §5.1.1) ----------------------------------------

ATTACHMENT = (
    b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Plan\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="limite"\r\n'
    b"\r\n"
    b"--limite\r\n"
    b'Content-Type: text/plain; charset="utf-8"\r\n'
    b"\r\n"
    b"Bonjour Bob,\r\n"
    b"Alice\r\n"
    b"\r\n"
    b"--limite\r\n"
    b"Content-Type: image/png\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="plan.png"\r\n'
    b"\r\n"
    b"iVBORw0KGgo=\r\n"
    b"\r\n"
    b"--limite--\r\n"
)


def body_structure(lab: RunningImap, message: bytes) -> bytes:
    lab.ctx.store.deliver(ALICE, message)
    client = selected(lab)
    _, data = client.fetch("1", "(BODYSTRUCTURE)")
    client.logout()
    assert isinstance(data[0], bytes)
    return data[0]


def test_bodystructure_counts_a_text_part_s_body_without_its_header_fields(
    lab: RunningImap,
) -> None:
    structure = body_structure(lab, ATTACHMENT)
    assert b'("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 21 2 ' in structure


def test_bodystructure_counts_an_attachment_s_body_without_its_header_fields(
    lab: RunningImap,
) -> None:
    structure = body_structure(lab, ATTACHMENT)
    assert b'("image" "png" NIL NIL NIL "base64" 14 ' in structure


def test_bodystructure_gives_the_disposition_as_a_parenthesised_list(lab: RunningImap) -> None:
    structure = body_structure(lab, ATTACHMENT)
    assert b' ("attachment" ("filename" "plan.png")) NIL NIL)' in structure


def test_bodystructure_of_a_single_part_message_counts_its_body_only(lab: RunningImap) -> None:
    structure = body_structure(lab, MESSAGE)
    assert structure.endswith(
        b'(BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7BIT" 10 1 NIL NIL NIL NIL))'
    )


def test_part_body_leaves_out_the_line_break_of_the_next_boundary(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, ATTACHMENT)
    client = selected(lab)
    _, data = client.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2])")
    client.logout()
    assert [item[1] for item in data if isinstance(item, tuple)] == [
        b"Bonjour Bob,\r\nAlice\r\n",
        b"iVBORw0KGgo=\r\n",
    ]


# -- UNSELECT, NAMESPACE, ENABLE -----------------------------------------------------------------


def logged_in_dialogue(lab: RunningImap, user: User = ALICE) -> Dialogue:
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {user.login} {user.password}".encode())
    return dialogue


def test_capability_after_login_lists_namespace_unselect_enable_and_special_use(
    lab: RunningImap,
) -> None:
    dialogue = logged_in_dialogue(lab)
    capabilities = set(dialogue.command(b"CAPABILITY")[0].split())
    assert {b"NAMESPACE", b"UNSELECT", b"ENABLE", b"SPECIAL-USE"} <= capabilities
    dialogue.close()


def test_unselect_leaves_the_selected_state(lab: RunningImap) -> None:
    dialogue = logged_in_dialogue(lab)
    dialogue.command(b"SELECT INBOX")
    assert dialogue.command(b"UNSELECT") == [b"t3 OK Unselect completed.\r\n"]
    assert dialogue.command(b"FETCH 1 FLAGS") == [b"t4 BAD FETCH: Must select a mailbox first.\r\n"]
    dialogue.close()


def test_unselect_expunges_nothing(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    dialogue = logged_in_dialogue(lab)
    dialogue.command(b"SELECT INBOX")
    dialogue.command(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
    dialogue.command(b"UNSELECT")
    assert len(lab.ctx.store.messages(ALICE)) == 1
    dialogue.close()


def test_unselect_without_a_selected_mailbox_gets_bad(lab: RunningImap) -> None:
    dialogue = logged_in_dialogue(lab)
    assert dialogue.command(b"UNSELECT") == [b"t2 BAD UNSELECT: Must select a mailbox first.\r\n"]
    dialogue.close()


def test_namespace_is_one_personal_namespace_split_by_dots(lab: RunningImap) -> None:
    dialogue = logged_in_dialogue(lab)
    assert dialogue.command(b"NAMESPACE") == [
        b'* NAMESPACE (("" ".")) NIL NIL\r\n',
        b"t2 OK Namespace completed.\r\n",
    ]
    dialogue.close()


def test_enable_enables_nothing_the_server_does_not_implement(lab: RunningImap) -> None:
    dialogue = logged_in_dialogue(lab)
    assert dialogue.command(b"ENABLE CONDSTORE UTF8=ACCEPT") == [
        b"* ENABLED\r\n",
        b"t2 OK Enabled.\r\n",
    ]
    dialogue.close()


def test_enable_without_a_capability_gets_bad(lab: RunningImap) -> None:
    dialogue = logged_in_dialogue(lab)
    assert dialogue.command(b"ENABLE") == [b"t2 BAD ENABLE: Invalid arguments.\r\n"]
    dialogue.close()


@pytest.mark.parametrize("command", [b"NAMESPACE", b"ENABLE CONDSTORE", b"UNSELECT"])
def test_new_commands_before_login_get_bad(lab: RunningImap, command: bytes) -> None:
    dialogue = Dialogue.implicit_tls(lab)
    name = command.split()[0]
    assert dialogue.command(command) == [b"t1 BAD %b: Must authenticate first.\r\n" % name]
    dialogue.close()


# -- special-use folders (RFC 6154) ------------------------------------------------------------

SPECIAL_FOLDERS = [b"Drafts", b"Junk", b"Sent", b"Trash"]


def _listed(lines: list[bytes]) -> dict[bytes, bytes]:
    """LIST/LSUB lines as mailbox name → attributes."""
    found = {}
    for line in lines:
        match = re.fullmatch(rb'\((.*)\) "\." (.+)', line)
        assert match, line
        found[match[2]] = match[1]
    return found


def test_every_user_has_the_special_use_folders_marked_in_list(lab: RunningImap) -> None:
    for user in USERS:
        client = logged_in(lab, user)
        _, lines = client.list()
        listed = _listed(lines)
        assert {name: listed[name] for name in SPECIAL_FOLDERS} == {
            name: b"\\HasNoChildren \\" + name for name in SPECIAL_FOLDERS
        }
        client.logout()


def test_special_use_folders_are_subscribed(lab: RunningImap) -> None:
    client = logged_in(lab)
    _, lines = client.lsub()
    assert sorted(_listed(lines)) == sorted([b"INBOX", *SPECIAL_FOLDERS])  # pymap lists INBOX
    client.logout()


def test_message_appended_to_sent_is_fetchable_there(lab: RunningImap) -> None:
    client = logged_in(lab)
    assert client.append("Sent", "(\\Seen)", None, MESSAGE)[0] == "OK"
    assert client.select("Sent") == ("OK", [b"1"])
    _, data = client.fetch("1", "(FLAGS BODY.PEEK[])")
    assert rb"\Seen" in data[0][0]
    assert data[0][1] == MESSAGE
    client.logout()


def test_special_use_folders_are_empty_again_with_the_same_ids_after_a_reset(
    lab: RunningImap,
) -> None:
    client = logged_in(lab)
    client.append("Sent", "", None, MESSAGE)
    _, before = client.status("Sent", "(UIDVALIDITY MAILBOXID)")
    client.logout()
    lab.ctx.store.reset()
    client = logged_in(lab)
    assert client.status("Sent", "(MESSAGES UIDVALIDITY MAILBOXID)")[1] == [
        before[0].replace(b"(UIDVALIDITY", b"(MESSAGES 0 UIDVALIDITY")
    ]
    client.logout()


def test_list_shows_inbox_first_then_the_folders_by_name(lab: RunningImap) -> None:
    client = logged_in(lab)
    client.create("Zeta")
    client.create("Alpha")
    _, lines = client.list()
    assert list(_listed(lines)) == [b"INBOX", b"Alpha", *SPECIAL_FOLDERS, b"Zeta"]
    client.logout()


def test_dotted_folder_name_creates_a_hierarchy(lab: RunningImap) -> None:
    client = logged_in(lab)
    client.create("Travail.2026")
    assert (lab.ctx.store.mail_root / ALICE.login / ".Travail.2026" / "cur").is_dir()
    _, lines = client.list('""', "Travail*")
    assert _listed(lines) == {b"Travail": b"\\HasChildren", b"Travail.2026": b"\\HasNoChildren"}
    client.logout()


# -- repeatable identifiers, names and dates -------------------------------------------------------


def _select_codes(client: imaplib.IMAP4) -> tuple[bytes, bytes]:
    client.select("INBOX")
    return client.response("UIDVALIDITY")[1][0], client.response("MAILBOXID")[1][0]


def test_uidvalidity_and_mailboxid_are_identical_across_resets(lab: RunningImap) -> None:
    client = logged_in(lab)
    before = _select_codes(client)
    client.logout()
    lab.ctx.store.reset()
    client = logged_in(lab)
    assert _select_codes(client) == before
    client.logout()


def test_inbox_uidvalidity_is_the_lab_epoch(lab: RunningImap) -> None:
    client = logged_in(lab)
    assert _select_codes(client)[0] == b"1772442000"
    client.logout()


def test_folder_created_again_gets_a_greater_uidvalidity(lab: RunningImap) -> None:
    client = logged_in(lab)

    def uidvalidity() -> int:
        _, data = client.status("Archives", "(UIDVALIDITY)")
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0])[1])  # type: ignore[index]

    client.create("Archives")
    first = uidvalidity()
    client.delete("Archives")
    client.create("Archives")
    assert uidvalidity() > first
    client.logout()


def test_append_names_its_file_from_the_store_counter(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    client = logged_in(lab)
    client.append("INBOX", None, None, MESSAGE)
    assert stored_files(ALICE, lab)[-1] == f"new/1772442001.M000002P0.{SERVER_NAME}"
    client.logout()


def test_append_stores_the_message_byte_for_byte(lab: RunningImap) -> None:
    folded = b"Subject: a subject long enough to be folded by a generator " * 3 + b"\r\n\r\nx\r\n"
    client = logged_in(lab)
    client.append("INBOX", None, None, folded)
    assert lab.ctx.store.messages(ALICE)[0].read() == folded
    client.logout()


def test_append_without_date_is_dated_by_the_lab_clock(lab: RunningImap) -> None:
    client = selected(lab)
    client.append("INBOX", None, None, MESSAGE)
    _, data = client.fetch("1", "(INTERNALDATE)")
    assert b'INTERNALDATE "02-Mar-2026 09:00:00 +0000"' in data[-1]
    client.logout()


def test_append_keeps_the_date_the_client_gives(lab: RunningImap) -> None:
    client = selected(lab)
    client.append("INBOX", None, '"14-Jul-2025 12:30:00 +0200"', MESSAGE)
    _, data = client.fetch("1", "(INTERNALDATE)")
    assert b'INTERNALDATE "14-Jul-2025 10:30:00 +0000"' in data[-1]
    client.logout()


def test_internaldate_is_shown_in_utc_whatever_the_local_zone(
    lab: RunningImap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        lab.ctx.store.deliver(ALICE, MESSAGE)
        client = selected(lab)
        _, data = client.fetch("1", "(INTERNALDATE)")
        client.logout()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert b'INTERNALDATE "02-Mar-2026 09:00:00 +0000"' in data[0]


def test_copy_keeps_the_content_and_the_date(lab: RunningImap) -> None:
    lab.ctx.store.deliver(ALICE, MESSAGE)
    client = selected(lab)
    client.create("Archives")
    client.copy("1", "Archives")
    client.select("Archives")
    _, data = client.fetch("1", "(INTERNALDATE BODY.PEEK[])")
    assert b'"02-Mar-2026 09:00:00 +0000"' in data[0][0]
    assert data[0][1] == MESSAGE
    client.logout()


def _scenario(lab: RunningImap) -> list[bytes]:
    """A session touching every identifier, name and date the server makes up."""
    lab.ctx.store.deliver(ALICE, MESSAGE)
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    dialogue.command(b"SELECT INBOX")
    dialogue.command(b"FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE EMAILID THREADID BODY.PEEK[])")
    dialogue.command(b"STORE 1 +FLAGS (\\Seen)")
    dialogue.command(b"APPEND INBOX (\\Flagged) {%d+}\r\n" % len(MESSAGE) + MESSAGE)
    dialogue.command(b"CREATE Archives")
    dialogue.command(b"COPY 1:2 Archives")
    dialogue.command(b"STATUS Archives (MESSAGES UIDNEXT UIDVALIDITY MAILBOXID)")
    dialogue.command(b"SELECT Archives")
    dialogue.command(b"FETCH 1:* (UID FLAGS INTERNALDATE EMAILID)")
    dialogue.command(b'LIST "" "*"')
    dialogue.command(b"APPEND Sent (\\Seen) {%d+}\r\n" % len(MESSAGE) + MESSAGE)
    dialogue.command(b"STATUS Sent (MESSAGES UIDNEXT UIDVALIDITY MAILBOXID)")
    dialogue.command(b"LOGOUT")
    dialogue.close()
    return dialogue.lines


def _maildir_snapshot(lab: RunningImap) -> dict[str, tuple[bytes, int | None]]:
    """Every file under the store: its content, and its mtime when it is a message."""
    root = lab.ctx.store.mail_root
    snapshot: dict[str, tuple[bytes, int | None]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            is_message = path.parent.name in ("new", "cur")
            mtime = int(path.stat().st_mtime) if is_message else None
            snapshot[str(path.relative_to(root))] = (path.read_bytes(), mtime)
    return snapshot


def test_two_runs_give_identical_dialogues_and_maildirs(
    start_lab: Callable[[], RunningImap],
) -> None:
    first, second = start_lab(), start_lab()
    assert _scenario(first) == _scenario(second)
    assert _maildir_snapshot(first) == _maildir_snapshot(second)


# -- malformed, oversized and out-of-state commands ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        (b"a1 FROBNICATE", b"a1 BAD FROBNICATE: Unknown command.\r\n"),
        (b"a1 LOGIN onlyone", b"a1 BAD LOGIN: Invalid arguments.\r\n"),
        (b"a1 FETCH 1 (FLAGS)", b"a1 BAD FETCH: Must authenticate first.\r\n"),
        (b"a1 SELECT INBOX", b"a1 BAD SELECT: Must authenticate first.\r\n"),
        (b"a1 LOGIN {" + b"9" * 5000 + b"}", b"a1 BAD Invalid command.\r\n"),
        (b"\x00\xff", b"* BAD Command not given.\r\n"),
    ],
)
def test_malformed_or_out_of_state_command_gets_bad(
    lab: RunningImap, line: bytes, reply: bytes
) -> None:
    dialogue = Dialogue.plain(lab)
    dialogue.send(line + b"\r\n")
    assert dialogue.read_line() == reply
    dialogue.close()


def test_fetch_before_select_gets_bad(lab: RunningImap) -> None:
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    assert dialogue.command(b"FETCH 1 FLAGS") == [b"t2 BAD FETCH: Must select a mailbox first.\r\n"]
    dialogue.close()


def test_overlong_line_gets_bad_then_bye(lab: RunningImap) -> None:
    dialogue = Dialogue.plain(lab)
    dialogue.send(b"a1 NOOP " + b"x" * 100_000 + b"\r\n")
    assert dialogue.read_line() == b"* BYE Too much data, closing the connection.\r\n"
    assert dialogue.read_line() == b"a1 BAD [TOOBIG] Command line too long.\r\n"
    dialogue.close()


def test_deeply_nested_search_gets_bad_and_the_session_goes_on(lab: RunningImap) -> None:
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    dialogue.command(b"SELECT INBOX")
    nested = b"(" * 1000 + b"ALL" + b")" * 1000
    assert dialogue.command(b"SEARCH " + nested) == [b"t3 BAD Command nested too deeply.\r\n"]
    assert dialogue.command(b"NOOP")[-1] == b"t4 OK NOOP completed.\r\n"
    dialogue.close()


def test_nesting_real_clients_use_is_accepted(lab: RunningImap) -> None:
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    dialogue.command(b"SELECT INBOX")
    nested = b"(" * 8 + b"ALL" + b")" * 8
    assert dialogue.command(b"SEARCH " + nested)[-1].startswith(b"t3 OK")
    dialogue.close()


def test_a_large_literal_before_login_gets_bad_then_bye_without_being_read(
    lab: RunningImap,
) -> None:
    # 100 kB: under the budget of a logged-in client, over the 64 KiB allowed before login.
    dialogue = Dialogue.plain(lab)
    dialogue.send(b"a1 LOGIN alice@example.com {100000+}\r\n")
    assert dialogue.read_line() == b"* BYE Too much data, closing the connection.\r\n"
    assert dialogue.read_line() == b"a1 BAD [TOOBIG] Literal too large.\r\n"
    assert dialogue.closed()
    dialogue.close()


def test_oversized_nonsynchronizing_literal_gets_bad_then_bye(lab: RunningImap) -> None:
    dialogue = Dialogue.plain(lab)
    dialogue.send(b"a1 LOGIN {999999999+}\r\n")
    assert dialogue.read_line() == b"* BYE Too much data, closing the connection.\r\n"
    assert dialogue.read_line() == b"a1 BAD [TOOBIG] Literal too large.\r\n"
    assert dialogue.closed()
    dialogue.close()


def test_oversized_append_gets_no_continuation(lab: RunningImap) -> None:
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    reply = dialogue.command(b"APPEND INBOX {%d}" % (11 * 1024 * 1024))
    assert reply[-1].startswith(b"t2 BAD")
    dialogue.close()


def test_too_many_bad_commands_end_with_bye(lab: RunningImap) -> None:
    dialogue = Dialogue.plain(lab)
    for _ in range(4):
        dialogue.command(b"FROBNICATE")
    dialogue.send(b"last FROBNICATE\r\n")
    assert dialogue.read_line() == b"* BYE Too many errors, closing the connection.\r\n"
    assert dialogue.read_line() == b"last BAD FROBNICATE: Unknown command.\r\n"
    assert dialogue.closed()
    dialogue.close()


# -- lifecycle -------------------------------------------------------------------------------


def test_drop_connections_closes_every_session(lab: RunningImap) -> None:
    plain_client, tls_client = Dialogue.plain(lab), Dialogue.implicit_tls(lab)
    lab.call(lab.imap.drop_connections())
    lab.call(lab.imaps.drop_connections())
    assert plain_client.closed()
    assert _tls_closed(tls_client)
    plain_client.close()
    tls_client.close()


def _tls_closed(dialogue: Dialogue) -> bool:
    try:
        return dialogue.closed()
    except (ssl.SSLError, ConnectionError):
        return True


def test_drop_connections_ends_an_idle_session(lab: RunningImap) -> None:
    dialogue = Dialogue.implicit_tls(lab)
    dialogue.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    dialogue.command(b"SELECT INBOX")
    dialogue.send(b"idle IDLE\r\n")
    dialogue.read_line()
    lab.call(lab.imaps.drop_connections())
    assert _tls_closed(dialogue)
    dialogue.close()


def test_server_still_accepts_connections_after_a_drop(lab: RunningImap) -> None:
    Dialogue.plain(lab).close()
    lab.call(lab.imap.drop_connections())
    dialogue = Dialogue.plain(lab)
    assert dialogue.command(b"NOOP") == [b"t1 OK NOOP completed.\r\n"]
    dialogue.close()


def test_close_leaves_no_task_behind(lab: RunningImap) -> None:
    idle = Dialogue.implicit_tls(lab)
    idle.command(f"LOGIN {ALICE.login} {ALICE.password}".encode())
    idle.command(b"SELECT INBOX")
    idle.send(b"idle IDLE\r\n")
    idle.read_line()
    waiting = Dialogue.plain(lab)
    silent = socket.create_connection(("127.0.0.1", lab.imaps.port), timeout=5)  # no handshake
    wait_until(lambda: lab.imap.live_connections == 1 and lab.imaps.live_connections == 2)
    lab.call(lab.imap.close())
    lab.call(lab.imaps.close())
    assert lab.tasks() == []
    for dialogue in (idle, waiting):
        dialogue.close()
    silent.close()


def test_close_stops_listening(lab: RunningImap) -> None:
    port = lab.imap.port
    lab.call(lab.imap.close())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
