"""The MTA hop: mail submitted for the other lab domain is relayed to that domain's MX."""

from __future__ import annotations

import email
import smtplib
import ssl
from collections.abc import Iterator

import pytest

from labo import netmap
from labo.identity import user_by_address
from labo.lab import Lab
from labo.wire.transcript import Transcript

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


def submit(lab: Lab, recipients: list[str]) -> Transcript:
    message = (
        b"From: alice@example.com\r\nSubject: Essai\r\nMessage-ID: <relais@example.com>\r\n"
        b"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\n\r\nBonjour\r\n"
    )
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="poste.example.com") as client:
        client.starttls(context=ssl.create_default_context())
        client.login("alice@example.com", "alice-secret")
        client.sendmail("alice@example.com", recipients, message)
    lab.settle(2.0)
    return lab.transcript()


def opened(transcript: Transcript) -> list[str]:
    return [event.text for event in transcript.events if event.kind == "open"]


def test_mail_for_the_other_domain_goes_through_its_mx_on_port_25(fresh: Lab) -> None:
    transcript = submit(fresh, ["bob@example.org"])
    assert len(opened(transcript)) == 2
    assert "«\u00a0MTA d'example.com\u00a0» → mx.example.org:25 (smtp)" in opened(transcript)[1]


def test_the_relay_happens_before_the_submission_is_acknowledged(fresh: Lab) -> None:
    lines = submit(fresh, ["bob@example.org"]).to_text().splitlines()
    relay_closed = lines.index("[2] ** fermeture")
    acknowledged = next(i for i, line in enumerate(lines) if line.startswith("[1] S: 250 2.0.0"))
    assert relay_closed < acknowledged


def test_the_relay_uses_starttls_and_no_authentication(fresh: Lab) -> None:
    relay = [e.text for e in submit(fresh, ["bob@example.org"]).events if e.connection == 2]
    assert "STARTTLS" in relay
    assert not any(text.upper().startswith("AUTH") for text in relay)


def test_the_delivered_message_carries_one_received_header_per_hop(fresh: Lab) -> None:
    submit(fresh, ["bob@example.org"])
    [stored] = fresh.store_of(BOB).messages(BOB)
    message = email.message_from_bytes(stored.read())
    hops = message.get_all("Received")
    assert len(hops) == 2
    assert "with ESMTPS id" in hops[0]  # the MX: TLS, no authentication
    assert "with ESMTPSA id" in hops[1]  # the MSA: TLS and authenticated
    assert message["Return-Path"] == "<alice@example.com>"


def test_mail_for_the_senders_own_domain_is_not_relayed(fresh: Lab) -> None:
    transcript = submit(fresh, ["alice@example.com"])
    assert len(opened(transcript)) == 1
    assert len(fresh.store_of(ALICE).messages(ALICE)) == 1


def test_recipients_in_both_domains_get_one_copy_each(fresh: Lab) -> None:
    transcript = submit(fresh, ["alice@example.com", "bob@example.org"])
    assert len(opened(transcript)) == 2
    assert len(fresh.store_of(ALICE).messages(ALICE)) == 1
    assert len(fresh.store_of(BOB).messages(BOB)) == 1
