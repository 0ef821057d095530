"""Reading a transcript into diagram rows: lifelines, commands, replies, bodies, TLS, DNS."""

from __future__ import annotations

from textwrap import dedent

from labo.render.diagram.participants import RESOLVER, client_lifeline, parse_opening
from labo.render.diagram.steps import Diagram, Step, build_diagram, number_of
from labo.wire.transcript import Recorder, Transcript


def diagram(text: str) -> Diagram:
    return build_diagram(Transcript.from_text(dedent(text).lstrip()))


def kinds(result: Diagram) -> list[str]:
    return [step.kind for step in result.steps]


def arrow(step: Step) -> tuple[str, str, str, str]:
    return (step.kind, step.source.name, step.target.name, step.label)


SMTP = """
    [1] ** ouverture : « ordinateur d'Alice » → smtp.example.com:587 (submission)
    [1] S: 220 smtp.example.com ESMTP
    [1] C: EHLO ordinateur.example.com
    [1] S: 250-smtp.example.com
    [1] S: 250-STARTTLS
    [1] S: 250 SMTPUTF8
    [1] C: STARTTLS
    [1] S: 220 2.0.0 Ready to start TLS
    [1] ** TLS établi : TLSv1.3, TLS_AES_256_GCM_SHA384
    [1] C: MAIL FROM:<alice@example.com>
    [1] C: RCPT TO:<bob@example.org>
    [1] C: DATA
    [1] S: 250 2.1.0 Ok
    [1] S: 250 2.1.5 Ok
    [1] S: 354 End data with <CR><LF>.<CR><LF>
    [1] C: Subject: Bonjour
    [1] C: Bonjour Bob,
    [1] C: Alice
    [1] C: .
    [1] S: 250 2.0.0 Ok: queued as 0000000001
    [1] C: QUIT
    [1] S: 221 2.0.0 Bye
    [1] ** fermeture
"""


def test_an_opening_line_names_the_device_and_the_server() -> None:
    first = diagram(SMTP).steps[0]
    assert arrow(first) == (
        "open",
        "ordinateur d'Alice",
        "smtp.example.com",
        "ouverture\u00a0: 587 (submission)",
    )


def test_the_recorders_own_opening_line_is_understood() -> None:
    recorder = Recorder()
    number = recorder.open("imaps", "téléphone de Bob", "imap.example.org", 993)
    opening = recorder.snapshot().events[0]
    link = parse_opening(number, opening.text)
    assert link is not None and link.info is not None
    assert (link.client.name, link.server.name, link.info.port) == (
        "téléphone de Bob",
        "imap.example.org",
        993,
    )


def test_lifelines_are_listed_in_order_of_appearance() -> None:
    assert [lifeline.name for lifeline in diagram(SMTP).lifelines] == [
        "ordinateur d'Alice",
        "smtp.example.com",
    ]


def test_a_client_line_is_one_command_from_the_device_to_the_server() -> None:
    step = diagram(SMTP).steps[2]
    assert arrow(step) == (
        "command",
        "ordinateur d'Alice",
        "smtp.example.com",
        "EHLO ordinateur.example.com",
    )
    assert step.side == "client"


def test_a_multi_line_smtp_reply_is_one_arrow_back_to_the_device() -> None:
    step = diagram(SMTP).steps[3]
    assert arrow(step) == (
        "reply",
        "smtp.example.com",
        "ordinateur d'Alice",
        "250-smtp.example.com",
    )
    assert step.lines == ("250-smtp.example.com", "250-STARTTLS", "250 SMTPUTF8")


def test_pipelined_smtp_commands_and_replies_keep_one_arrow_each() -> None:
    labels = [step.label for step in diagram(SMTP).steps[7:13]]
    assert labels == [
        "MAIL FROM:<alice@example.com>",
        "RCPT TO:<bob@example.org>",
        "DATA",
        "250 2.1.0 Ok",
        "250 2.1.5 Ok",
        "354 End data with <CR><LF>.<CR><LF>",
    ]


def test_a_message_body_is_one_arrow_with_its_line_count_and_its_ending_dot() -> None:
    (message,) = [step for step in diagram(SMTP).steps if step.kind == "message"]
    assert message.label == "message (3\u00a0lignes)"
    assert message.lines == ("Subject: Bonjour", "Bonjour Bob,", "Alice", ".")
    assert (message.source.name, message.side) == ("ordinateur d'Alice", "client")


def test_tls_start_is_a_row_and_its_span_runs_to_the_closing() -> None:
    result = diagram(SMTP)
    tls = kinds(result).index("tls")
    assert result.steps[tls].label == "TLS établi : TLSv1.3"
    (span,) = result.spans
    assert (span.first, span.last) == (tls, len(result.steps) - 1)
    assert kinds(result)[-1] == "close"


def test_tls_without_a_closing_is_shaded_to_the_last_row() -> None:
    result = diagram(
        """
        [1] ** ouverture : « téléphone de Bob » → imap.example.org:993 (imaps)
        [1] ** TLS établi : TLSv1.3, TLS_AES_256_GCM_SHA384
        [1] S: * OK imap.example.org IMAP ready
        """
    )
    (span,) = result.spans
    assert (span.first, span.last) == (1, 2)


def test_an_imap_reply_ends_on_its_tagged_line_and_is_labelled_by_it() -> None:
    result = diagram(
        """
        [1] ** ouverture : « ordinateur de Bob » → imap.example.org:993 (imaps)
        [1] C: A2 SELECT INBOX
        [1] S: * 1 EXISTS
        [1] S: * OK [UIDVALIDITY 1772442000] UIDs valid.
        [1] S: A2 OK [READ-WRITE] Selected mailbox.
        [1] S: * 2 EXISTS
        """
    )
    assert [(step.kind, step.label, len(step.lines)) for step in result.steps[1:]] == [
        ("command", "A2 SELECT INBOX", 1),
        ("reply", "A2 OK [READ-WRITE] Selected mailbox.", 3),
        ("reply", "* 2 EXISTS", 1),
    ]


def test_an_imap_literal_is_folded_into_a_message_between_its_fetch_lines() -> None:
    body = ["Subject: Bonjour", "", "Bonjour Bob,"]
    size = sum(len(line) + 2 for line in body)
    lines = "\n".join(f"[1] S: {line}" for line in body)
    result = diagram(
        "[1] ** ouverture : « ordinateur de Bob » → imap.example.org:993 (imaps)\n"
        "[1] C: A3 FETCH 1 (BODY.PEEK[])\n"
        f"[1] S: * 1 FETCH (BODY[] {{{size}}}\n{lines}\n[1] S: )\n"
        "[1] S: A3 OK Fetch completed.\n"
    )
    assert [(step.kind, step.label) for step in result.steps[2:]] == [
        ("reply", f"* 1 FETCH (BODY[] {{{size}}}"),
        ("message", "message (3\u00a0lignes)"),
        ("reply", "A3 OK Fetch completed."),
    ]


def test_a_pop3_answer_is_every_line_before_the_client_speaks_again() -> None:
    result = diagram(
        """
        [1] ** ouverture : « ordinateur de Bob » → pop.example.org:995 (pop3s)
        [1] S: +OK POP3 ready
        [1] C: CAPA
        [1] S: +OK
        [1] S: USER
        [1] S: .
        [1] C: QUIT
        """
    )
    assert [(step.kind, len(step.lines)) for step in result.steps[1:]] == [
        ("reply", 1),
        ("command", 1),
        ("reply", 3),
        ("command", 1),
    ]


DNS = """
    [1] ** ouverture : « ordinateur d'Alice » → smtp.example.com:587 (submission)
    [2] ** requête DNS : « MSA d'example.com » → résolveur du labo (udp/53)
    [2] C: 102.113.0.203.in-addr.arpa. IN PTR ?
    [2] S: NXDOMAIN (nom inexistant)
    [1] S: 220 smtp.example.com ESMTP
    [3] ** requête DNS : « MX d'example.org » → résolveur du labo (udp/53)
    [3] C: example.com. IN TXT ?
    [3] S: example.com. 3600 IN TXT "v=spf1 ip4:192.0.2.10 -all"
"""


def test_a_dns_lookup_is_a_query_and_an_answer_on_the_resolver_lifeline() -> None:
    steps = diagram(DNS).steps
    assert [arrow(step) for step in steps[1:3]] == [
        ("command", "smtp.example.com", RESOLVER, "102.113.0.203.in-addr.arpa. IN PTR ?"),
        ("reply", RESOLVER, "smtp.example.com", "NXDOMAIN (nom inexistant)"),
    ]


def test_the_resolver_lifeline_comes_last() -> None:
    names = [lifeline.name for lifeline in diagram(DNS).lifelines]
    assert names == ["ordinateur d'Alice", "smtp.example.com", "mx.example.org", RESOLVER]


def test_a_providers_servers_share_the_lifeline_of_the_host_they_run_on() -> None:
    names = [client_lifeline(label).name for label in ("MSA d'example.com", "MTA d'example.com")]
    assert names == ["smtp.example.com", "smtp.example.com"]
    assert client_lifeline("MX d'example.org").name == "mx.example.org"
    assert client_lifeline("MTA d'ailleurs.test").name == "MTA d'ailleurs.test"


def test_rows_show_connection_numbers_when_connections_interleave() -> None:
    result = diagram(DNS)
    assert [number_of(result, step) for step in result.steps[:3]] == ["[1]", "[2]", "[2]"]


def test_only_openings_tls_and_closings_show_numbers_when_connections_follow_each_other() -> None:
    result = diagram(SMTP)
    numbers = {step.kind: number_of(result, step) for step in result.steps}
    assert numbers == {
        "open": "[1]",
        "tls": "[1]",
        "close": "[1]",
        "command": "",
        "reply": "",
        "message": "",
    }


def test_a_note_is_a_row_of_its_own() -> None:
    result = diagram(
        """
        [1] ** ouverture : « ordinateur de Bob » → imap.example.org:993 (imaps)
        [1] ** échec TLS : TLSV1_ALERT_UNKNOWN_CA (côté client)
        """
    )
    assert arrow(result.steps[1]) == (
        "note",
        "ordinateur de Bob",
        "imap.example.org",
        "échec TLS : TLSV1_ALERT_UNKNOWN_CA (côté client)",
    )


def test_lines_before_any_opening_get_placeholder_lifelines() -> None:
    result = diagram("[4] C: NOOP\n[4] S: 250 Ok\n")
    assert [lifeline.name for lifeline in result.lifelines] == ["client", "serveur"]
    assert kinds(result) == ["command", "reply"]


def test_a_live_transcript_and_its_approved_text_give_the_same_diagram() -> None:
    recorder = Recorder()
    number = recorder.open("pop3s", "téléphone de Bob", "pop.example.org", 995)
    recorder.tls(number, "TLSv1.3", "TLS_AES_256_GCM_SHA384")
    recorder.line(number, "server", b"+OK POP3 ready")
    recorder.line(number, "client", b"RETR 1")
    for line in (b"+OK 40 octets", b"Subject: Bonjour", b"", b"Bonjour Bob,", b"."):
        recorder.line(number, "server", line)
    recorder.close(number)
    live = recorder.snapshot()
    assert build_diagram(live) == build_diagram(Transcript.from_text(live.to_text()))
    assert "message" in kinds(build_diagram(live))
