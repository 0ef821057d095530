"""The MTAs of both providers end to end: nothing submitted is lost, each message is delivered
or comes back to its sender, and a message nobody can take waits, then expires."""

from __future__ import annotations

import smtplib
import ssl
from email import message_from_bytes

from labo import avancer_horloge, file_attente
from labo.identity import USERS, User
from labo.lab import Lab

ALICE, BOB = USERS


def submit(recipient: str, number: int) -> None:
    """Alice's mail program: one message on 587, STARTTLS and AUTH first."""
    message = (
        f"From: alice@example.com\r\nTo: {recipient}\r\nSubject: Essai {number}\r\n"
        f"Message-ID: <{number}@example.com>\r\n\r\nBonjour\r\n"
    ).encode()
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="o.example.com") as smtp:
        smtp.starttls(context=ssl.create_default_context())
        smtp.login(ALICE.login, ALICE.password)
        assert smtp.sendmail(ALICE.address, [recipient], message) == {}


def inbox(lab: Lab, user: User) -> list[bytes]:
    return [message.read() for message in lab.store_of(user).messages(user)]


def queued(lab: Lab) -> int:
    return sum(len(context.mta.queue.entries()) for context in lab.contexts.values() if context.mta)


def test_every_submitted_message_is_delivered_or_bounced_once(lab_routed: Lab) -> None:
    recipients = ["bob@example.org", "inconnu@example.org", "dave@nulle-part.test"] * 4
    for number, recipient in enumerate(recipients):
        submit(recipient, number)
    lab_routed.flush_queues()
    delivered = inbox(lab_routed, BOB)
    bounced = inbox(lab_routed, ALICE)
    assert (len(delivered), len(bounced), queued(lab_routed)) == (4, 8, 0)
    subjects = sorted(message_from_bytes(m)["Subject"] for m in delivered)
    assert subjects == sorted(f"Essai {n}" for n in range(0, 12, 3))
    for report in bounced:
        assert report.startswith(b"Return-Path: <>\r\n")
        assert message_from_bytes(report).get_content_type() == "multipart/report"


def test_a_bounce_names_the_refusal_of_the_recipients_mx(lab_routed: Lab) -> None:
    submit("inconnu@example.org", 1)
    lab_routed.flush_queues()
    [report] = inbox(lab_routed, ALICE)
    assert b"Status: 5.1.1" in report
    assert b"Remote-MTA: dns; mx.example.org" in report


def test_mail_for_a_server_that_does_not_answer_waits_in_the_queue(lab_routed: Lab) -> None:
    submit("dave@example.net", 1)
    lab_routed.flush_queues()
    listing = file_attente("example.com")
    assert "alice@example.com" in listing
    assert "connect to mail.example.net[203.0.113.25]:25: Connection refused" in listing
    assert "dave@example.net" in listing
    assert inbox(lab_routed, ALICE) == []


def test_the_queue_gives_no_reply_code_for_a_server_that_never_replied(lab_routed: Lab) -> None:
    submit("dave@example.net", 1)
    lab_routed.flush_queues()
    reason = file_attente("example.com").splitlines()[2]
    assert reason.strip() == "(connect to mail.example.net[203.0.113.25]:25: Connection refused)"


def test_a_retry_that_fails_again_leaves_the_message_queued(lab_routed: Lab) -> None:
    submit("dave@example.net", 1)
    lab_routed.flush_queues()
    avancer_horloge(minutes=10)
    assert queued(lab_routed) == 1
    assert inbox(lab_routed, ALICE) == []


def test_an_hour_of_clock_runs_every_retry_due_within_it(lab_routed: Lab) -> None:
    submit("dave@example.net", 1)
    lab_routed.flush_queues()
    avancer_horloge(heures=1)
    questions = [e.text for e in lab_routed.transcript().events if e.text == "example.net. IN MX ?"]
    assert len(questions) == 4  # the first attempt, then retries after 5, 15 and 35 minutes


def test_a_message_still_queued_after_five_days_bounces(lab_routed: Lab) -> None:
    submit("dave@example.net", 1)
    lab_routed.flush_queues()
    avancer_horloge(jours=5, heures=2)  # to the first retry past the lifetime
    assert queued(lab_routed) == 0
    [report] = inbox(lab_routed, ALICE)
    assert b"Status: 4.4.1" in report
    assert file_attente("example.com").strip() == "Mail queue is empty"


def test_the_bounce_for_an_unreachable_server_has_the_mta_s_own_diagnostic(
    lab_routed: Lab,
) -> None:
    submit("dave@example.net", 1)
    lab_routed.flush_queues()
    avancer_horloge(jours=5, heures=2)  # to the first retry past the lifetime
    [report] = inbox(lab_routed, ALICE)
    assert (
        b"Diagnostic-Code: X-Postfix; connect to mail.example.net[203.0.113.25]:25:\r\n" in report
    )
