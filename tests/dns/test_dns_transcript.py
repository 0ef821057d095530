"""Each lookup in the transcript: its own numbered exchange, readable, parsed back, rendered."""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest

from labo.dns import DnsServer, LabResolver, configure_default_resolver, forget_default_resolver
from labo.render.bodies import message_bodies
from labo.render.lines import render_lines
from labo.wire.labels import appareil
from labo.wire.transcript import DNS_SERVICE, ConnectionInfo, Event, Recorder, Transcript

ONE_LOOKUP = (
    "[1] ** requête DNS\u00a0: «\u00a0MTA d'example.com\u00a0» → résolveur du labo (udp/53)\n"
    "[1] C: example.org. IN MX ?\n"
    "[1] S: example.org. 3600 IN MX 10 mx.example.org.\n"
)


def test_one_lookup_reads_as_question_and_answer(resolver: LabResolver, recorder: Recorder) -> None:
    resolver.mx_hosts("example.org")
    assert recorder.snapshot().to_text() == ONE_LOOKUP


def test_two_lookups_are_numbered_in_order(resolver: LabResolver, recorder: Recorder) -> None:
    resolver.addresses("mx.example.org")
    resolver.ptr("203.0.113.101")
    lines = recorder.snapshot().to_text().splitlines()
    assert [line for line in lines if " C: " in line or " S: " in line] == [
        "[1] C: mx.example.org. IN A ?",
        "[1] S: mx.example.org. 3600 IN A 198.51.100.25",
        "[2] C: 101.113.0.203.in-addr.arpa. IN PTR ?",
        "[2] S: NXDOMAIN (nom inexistant)",
    ]


def test_a_name_without_the_type_asked_reads_as_nodata(
    resolver: LabResolver, recorder: Recorder
) -> None:
    resolver.addresses("example.com")
    last = recorder.snapshot().to_text().splitlines()[-1]
    assert last == "[1] S: NOERROR, aucun enregistrement A (NODATA)"


def test_a_lookup_retried_over_tcp_shows_both_exchanges(
    resolver: LabResolver, recorder: Recorder
) -> None:
    resolver.txt("labo2026._domainkey.example.com")
    opening = [e.text for e in recorder.snapshot().events if e.kind == "open"]
    assert [text[-8:] for text in opening] == ["(udp/53)", "(tcp/53)"]


def test_the_text_form_parses_back_to_the_same_events(
    resolver: LabResolver, recorder: Recorder
) -> None:
    resolver.mx_hosts("mail.example.net")
    recorded = recorder.snapshot()
    parsed = Transcript.from_text(recorded.to_text())
    assert parsed.events == recorded.events


@pytest.fixture
def default_resolver(server: DnsServer) -> Iterator[None]:
    configure_default_resolver("127.0.0.1", server.port)
    yield
    forget_default_resolver()


@pytest.mark.usefixtures("default_resolver")
def test_an_example_lookup_carries_the_device_label(recorder: Recorder) -> None:
    with appareil("ordinateur d'Alice"):
        dns.resolver.resolve("example.com", "TXT")
    first = recorder.snapshot().events[0].text
    assert first.startswith("requête DNS\u00a0: «\u00a0ordinateur d'Alice\u00a0»")


def test_a_lookup_renders_as_an_opening_badge_and_dialogue_lines(
    resolver: LabResolver, recorder: Recorder
) -> None:
    resolver.mx_hosts("example.org")
    html = render_lines(recorder.snapshot().events, numbered=False)
    assert html.count("labo-line--open") == 1
    assert "labo-line--client" in html
    assert "labo-line--server" in html


def test_a_dns_exchange_has_no_message_body_even_if_a_line_looks_like_a_literal() -> None:
    events = [
        Event(1, "open", "requête DNS"),
        Event(1, "client", "x.example.com. IN TXT ?"),
        Event(1, "server", 'x.example.com. 3600 IN TXT "a"'),
        Event(1, "server", "x.example.com. 3600 IN TXT {4}"),  # an IMAP literal's look
        Event(1, "server", "ab"),
    ]
    info = ConnectionInfo(1, DNS_SERVICE, "client", "résolveur du labo", 53)
    assert message_bodies(Transcript(events, {1: info})) == [None] * 5
