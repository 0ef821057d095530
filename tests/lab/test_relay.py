"""The MTA hop: mail submitted for the other lab domain is queued, then relayed to its MX.

The MSA answers ``queued as`` and the MTA of the sender's provider delivers once the client's
connection has closed: found through DNS (MX, then A), the other provider's MX on port 25.
"""

from __future__ import annotations

import email
import re
import smtplib
import ssl
from collections.abc import Iterator

import pytest

from labo import netmap
from labo.identity import user_by_address
from labo.lab import Lab
from labo.wire.transcript import DNS_SERVICE, Transcript

BOB = user_by_address("bob@example.org")
ALICE = user_by_address("alice@example.com")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab() as started, netmap.routed_to(started):
        yield started


@pytest.fixture
def fresh(lab: Lab) -> Lab:
    lab.reset()
    return lab


def submit(lab: Lab, recipients: list[str], mail_options: tuple[str, ...] = ()) -> Transcript:
    message = (
        b"From: alice@example.com\r\nSubject: Essai\r\nMessage-ID: <relais@example.com>\r\n"
        b"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\n\r\nBonjour\r\n"
    )
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="poste.example.com") as client:
        client.starttls(context=ssl.create_default_context())
        client.login("alice@example.com", "alice-secret")
        client.sendmail("alice@example.com", recipients, message, mail_options=list(mail_options))
    lab.settle(2.0)
    return lab.transcript()


def mail_connections(transcript: Transcript) -> list[int]:
    """The numbers of the SMTP connections, in the order they opened (DNS lookups left out)."""
    return sorted(n for n, info in transcript.connections.items() if info.service != DNS_SERVICE)


def opened(transcript: Transcript) -> list[str]:
    """What the transcript says as each SMTP connection opens."""
    numbers = mail_connections(transcript)
    return [e.text for e in transcript.events if e.kind == "open" and e.connection in numbers]


def relay_number(transcript: Transcript) -> int:
    """The connection of the MTA hop: the second SMTP connection, after the client's."""
    _client, relay = mail_connections(transcript)
    return relay


def relay_mail_command(transcript: Transcript) -> str:
    """The MTA's ``MAIL FROM`` to the next hop: ``mail FROM:<…> size=… [parameters]``."""
    relay = relay_number(transcript)
    return next(
        e.text
        for e in transcript.events
        if e.connection == relay and e.kind == "client" and e.text.lower().startswith("mail ")
    )


def test_mail_for_the_other_domain_goes_through_its_mx_on_port_25(fresh: Lab) -> None:
    assert opened(submit(fresh, ["bob@example.org"])) == [
        "ouverture\u00a0: «\u00a0client\u00a0» → smtp.example.com:587 (submission)",
        "ouverture\u00a0: «\u00a0MTA d’example.com\u00a0» → mx.example.org:25 (smtp)",
    ]


def test_the_mta_finds_the_other_domains_mx_through_dns(fresh: Lab) -> None:
    transcript = submit(fresh, ["bob@example.org"])
    lookups = {
        number
        for number, info in transcript.connections.items()
        if info.service == DNS_SERVICE and info.client == "MTA d’example.com"
    }
    questions = [
        e.text for e in transcript.events if e.kind == "client" and e.connection in lookups
    ]
    assert questions == ["example.org. IN MX ?", "mx.example.org. IN A ?"]


def test_the_relay_opens_only_once_the_submission_is_queued_and_closed(fresh: Lab) -> None:
    transcript = submit(fresh, ["bob@example.org"])
    lines = transcript.to_text().splitlines()
    queued = lines.index("[1] S: 250 2.0.0 Ok: queued as 0000000001")
    closed = lines.index("[1] ** fermeture")
    relay_opened = next(
        i for i, line in enumerate(lines) if line.startswith(f"[{relay_number(transcript)}] ** ouv")
    )
    assert queued < closed < relay_opened


def test_the_relay_uses_starttls_and_no_authentication(fresh: Lab) -> None:
    transcript = submit(fresh, ["bob@example.org"])
    relay = [e.text for e in transcript.events if e.connection == relay_number(transcript)]
    assert "STARTTLS" in relay
    assert not any(text.upper().startswith("AUTH") for text in relay)


def test_the_delivered_message_carries_one_received_header_per_hop(fresh: Lab) -> None:
    submit(fresh, ["bob@example.org"])
    [stored] = fresh.store_of(BOB).messages(BOB)
    message = email.message_from_bytes(stored.read())
    hops = message.get_all("Received")
    assert len(hops) == 3
    assert "with LMTP" in hops[0]  # the final delivery, as Dovecot stamps it
    assert "with ESMTPS id" in hops[1]  # the MX: TLS, no authentication
    assert "with ESMTPSA id" in hops[2]  # the MSA: TLS and authenticated
    assert message["Return-Path"] == "<alice@example.com>"


def test_the_mx_checks_sit_above_its_received_and_the_msa_signature_below_its_own(
    fresh: Lab,
) -> None:
    submit(fresh, ["bob@example.org"])
    [stored] = fresh.store_of(BOB).messages(BOB)
    message = email.message_from_bytes(stored.read())
    assert message.keys()[:7] == [
        "Return-Path",
        "Delivered-To",
        "Received",
        "Authentication-Results",
        "Received",
        "Received",
        "DKIM-Signature",
    ]
    assert "dmarc=pass" in message["Authentication-Results"]


def test_a_message_submitted_with_smtputf8_is_relayed_with_smtputf8(fresh: Lab) -> None:
    transcript = submit(fresh, ["bob@example.org"], mail_options=("SMTPUTF8",))
    assert relay_mail_command(transcript).split()[3:] == ["SMTPUTF8"]


def test_a_message_submitted_without_smtputf8_is_relayed_without_it(fresh: Lab) -> None:
    transcript = submit(fresh, ["bob@example.org"])
    assert relay_mail_command(transcript).split()[3:] == []


def test_each_hop_of_a_smtputf8_message_says_utf8smtp_in_its_received_field(fresh: Lab) -> None:
    submit(fresh, ["bob@example.org"], mail_options=("SMTPUTF8",))
    [stored] = fresh.store_of(BOB).messages(BOB)
    hops = email.message_from_bytes(stored.read()).get_all("Received")
    assert ("with UTF8SMTPS id" in hops[1], "with UTF8SMTPSA id" in hops[2]) == (True, True)


def test_mail_for_the_senders_own_domain_is_not_relayed(fresh: Lab) -> None:
    transcript = submit(fresh, ["alice@example.com"])
    assert len(mail_connections(transcript)) == 1
    assert len(fresh.store_of(ALICE).messages(ALICE)) == 1


def test_recipients_in_both_domains_get_one_copy_each(fresh: Lab) -> None:
    transcript = submit(fresh, ["alice@example.com", "bob@example.org"])
    assert len(mail_connections(transcript)) == 2
    assert len(fresh.store_of(ALICE).messages(ALICE)) == 1
    assert len(fresh.store_of(BOB).messages(BOB)) == 1


def test_mail_for_an_unknown_domain_bounces_back_to_the_sender(fresh: Lab) -> None:
    transcript = submit(fresh, ["dave@nowhere.test"])
    [stored] = fresh.store_of(ALICE).messages(ALICE)
    report = email.message_from_bytes(stored.read())
    assert (len(mail_connections(transcript)), report["Return-Path"], report["Subject"]) == (
        1,
        "<>",
        "Undelivered Mail Returned to Sender",
    )


def report_of(lab: Lab) -> str:
    """Alice's one message, a non-delivery report, with its folded lines joined back."""
    [stored] = lab.store_of(ALICE).messages(ALICE)
    return re.sub(r"\r\n[ \t]+", " ", stored.read().decode("ascii"))


def dns_questions(transcript: Transcript) -> list[str]:
    """The questions the MTA of example.com asked the DNS, in order."""
    lookups = {
        number
        for number, info in transcript.connections.items()
        if info.service == DNS_SERVICE and info.client == "MTA d’example.com"
    }
    return [e.text for e in transcript.events if e.kind == "client" and e.connection in lookups]


def test_without_an_mx_the_mta_asks_for_the_domains_address_as_postfix_does(fresh: Lab) -> None:
    transcript = submit(fresh, ["dave@nowhere.test"])
    assert dns_questions(transcript) == ["nowhere.test. IN MX ?", "nowhere.test. IN A ?"]


def test_an_unknown_domain_bounces_with_postfix_s_dns_error_and_status_5_4_4(fresh: Lab) -> None:
    submit(fresh, ["dave@nowhere.test"])
    report = report_of(fresh)
    assert (
        "Final-Recipient: rfc822; dave@nowhere.test\r\nAction: failed\r\nStatus: 5.4.4\r\n"
        "Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error "
        "for name=nowhere.test type=A: Host not found\r\n"
    ) in report


def test_a_refusal_by_the_other_mx_is_reported_with_its_reply_and_who_said_it(
    fresh: Lab,
) -> None:
    submit(fresh, ["inconnu@example.org"])
    report = report_of(fresh)
    reply = (
        "550 5.1.1 <inconnu@example.org>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    assert (
        f"Remote-MTA: dns; mx.example.org\r\nDiagnostic-Code: smtp; {reply}\r\n" in report,
        "<inconnu@example.org>: host mx.example.org[198.51.100.25] said: "
        f"{reply} (in reply to RCPT TO command)" in report,
    ) == (True, True)


def test_the_final_delivery_is_stamped_as_dovecot_stamps_an_lmtp_delivery(fresh: Lab) -> None:
    submit(fresh, ["bob@example.org"])
    [stored] = fresh.store_of(BOB).messages(BOB)
    stamp = stored.read().split(b"\r\n")[2:7]
    assert re.fullmatch(
        rb"Received: from mx\.example\.org \(\[198\.51\.100\.25\]\)"
        rb"\n\tby imap\.example\.org with LMTP"
        rb"\n\tid [A-Za-z0-9+/]{22}"
        rb"\n\t\(envelope-from <alice@example\.com>\)"
        rb"\n\tfor <bob@example\.org>; Mon, 02 Mar 2026 09:00:\d\d \+0000",
        b"\n".join(stamp),
    )
