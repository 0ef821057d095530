"""A dict-backed DNS zone with the lab's real records, and a guard that no real DNS is asked.

The zone holds what the lab's DNS publishes: SPF for the three domains, DMARC (reject for the
two providers, none for the outsider) and the providers' DKIM keys.
"""

from __future__ import annotations

import socket
from datetime import datetime

import dns.resolver
import pytest
import spf
from senderauth_zone import RecordingLookup, Zone

from labo.clock import EPOCH
from labo.identity import ALICE, BOB, OUTSIDER, PROVIDERS
from labo.senderauth.keys import dkim_txt_records
from labo.senderauth.sign import sign


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("a sender check tried to use the network")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket use or default-resolver query fails the test instead of leaving the machine."""
    for name in ("connect", "connect_ex", "sendto", "send"):
        monkeypatch.setattr(socket.socket, name, _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    monkeypatch.setattr(dns.resolver, "resolve", _refuse)
    monkeypatch.setattr(spf, "DNSLookup", _refuse)


@pytest.fixture
def zone() -> Zone:
    com, org = PROVIDERS["example.com"], PROVIDERS["example.org"]
    records: Zone = {
        "example.com": [f"v=spf1 ip4:{com.host('smtp').address} -all"],
        "example.org": [f"v=spf1 ip4:{org.host('smtp').address} -all"],
        "example.net": [f"v=spf1 ip4:{OUTSIDER.address} -all"],
        "_dmarc.example.com": ["v=DMARC1; p=reject"],
        "_dmarc.example.org": ["v=DMARC1; p=reject"],
        "_dmarc.example.net": ["v=DMARC1; p=none"],
    }
    records.update({name: [text] for name, text in dkim_txt_records().items()})
    return records


@pytest.fixture
def lookup(zone: Zone) -> RecordingLookup:
    return RecordingLookup(zone)


@pytest.fixture
def empty_lookup() -> RecordingLookup:
    """A DNS where no name exists."""
    return RecordingLookup({})


@pytest.fixture
def when() -> datetime:
    return EPOCH


@pytest.fixture
def message() -> bytes:
    """Alice writes to Bob, with the explicit Date and Message-ID examples use."""
    return (
        f"From: {ALICE.display_name} <{ALICE.address}>\r\n"
        f"To: {BOB.display_name} <{BOB.address}>\r\n"
        "Subject: Rendez-vous\r\n"
        "Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
        "Message-ID: <rdv-1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Bonjour Bob, on se voit à 10 h ?\r\n"
    ).encode()


@pytest.fixture
def signed(message: bytes, when: datetime) -> bytes:
    """``message`` as the example.com MSA sends it: its DKIM-Signature on top."""
    return sign(message, "example.com", when) + message
