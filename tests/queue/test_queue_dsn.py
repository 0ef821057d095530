"""The non-delivery report: a well-formed RFC 3464 multipart/report, the same bytes every run."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage

import pytest
from queue_fakes import MESSAGE, REPORTING_HOST, parse_report, report_fields

from labo.clock import EPOCH
from labo.queue import MailQueue, QueueEntry, build_report

UNKNOWN = "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
DATE = EPOCH + timedelta(minutes=1)


@pytest.fixture
def entry(queue: MailQueue) -> QueueEntry:
    return queue.enqueue("alice@example.com", ["bob@example.org", "nobody@example.org"], MESSAGE)


@pytest.fixture
def report(entry: QueueEntry) -> bytes:
    """The report on ``nobody@example.org``, refused by mx.example.org with a 550 5.1.1."""
    failed = replace(
        entry.recipients[1], status="bounced", reply=UNKNOWN, remote_mta="mx.example.org"
    )
    return build_report(entry, [failed], original=MESSAGE, reporting_host=REPORTING_HOST, date=DATE)


def test_the_report_is_a_multipart_report_of_type_delivery_status(report: bytes) -> None:
    message = parse_report(report)
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]


def test_the_report_comes_from_the_mailer_daemon_to_the_sender(report: bytes) -> None:
    message = parse_report(report)
    assert message["From"] == f"Mail Delivery System <MAILER-DAEMON@{REPORTING_HOST}>"
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Undelivered Mail Returned to Sender"
    assert message["Auto-Submitted"] == "auto-replied"


def test_date_message_id_and_boundary_come_from_the_lab_clock_and_queue_id(
    report: bytes, entry: QueueEntry
) -> None:
    message = parse_report(report)
    stamp = f"{entry.id}.{int(DATE.timestamp())}"
    assert message["Date"] == "Mon, 02 Mar 2026 09:01:00 +0000"
    assert message["Message-ID"] == f"<{stamp}@{REPORTING_HOST}>"
    assert message.get_boundary() == f"{stamp}/{REPORTING_HOST}"


def test_the_per_message_fields_name_the_reporting_mta_and_arrival(report: bytes) -> None:
    per_message = report_fields(report)[0]
    assert per_message["Reporting-MTA"] == f"dns; {REPORTING_HOST}"
    assert per_message["Arrival-Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"


def test_only_the_failed_recipient_is_named(report: bytes) -> None:
    assert [block.get("Final-Recipient") for block in report_fields(report)[1:]] == [
        "rfc822; nobody@example.org"
    ]


def test_the_returned_part_holds_the_original_headers_and_not_the_body(report: bytes) -> None:
    returned = _parts(report)[2].get_payload()
    assert "Subject: Rendez-vous" in returned
    assert "Bonjour Bob" not in returned


def test_the_explanation_is_in_french_and_english_with_the_reply(report: bytes) -> None:
    text = _parts(report)[0].get_content()
    assert "<nobody@example.org>\u00a0: l’hôte mx.example.org a répondu\u00a0: 550 5.1.1" in text
    assert "<nobody@example.org>: host mx.example.org said: 550 5.1.1" in text


def test_every_line_ends_in_crlf(report: bytes) -> None:
    assert report.endswith(b"\r\n")
    assert b"\n" not in report.replace(b"\r\n", b"")


def test_no_line_is_longer_than_78_characters(report: bytes) -> None:
    assert max(len(line) for line in report.split(b"\r\n")) <= 78


def test_the_same_entry_gives_the_same_bytes(entry: QueueEntry, report: bytes) -> None:
    failed = replace(
        entry.recipients[1], status="bounced", reply=UNKNOWN, remote_mta="mx.example.org"
    )
    again = build_report(
        entry, [failed], original=MESSAGE, reporting_host=REPORTING_HOST, date=DATE
    )
    assert again == report


def test_an_expired_recipient_is_explained_as_such(entry: QueueEntry) -> None:
    expired = replace(
        entry.recipients[0], status="bounced", reply="421 4.4.2 timeout", expired=True
    )
    raw = build_report(entry, [expired], original=MESSAGE, reporting_host=REPORTING_HOST, date=DATE)
    text = _parts(raw)[0].get_content()
    assert "<bob@example.org>\u00a0: message resté 5\u00a0jours dans la file" in text
    assert "could not be delivered for 5 days" in text
    assert report_fields(raw)[1]["Status"] == "4.4.2"


def test_a_failure_without_a_reply_is_diagnosed_in_the_mta_s_own_words(entry: QueueEntry) -> None:
    refused = "connect to mail.example.net[203.0.113.25]:25: Connection refused"
    expired = replace(
        entry.recipients[0], status="bounced", reply=refused, enhanced="4.4.1", expired=True
    )
    raw = build_report(entry, [expired], original=MESSAGE, reporting_host=REPORTING_HOST, date=DATE)
    fields = report_fields(raw)[1]
    assert (fields["Status"], fields["Diagnostic-Code"], "Remote-MTA" in fields) == (
        "4.4.1",
        f"X-Postfix; {refused}",
        False,
    )


@pytest.fixture
def said_report(entry: QueueEntry) -> bytes:
    """The report on ``nobody@example.org``, refused at RCPT TO by mx.example.org."""
    failed = replace(
        entry.recipients[1],
        status="bounced",
        reply=UNKNOWN,
        remote_mta="mx.example.org",
        remote_address="198.51.100.25",
        in_reply_to="RCPT TO command",
    )
    return build_report(entry, [failed], original=MESSAGE, reporting_host=REPORTING_HOST, date=DATE)


def test_a_refusal_is_explained_as_postfix_says_who_refused_and_to_what(
    said_report: bytes,
) -> None:
    text = _unwrapped(_parts(said_report)[0].get_content())
    assert (
        "<nobody@example.org>: host mx.example.org[198.51.100.25] said: "
        f"{UNKNOWN} (in reply to RCPT TO command)"
    ) in text


def test_a_refusal_is_explained_in_french_too(said_report: bytes) -> None:
    text = _unwrapped(_parts(said_report)[0].get_content())
    assert (
        "<nobody@example.org>\u00a0: l’hôte mx.example.org[198.51.100.25] a répondu\u00a0: "
        f"{UNKNOWN} (en réponse à la commande RCPT TO)"
    ) in text


def test_a_refusal_s_diagnostic_is_the_bare_reply_from_the_remote_mta(said_report: bytes) -> None:
    fields = report_fields(said_report)[1]
    assert (fields["Remote-MTA"], fields["Diagnostic-Code"]) == (
        "dns; mx.example.org",
        f"smtp; {UNKNOWN}",
    )


def _unwrapped(text: str) -> str:
    """The explanation with its wrapped reasons joined back (continuations are indented)."""
    return re.sub(r"\r?\n +", " ", text)


def _parts(raw: bytes) -> list[EmailMessage]:
    return list(parse_report(raw).iter_parts())  # type: ignore[arg-type]
