"""The recording proxy, in front of small fake servers: what it relays, records and drops.

The fakes speak just enough SMTP, POP3 and IMAP (greeting, echo, STARTTLS/STLS, QUIT/LOGOUT) and
really switch to TLS with the lab's contexts, so every handoff is a real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme

from labo.identity import PROVIDERS, SERVICES
from labo.lab import Lab
from labo.tls import LabTLS, ProviderTLS
from labo.wire.labels import DEVICES, REGISTRY, ClientInfo
from labo.wire.lines import LineSplitter, strip_line_ending
from labo.wire.proxy import RecordingProxy, start_proxy
from labo.wire.starttls import IMAPWatcher, POP3Watcher, SMTPWatcher, Verdict
from labo.wire.transcript import Recorder, Transcript, describe_tls

#: The provider the servers under test play; its certificate names all its hosts.
PROVIDER = PROVIDERS["example.org"]
#: The name clients ask for when they check the servers' certificate.
SERVER_NAME = "imap.example.org"
#: The address the proxy gives an unregistered client: the first device of the lab.
EXTERNAL_CLIENT_ADDRESS = "203.0.113.101"

TIMEOUT = 5.0

Runner = Callable[[Awaitable[Any]], Any]


# -- the pieces the proxy is made of --------------------------------------------------------


def test_a_line_split_across_chunks_comes_out_whole() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"EH") == []
    assert splitter.feed(b"LO client.example.com\r\nNO") == [(b"EHLO client.example.com\r\n", 23)]


def test_each_line_comes_with_the_offset_where_it_ends() -> None:
    lines = LineSplitter().feed(b"STARTTLS\r\nRSET\r\n")
    assert lines == [(b"STARTTLS\r\n", 10), (b"RSET\r\n", 16)]


def test_flush_gives_the_unfinished_last_line_once() -> None:
    splitter = LineSplitter()
    splitter.feed(b"QUIT")
    assert (splitter.flush(), splitter.flush()) == (b"QUIT", None)


@pytest.mark.parametrize(
    ("line", "text"),
    [(b"QUIT\r\n", b"QUIT"), (b"QUIT\n", b"QUIT"), (b"QUIT\r", b"QUIT"), (b"QU\rIT", b"QU\rIT")],
)
def test_strip_line_ending_removes_only_the_ending(line: bytes, text: bytes) -> None:
    assert strip_line_ending(line) == text


def greeted(watcher: SMTPWatcher | POP3Watcher, greeting: bytes) -> SMTPWatcher | POP3Watcher:
    assert watcher.server_line(greeting) is None
    return watcher


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [(b"220 2.0.0 Ready\r\n", Verdict.ACCEPTED), (b"454 4.7.0 Not now\r\n", Verdict.REFUSED)],
)
def test_smtp_starttls_is_answered_by_the_next_final_reply(reply: bytes, verdict: Verdict) -> None:
    watcher = greeted(SMTPWatcher(), b"220 mx.example.org ESMTP\r\n")
    assert watcher.client_line(b"STARTTLS\r\n")
    assert watcher.server_line(reply) is verdict


def test_smtp_greeting_is_never_taken_for_the_answer() -> None:
    watcher = SMTPWatcher()
    assert watcher.client_line(b"STARTTLS\r\n")
    assert watcher.server_line(b"220 mx.example.org ESMTP\r\n") is None


def test_smtp_continuation_lines_do_not_answer() -> None:
    watcher = greeted(SMTPWatcher(), b"220 mx.example.org ESMTP\r\n")
    watcher.client_line(b"STARTTLS\r\n")
    assert watcher.server_line(b"220-please wait\r\n") is None


def test_smtp_starttls_inside_a_message_is_data() -> None:
    watcher = greeted(SMTPWatcher(), b"220 mx.example.org ESMTP\r\n")
    watcher.client_line(b"DATA\r\n")
    watcher.server_line(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    assert not watcher.client_line(b"STARTTLS\r\n")


def test_smtp_commands_are_watched_again_after_the_message() -> None:
    watcher = greeted(SMTPWatcher(), b"220 mx.example.org ESMTP\r\n")
    watcher.client_line(b"DATA\r\n")
    watcher.server_line(b"354 Go ahead\r\n")
    watcher.client_line(b".\r\n")
    watcher.server_line(b"250 OK\r\n")
    assert watcher.client_line(b"STARTTLS\r\n")


def test_smtp_sasl_response_is_not_a_command() -> None:
    watcher = greeted(SMTPWatcher(), b"220 mx.example.org ESMTP\r\n")
    watcher.client_line(b"AUTH LOGIN\r\n")
    watcher.server_line(b"334 VXNlcm5hbWU6\r\n")
    assert not watcher.client_line(b"STARTTLS\r\n")  # "STARTTLS" is valid base64


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [(b"+OK Begin TLS\r\n", Verdict.ACCEPTED), (b"-ERR Not now\r\n", Verdict.REFUSED)],
)
def test_pop3_stls_is_answered_by_ok_or_err(reply: bytes, verdict: Verdict) -> None:
    watcher = greeted(POP3Watcher(), b"+OK POP3 ready\r\n")
    assert watcher.client_line(b"STLS\r\n")
    assert watcher.server_line(reply) is verdict


def test_pop3_sasl_responses_are_not_commands() -> None:
    watcher = greeted(POP3Watcher(), b"+OK POP3 ready\r\n")
    watcher.client_line(b"AUTH PLAIN\r\n")
    watcher.server_line(b"+ \r\n")
    assert not watcher.client_line(b"STLS\r\n")


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [(b"a1 OK Begin TLS\r\n", Verdict.ACCEPTED), (b"a1 BAD Not now\r\n", Verdict.REFUSED)],
)
def test_imap_starttls_is_answered_by_its_tag(reply: bytes, verdict: Verdict) -> None:
    watcher = IMAPWatcher()
    assert watcher.client_line(b"a1 STARTTLS\r\n")
    assert watcher.server_line(b"* OK still there\r\n") is None
    assert watcher.server_line(b"a0 OK earlier command\r\n") is None
    assert watcher.server_line(reply) is verdict


def test_imap_starttls_inside_a_literal_is_data() -> None:
    watcher = IMAPWatcher()
    watcher.client_line(b"a1 APPEND INBOX {15}\r\n")
    assert not watcher.client_line(b"a2 STARTTLS\r\n")  # 13 octets of the 15


def test_imap_text_after_a_literal_continues_the_command() -> None:
    watcher = IMAPWatcher()
    watcher.client_line(b"a1 LOGIN {5}\r\n")
    assert not watcher.client_line(b"alice a2 STARTTLS\r\n")


def test_imap_commands_are_watched_again_after_the_literal() -> None:
    watcher = IMAPWatcher()
    watcher.client_line(b"a1 APPEND INBOX {7}\r\n")
    watcher.client_line(b"Hello\r\n")
    watcher.client_line(b"\r\n")
    assert watcher.client_line(b"a2 STARTTLS\r\n")


def test_a_tls_failure_note_survives_the_text_form() -> None:
    recorder = Recorder()
    number = recorder.open("imap", "client", SERVER_NAME, 143)
    recorder.note(number, "échec TLS\u00a0: TLSV1_ALERT_UNKNOWN_CA (côté client)")
    events = Transcript.from_text(recorder.snapshot().to_text()).events
    assert [event.kind for event in events] == ["open", "note"]


# -- fake lab servers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """What a fake server says; IMAP answers carry the command's tag."""

    greeting: bytes
    upgrade: bytes
    accept: bytes
    refuse: bytes
    quit: bytes
    bye: bytes
    ok: bytes


DIALECTS = {
    "smtp": Dialect(
        b"220 smtp.example.org ESMTP",
        b"STARTTLS",
        b"220 2.0.0 Ready to start TLS",
        b"454 4.7.0 TLS not available",
        b"QUIT",
        b"221 2.0.0 Bye",
        b"250",
    ),
    "pop3": Dialect(
        b"+OK POP3 ready",
        b"STLS",
        b"+OK Begin TLS negotiation",
        b"-ERR TLS not available",
        b"QUIT",
        b"+OK Bye",
        b"+OK",
    ),
    "imap": Dialect(
        b"* OK IMAP4rev1 ready",
        b"STARTTLS",
        b"OK Begin TLS negotiation now",
        b"NO TLS not available",
        b"LOGOUT",
        b"OK LOGOUT completed",
        b"OK",
    ),
}


@dataclass
class Received:
    """One line a fake server read, and whether it came inside TLS."""

    line: bytes
    inside_tls: bool


@dataclass
class FakeServer:
    """A line server playing a lab server; echoes ``<ok> <command>`` to unknown commands."""

    tls: ProviderTLS
    protocol: str
    implicit: bool = False
    refuse_tls: bool = False
    proxy_header: bool = False
    #: when set, the answer to a TLS request waits until the test opens this gate
    answer_gate: asyncio.Event | None = None
    received: list[Received] = field(default_factory=list)
    headers: list[bytes] = field(default_factory=list)
    upgrade_requested: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None
    _handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = field(default_factory=dict)

    async def start(self) -> int:
        context = self.tls.server_context() if self.implicit else None
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._handlers.values():
            writer.transport.abort()  # its handler then reads the end of the stream and returns
        await asyncio.gather(*self._handlers)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = writer
        dialect = DIALECTS[self.protocol]
        try:
            if self.proxy_header:
                self.headers.append(await reader.readline())
            writer.write(dialect.greeting + b"\r\n")
            while line := await reader.readline():
                inside_tls = writer.get_extra_info("ssl_object") is not None
                self.received.append(Received(line, inside_tls))
                tag, command = self._split(line)
                if command.upper() == dialect.upgrade:
                    self.upgrade_requested.set()
                    if self.answer_gate is not None:
                        await self.answer_gate.wait()
                    answer = dialect.refuse if self.refuse_tls else dialect.accept
                    writer.write(tag + answer + b"\r\n")
                    if not self.refuse_tls:
                        await writer.start_tls(self.tls.server_context())
                elif command.upper() == dialect.quit:
                    writer.write(tag + dialect.bye + b"\r\n")
                    break
                else:
                    writer.write(tag + dialect.ok + b" " + command + b"\r\n")
                await writer.drain()
        except OSError:  # the proxy went away, in clear or inside TLS
            pass
        finally:
            writer.close()
            del self._handlers[task]

    def _split(self, line: bytes) -> tuple[bytes, bytes]:
        text = line.rstrip(b"\r\n")
        if self.protocol != "imap":
            return b"", text
        tag, _, command = text.partition(b" ")
        return tag + b" ", command


class Client:
    """A test client on asyncio streams; reads with a time limit so a bug cannot hang the run."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(
        cls, port: int, *, context: ssl.SSLContext | None = None, sock: socket.socket | None = None
    ) -> Client:
        if sock is not None:
            reader, writer = await asyncio.open_connection(sock=sock)
        else:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=context, server_hostname=SERVER_NAME if context else None
            )
        return cls(reader, writer)

    @property
    def local_port(self) -> int:
        return int(self.writer.get_extra_info("sockname")[1])

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def ask(self, line: bytes) -> bytes:
        await self.send(line + b"\r\n")
        return await self.line()

    async def line(self) -> bytes:
        return (await asyncio.wait_for(self.reader.readline(), TIMEOUT)).rstrip(b"\r\n")

    async def starttls(self, context: ssl.SSLContext) -> None:
        await self.writer.start_tls(context, server_hostname=SERVER_NAME)

    async def until_closed(self) -> bytes:
        """Everything the proxy still sends, up to its end of the connection; then close too."""
        rest = await asyncio.wait_for(self.reader.read(), TIMEOUT)
        await self.close()
        return rest

    def tls_event(self) -> str:
        ssl_object = self.writer.get_extra_info("ssl_object")
        return describe_tls(ssl_object.version(), ssl_object.cipher()[0])

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_tls(tmp_path_factory: pytest.TempPathFactory) -> ProviderTLS:
    return ProviderTLS(LabTLS(tmp_path_factory.mktemp("tls")), PROVIDER)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def run() -> Iterator[Runner]:
    """Run a scenario on a fresh loop; fail if anything went to the loop's exception handler."""
    unhandled: list[dict[str, Any]] = []

    async def guarded(scenario: Awaitable[Any]) -> Any:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: unhandled.append(ctx))
        return await asyncio.wait_for(scenario, TIMEOUT * 2)

    yield lambda scenario: asyncio.run(guarded(scenario))
    assert unhandled == []
    REGISTRY.clear()
    DEVICES.clear()


@contextlib.asynccontextmanager
async def proxied(
    service: str,
    lab_tls: ProviderTLS,
    recorder: Recorder,
    *,
    refuse_tls: bool = False,
    proxy_protocol: bool = False,
) -> AsyncIterator[tuple[RecordingProxy, FakeServer]]:
    """A fake server for ``service`` and a recording proxy in front of it."""
    definition = SERVICES[service]
    fake = FakeServer(
        lab_tls,
        definition.protocol,
        implicit=definition.tls == "implicit",
        refuse_tls=refuse_tls,
        proxy_header=proxy_protocol,
    )
    backend_port = await fake.start()
    proxy = await start_proxy(
        definition,
        backend_port=backend_port,
        hostname=PROVIDER.hostname_for(definition),
        server_address=PROVIDER.host(definition.host_role).address,
        tls=lab_tls,
        recorder=recorder,
        host="127.0.0.1",
        port=0,
        proxy_protocol=proxy_protocol,
    )
    try:
        yield proxy, fake
    finally:
        await proxy.close()
        await fake.close()


async def settled_text(proxy: RecordingProxy, recorder: Recorder) -> str:
    assert await proxy.wait_idle(TIMEOUT)
    return recorder.snapshot().to_text()


def proxy_tasks() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task.get_name().startswith("labo-proxy")]


# -- relaying and recording ----------------------------------------------------------------------


def test_lines_are_recorded_in_both_directions_in_order(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> str:
        async with proxied("submission", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.ask(b"EHLO client.example.com")
            await client.ask(b"QUIT")
            await client.until_closed()
            return await settled_text(proxy, recorder)

    assert run(scenario()) == (
        "[1] ** ouverture\u00a0: «\u00a0client externe\u00a0» → smtp.example.org:587 (submission)\n"
        "[1] S: 220 smtp.example.org ESMTP\n"
        "[1] C: EHLO client.example.com\n"
        "[1] S: 250 EHLO client.example.com\n"
        "[1] C: QUIT\n"
        "[1] S: 221 2.0.0 Bye\n"
        "[1] ** fermeture\n"
    )


def test_bytes_reach_each_side_unaltered(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[bytes, bytes]:
        async with proxied("submission", lab_tls, recorder) as (proxy, fake):
            client = await Client.connect(proxy.port)
            await client.line()
            answer = await client.ask(b"NOOP caf\xc3\xa9 \xff")
            await client.close()
            return fake.received[0].line, answer

    assert run(scenario()) == (b"NOOP caf\xc3\xa9 \xff\r\n", b"250 NOOP caf\xc3\xa9 \xff")


def test_a_registered_client_is_recorded_with_its_label_and_hostname(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> str:
        async with proxied("submission", lab_tls, recorder) as (proxy, _):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            REGISTRY.register(
                sock.getsockname()[1], ClientInfo("le téléphone de Bob", "smtp.example.org")
            )
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", proxy.port))
            client = await Client.connect(proxy.port, sock=sock)
            await client.line()
            await client.close()
            return (await settled_text(proxy, recorder)).splitlines()[0]

    assert run(scenario()) == (
        "[1] ** ouverture\u00a0: «\u00a0le téléphone de Bob\u00a0» "
        "→ smtp.example.org:587 (submission)"
    )


def test_a_line_sent_in_pieces_is_recorded_once_whole(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> list[str]:
        async with proxied("submission", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            for piece in (b"NO", b"OP one", b" two\r\n"):
                await client.send(piece)
                await asyncio.sleep(0.01)  # let each piece travel on its own
            await client.line()
            await client.close()
            return (await settled_text(proxy, recorder)).splitlines()[2:4]

    assert run(scenario()) == ["[1] C: NOOP one two", "[1] S: 250 NOOP one two"]


def test_an_unfinished_last_line_is_recorded_at_the_end(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> list[str]:
        async with proxied("submission", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.send(b"NOOP")
            client.writer.write_eof()
            await client.until_closed()
            return (await settled_text(proxy, recorder)).splitlines()[2:]

    assert run(scenario()) == ["[1] C: NOOP", "[1] S: 250 NOOP", "[1] ** fermeture"]


def test_a_client_half_close_still_gets_the_server_answer(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> bytes:
        async with proxied("submission", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.send(b"QUIT\r\n")
            client.writer.write_eof()
            return await client.until_closed()

    assert run(scenario()) == b"221 2.0.0 Bye\r\n"


# -- STARTTLS ------------------------------------------------------------------------------------

STARTTLS_DIALOGUES = {
    # service: (request, command inside TLS, quit)
    "submission": (b"STARTTLS", b"NOOP", b"QUIT"),
    "pop3": (b"STLS", b"NOOP", b"QUIT"),
    "imap": (b"a1 STARTTLS", b"a2 NOOP", b"a3 LOGOUT"),
}


async def starttls_dialogue(
    service: str, lab_tls: ProviderTLS, recorder: Recorder
) -> tuple[str, str, FakeServer]:
    request, inside, quit_command = STARTTLS_DIALOGUES[service]
    async with proxied(service, lab_tls, recorder) as (proxy, fake):
        client = await Client.connect(proxy.port)
        await client.line()
        await client.ask(request)
        await client.starttls(lab_tls.client_context())
        await client.ask(inside)
        await client.ask(quit_command)
        tls_event = client.tls_event()
        await client.until_closed()
        return await settled_text(proxy, recorder), tls_event, fake


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (
            "submission",
            [
                "S: 220 smtp.example.org ESMTP",
                "C: STARTTLS",
                "S: 220 2.0.0 Ready to start TLS",
                "** TLS",
                "C: NOOP",
                "S: 250 NOOP",
                "C: QUIT",
                "S: 221 2.0.0 Bye",
            ],
        ),
        (
            "pop3",
            [
                "S: +OK POP3 ready",
                "C: STLS",
                "S: +OK Begin TLS negotiation",
                "** TLS",
                "C: NOOP",
                "S: +OK NOOP",
                "C: QUIT",
                "S: +OK Bye",
            ],
        ),
        (
            "imap",
            [
                "S: * OK IMAP4rev1 ready",
                "C: a1 STARTTLS",
                "S: a1 OK Begin TLS negotiation now",
                "** TLS",
                "C: a2 NOOP",
                "S: a2 OK NOOP",
                "C: a3 LOGOUT",
                "S: a3 OK LOGOUT completed",
            ],
        ),
    ],
)
def test_starttls_upgrades_both_legs_and_the_dialogue_inside_is_recorded(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder, service: str, expected: list[str]
) -> None:
    text, tls_event, _ = run(starttls_dialogue(service, lab_tls, recorder))
    lines = [line.removeprefix("[1] ") for line in text.splitlines()]
    assert lines[1:-1] == [f"** {tls_event}" if line == "** TLS" else line for line in expected]


def test_after_starttls_the_server_reads_the_client_inside_tls(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    _, _, fake = run(starttls_dialogue("submission", lab_tls, recorder))
    assert [(r.line, r.inside_tls) for r in fake.received] == [
        (b"STARTTLS\r\n", False),
        (b"NOOP\r\n", True),
        (b"QUIT\r\n", True),
    ]


def test_the_same_starttls_dialogue_always_gives_the_same_transcript(
    run: Runner, lab_tls: ProviderTLS
) -> None:
    async def scenario() -> set[str]:
        texts = set()
        for _ in range(20):
            text, _, _ = await starttls_dialogue("imap", lab_tls, Recorder())
            texts.add(text)
        return texts

    assert len(run(scenario())) == 1


def test_a_refused_starttls_leaves_the_connection_in_clear(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> list[str]:
        async with proxied("submission", lab_tls, recorder, refuse_tls=True) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.ask(b"STARTTLS")
            await client.ask(b"NOOP")
            await client.close()
            return (await settled_text(proxy, recorder)).splitlines()[2:-1]

    assert run(scenario()) == [
        "[1] C: STARTTLS",
        "[1] S: 454 4.7.0 TLS not available",
        "[1] C: NOOP",
        "[1] S: 250 NOOP",
    ]


def test_commands_pipelined_after_a_refused_starttls_are_delivered(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> bytes:
        async with proxied("submission", lab_tls, recorder, refuse_tls=True) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.send(b"STARTTLS\r\nNOOP\r\n")
            await client.line()
            answer = await client.line()
            await client.close()
            return answer

    assert run(scenario()) == b"250 NOOP"


def test_bytes_pipelined_after_starttls_are_never_relayed_in_clear(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[list[bytes], list[str]]:
        async with proxied("submission", lab_tls, recorder) as (proxy, fake):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.send(b"STARTTLS\r\nRSET\r\n")
            await client.line()
            await client.starttls(lab_tls.client_context())
            await client.ask(b"NOOP")
            await client.close()
            text = await settled_text(proxy, recorder)
            return [r.line for r in fake.received], text.splitlines()[2:5]

    received, recorded = run(scenario())
    assert received == [b"STARTTLS\r\n", b"NOOP\r\n"]
    assert recorded == [
        "[1] C: STARTTLS",
        "[1] S: 220 2.0.0 Ready to start TLS",
        "[1] ** ignoré\u00a0: 6 octets en clair du client avant la négociation TLS",
    ]


def test_bytes_sent_after_starttls_before_its_answer_go_to_tls_not_to_the_server(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[list[Received], bytes, list[str]]:
        async with proxied("submission", lab_tls, recorder) as (proxy, fake):
            fake.answer_gate = asyncio.Event()
            client = await Client.connect(proxy.port)
            await client.line()
            await client.send(b"STARTTLS\r\n")
            await fake.upgrade_requested.wait()
            await client.send(b"RSET\r\n")  # a packet of its own, read by nobody in clear
            fake.answer_gate.set()
            rest = await client.until_closed()
            return fake.received, rest, (await settled_text(proxy, recorder)).splitlines()[3:]

    received, rest, lines = run(scenario())
    assert received == [Received(b"STARTTLS\r\n", inside_tls=False)]
    assert rest == b"220 2.0.0 Ready to start TLS\r\n"  # and not one byte after it in clear
    assert lines[0] == "[1] S: 220 2.0.0 Ready to start TLS"
    assert lines[1].startswith("[1] ** échec TLS\u00a0: ")
    assert lines[1].endswith(" (côté client)")
    assert lines[2:] == ["[1] ** fermeture"]


def test_a_failed_client_handshake_is_recorded_and_ends_the_connection(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    stranger = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    trustme.CA(key_type=trustme.KeyType.ECDSA).configure_trust(stranger)

    def distrustful_client(port: int) -> None:
        """Like smtplib with the wrong CA: a blocking socket, which tells the server why."""
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.recv(1024)
            sock.sendall(b"STARTTLS\r\n")
            sock.recv(1024)
            with pytest.raises(ssl.SSLCertVerificationError):
                stranger.wrap_socket(sock, server_hostname=SERVER_NAME)

    async def scenario() -> list[str]:
        async with proxied("submission", lab_tls, recorder) as (proxy, _):
            await asyncio.to_thread(distrustful_client, proxy.port)
            return (await settled_text(proxy, recorder)).splitlines()[3:]

    assert run(scenario()) == [
        "[1] S: 220 2.0.0 Ready to start TLS",
        "[1] ** échec TLS\u00a0: TLSV1_ALERT_UNKNOWN_CA (côté client)",
        "[1] ** fermeture",
    ]


# -- implicit TLS and the PROXY header ----------------------------------------------------------


def test_implicit_tls_is_terminated_and_recorded_before_the_greeting(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[list[str], str, list[Received]]:
        async with proxied("submissions", lab_tls, recorder) as (proxy, fake):
            client = await Client.connect(proxy.port, context=lab_tls.client_context())
            await client.line()
            await client.ask(b"QUIT")
            tls_event = client.tls_event()
            await client.until_closed()
            text = await settled_text(proxy, recorder)
            return text.splitlines(), tls_event, fake.received

    lines, tls_event, received = run(scenario())
    assert lines == [
        "[1] ** ouverture\u00a0: «\u00a0client externe\u00a0» → smtp.example.org:465 (submissions)",
        f"[1] ** {tls_event}",
        "[1] S: 220 smtp.example.org ESMTP",
        "[1] C: QUIT",
        "[1] S: 221 2.0.0 Bye",
        "[1] ** fermeture",
    ]
    assert received == [Received(b"QUIT\r\n", inside_tls=True)]


def test_the_proxy_header_reaches_the_server_but_not_the_transcript(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[list[bytes], int, str]:
        async with proxied("imap", lab_tls, recorder, proxy_protocol=True) as (proxy, fake):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.ask(b"a1 LOGOUT")
            await client.until_closed()
            return fake.headers, client.local_port, await settled_text(proxy, recorder)

    headers, client_port, text = run(scenario())
    assert headers == [
        f"PROXY TCP4 {EXTERNAL_CLIENT_ADDRESS} 198.51.100.143 {client_port} 143\r\n".encode()
    ]
    assert "PROXY" not in text


def test_on_implicit_tls_the_proxy_header_comes_first_inside_tls(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[list[bytes], int]:
        async with proxied("imaps", lab_tls, recorder, proxy_protocol=True) as (proxy, fake):
            client = await Client.connect(proxy.port, context=lab_tls.client_context())
            await client.line()
            client_port = client.local_port
            await client.close()
            await settled_text(proxy, recorder)
            return fake.headers, client_port

    headers, client_port = run(scenario())
    assert headers == [
        f"PROXY TCP4 {EXTERNAL_CLIENT_ADDRESS} 198.51.100.143 {client_port} 993\r\n".encode()
    ]


# -- ends of connections -------------------------------------------------------------------------


def test_a_client_reset_is_recorded_once(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> list[str]:
        async with proxied("pop3", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            client.writer.transport.abort()
            return (await settled_text(proxy, recorder)).splitlines()[1:]

    assert run(scenario()) == ["[1] S: +OK POP3 ready", "[1] ** fermeture"]


def test_a_server_closing_is_recorded_once_and_ends_the_client(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[bytes, int]:
        async with proxied("pop3", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.send(b"QUIT\r\n")
            rest = await client.until_closed()
            text = await settled_text(proxy, recorder)
            return rest, text.count("fermeture")

    assert run(scenario()) == (b"+OK Bye\r\n", 1)


def test_an_unreachable_server_is_recorded_and_the_client_let_go(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder, closed_port: int
) -> None:
    async def scenario() -> tuple[bytes, list[str]]:
        proxy = await start_proxy(
            SERVICES["submission"],
            backend_port=closed_port,
            hostname="smtp.example.org",
            server_address="198.51.100.10",
            tls=lab_tls,
            recorder=recorder,
            host="127.0.0.1",
            port=0,
            proxy_protocol=False,
        )
        try:
            client = await Client.connect(proxy.port)
            rest = await client.until_closed()
            return rest, (await settled_text(proxy, recorder)).splitlines()[1:]
        finally:
            await proxy.close()

    assert run(scenario()) == (b"", ["[1] ** serveur du labo injoignable", "[1] ** fermeture"])


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_drop_connections_ends_a_connection_stuck_in_its_handshake(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[bool, bytes, list[str], list[asyncio.Task[Any]]]:
        async with proxied("submission", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await client.ask(b"STARTTLS")  # and never starts the handshake
            had_tasks = bool(proxy_tasks())
            await proxy.drop_connections()
            rest = await client.until_closed()
            return had_tasks, rest, recorder.snapshot().to_text().splitlines()[3:], proxy_tasks()

    had_tasks, rest, lines, left = run(scenario())
    assert had_tasks
    assert (rest, lines, left) == (
        b"",
        ["[1] S: 220 2.0.0 Ready to start TLS", "[1] ** fermeture"],
        [],
    )


def test_close_stops_listening_and_records_the_end_of_live_connections(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> tuple[list[str], list[asyncio.Task[Any]]]:
        async with proxied("imap", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            await proxy.close()
            with pytest.raises(ConnectionRefusedError):
                await Client.connect(proxy.port)
            await client.until_closed()
            return recorder.snapshot().to_text().splitlines()[1:], proxy_tasks()

    assert run(scenario()) == (["[1] S: * OK IMAP4rev1 ready", "[1] ** fermeture"], [])


def test_wait_idle_reports_a_connection_still_open(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    async def scenario() -> bool:
        async with proxied("pop3", lab_tls, recorder) as (proxy, _):
            client = await Client.connect(proxy.port)
            await client.line()
            idle = await proxy.wait_idle(0.01)
            await client.close()
            return idle

    assert run(scenario()) is False


def test_a_large_transfer_arrives_whole_and_in_order(
    run: Runner, lab_tls: ProviderTLS, recorder: Recorder
) -> None:
    lines = [b"NOOP %06d %s" % (number, b"x" * 200) for number in range(3000)]

    async def scenario() -> tuple[list[bytes], int]:
        async with proxied("submissions", lab_tls, recorder) as (proxy, fake):
            client = await Client.connect(proxy.port, context=lab_tls.client_context())
            await client.line()
            await client.send(b"".join(line + b"\r\n" for line in lines))
            for _ in lines:
                await client.line()
            await client.close()
            text = await settled_text(proxy, recorder)
            return [r.line.rstrip(b"\r\n") for r in fake.received], text.count("\n[1] S: 250")

    assert run(scenario()) == (lines, len(lines))


def test_imap_literal_refused_by_the_server_is_never_counted() -> None:
    watcher = IMAPWatcher()
    watcher.server_line(b"* OK ready\r\n")
    watcher.client_line(b"a1 NOOP {5}\r\n")
    assert watcher.server_line(b"a1 BAD Invalid arguments.\r\n") is None
    assert watcher.client_line(b"s9 STARTTLS\r\n")
    assert watcher.server_line(b"s9 OK Begin TLS\r\n") is Verdict.ACCEPTED


def test_imap_literal_invited_by_the_server_is_counted() -> None:
    watcher = IMAPWatcher()
    watcher.client_line(b"a1 LOGIN {5}\r\n")
    watcher.server_line(b"+ go ahead\r\n")
    assert not watcher.client_line(b"a STARTTLS\r\n")  # "a STA" is the literal: no new command


def test_imap_braces_ending_a_status_response_announce_no_literal() -> None:
    watcher = IMAPWatcher()
    watcher.client_line(b"s9 STARTTLS\r\n")
    assert watcher.server_line(b"* OK echo {5}\r\n") is None
    assert watcher.server_line(b"s9 OK Begin TLS\r\n") is Verdict.ACCEPTED


# -- against the lab's own servers -----------------------------------------------------------

#: (service, what asks for TLS, a command pipelined right after it)
PIPELINED_UPGRADES = [
    ("submission", b"STARTTLS\r\nNOOP\r\n"),
    ("smtp", b"STARTTLS\r\nNOOP\r\n"),
    ("pop3", b"STLS\r\nNOOP\r\n"),
    ("imap", b"s1 STARTTLS\r\ns2 NOOP\r\n"),
]


def read_line(sock: socket.socket) -> bytes:
    """One line, read byte by byte so that nothing after it is taken from the socket."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError(f"fermée après {line!r}")
        line += chunk
    return line


def read_reply(sock: socket.socket, protocol: str) -> bytes:
    """One complete reply: SMTP's last line, POP3's status line, IMAP's tagged line."""
    while True:
        line = read_line(sock)
        if protocol == "smtp" and line[3:4] == b"-":
            continue
        if protocol == "imap" and line.startswith(b"*"):
            continue
        return line


def open_to_upgrade(lab: Lab, service: str) -> socket.socket:
    """Connected to ``service`` of example.com, greeted, ready to ask for TLS."""
    sock = socket.create_connection(lab.endpoint("example.com", service), timeout=TIMEOUT)
    protocol = SERVICES[service].protocol
    read_line(sock)  # the greeting, on one line for every lab server
    if protocol == "smtp":
        sock.sendall(b"EHLO client.example.com\r\n")
        read_reply(sock, protocol)
    return sock


@pytest.mark.parametrize(("service", "request_and_more"), PIPELINED_UPGRADES)
def test_a_command_pipelined_after_the_tls_request_never_hangs_the_handshake(
    lab: Lab, service: str, request_and_more: bytes
) -> None:
    hostname = PROVIDERS["example.com"].hostname_for(SERVICES[service])
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    for attempt in range(50):
        lab.reset()
        with open_to_upgrade(lab, service) as sock:
            sock.settimeout(2.0)  # a hang shows as a handshake time-out, attempt by attempt
            sock.sendall(request_and_more)
            read_reply(sock, SERVICES[service].protocol)
            with context.wrap_socket(sock, server_hostname=hostname) as secured:
                assert secured.version(), f"essai {attempt}"


def test_imap_starttls_after_a_refused_literal_is_recorded_inside_tls(lab: Lab) -> None:
    lab.reset()
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    with open_to_upgrade(lab, "imap") as sock:
        sock.sendall(b"a1 NOOP {5}\r\n")
        assert read_reply(sock, "imap").startswith(b"a1 BAD")
        sock.sendall(b"s9 STARTTLS\r\n")
        assert read_reply(sock, "imap").startswith(b"s9 OK")
        with context.wrap_socket(sock, server_hostname="imap.example.com") as secured:
            secured.sendall(b"a2 NOOP\r\n")
            read_reply(secured, "imap")
    lab.settle(5.0)
    events = [(event.kind, event.text) for event in lab.transcript().events]
    upgraded = [kind for kind, _ in events].index("tls")
    assert ("client", "a2 NOOP") in events[upgraded:]


def test_an_over_long_line_is_kept_cut_and_marked_with_its_size() -> None:
    splitter = LineSplitter(limit=8)
    assert splitter.feed(b"NOOP " + b"x" * 20) == []
    assert splitter.feed(b"xx\r\nQUIT\r\n") == [
        (b"NOOP xxx" + " … tronqué (27 octets)".encode() + b"\r\n", 4),
        (b"QUIT\r\n", 10),
    ]


def test_a_line_without_end_costs_the_splitter_no_more_than_its_limit() -> None:
    splitter = LineSplitter(limit=1024)
    for _ in range(64):
        splitter.feed(b"x" * 65536)
    assert splitter.flush() == b"x" * 1024 + " … tronqué (4194304 octets)".encode()
