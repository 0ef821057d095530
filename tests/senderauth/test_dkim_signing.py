"""DKIM signing by the example.com MSA: the signature's tags, and that it never varies."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import dkim
import pytest
from dkim.util import parse_tag_value

from labo.senderauth.sign import sign


def _tags(field: bytes) -> dict[bytes, bytes]:
    return parse_tag_value(field.split(b":", 1)[1])


def test_signing_twice_gives_the_same_bytes(message: bytes, when: datetime) -> None:
    assert sign(message, "example.com", when) == sign(message, "example.com", when)


def test_signature_does_not_depend_on_the_wall_clock(
    message: bytes, when: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sign(message, "example.com", when)
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    assert sign(message, "example.com", when) == before


def test_t_tag_is_the_lab_instant(message: bytes, when: datetime) -> None:
    assert _tags(sign(message, "example.com", when))[b"t"] == b"1772442000"


def test_a_later_instant_changes_the_signature(message: bytes, when: datetime) -> None:
    later = when + timedelta(seconds=1)
    assert sign(message, "example.com", later) != sign(message, "example.com", when)


def test_signature_has_no_expiry(message: bytes, when: datetime) -> None:
    assert b"x" not in _tags(sign(message, "example.com", when))


def test_signature_is_relaxed_relaxed_rsa_sha256(message: bytes, when: datetime) -> None:
    tags = _tags(sign(message, "example.com", when))
    assert (tags[b"a"], tags[b"c"]) == (b"rsa-sha256", b"relaxed/relaxed")


def test_signature_names_the_domain_and_its_selector(message: bytes, when: datetime) -> None:
    tags = _tags(sign(message, "example.org", when))
    assert (tags[b"d"], tags[b"s"]) == (b"example.org", b"labo2026")


def test_signed_fields_are_the_visible_and_mime_ones_present(
    message: bytes, when: datetime
) -> None:
    h_tag = _tags(sign(message, "example.com", when))[b"h"]
    signed_names = [name.strip() for name in h_tag.split(b":")]
    assert signed_names == [
        b"from",
        b"to",
        b"subject",
        b"date",
        b"message-id",
        b"mime-version",
        b"content-type",
        b"content-transfer-encoding",
    ]


def test_field_is_folded_and_ends_every_line_with_crlf(message: bytes, when: datetime) -> None:
    field = sign(message, "example.com", when)
    lines = field.split(b"\r\n")
    assert field.startswith(b"DKIM-Signature: ")
    assert lines[-1] == b""
    assert all(line[:1] in (b" ", b"\t") for line in lines[1:-1])
    assert b"\n" not in field.replace(b"\r\n", b"")


def test_dkimpy_verifies_the_signature_against_the_published_key(
    signed: bytes, zone: dict[str, list[str]]
) -> None:
    def dnsfunc(name: bytes, timeout: float = 5) -> bytes:
        return zone[name.decode().rstrip(".")][0].encode()

    assert dkim.verify(signed, dnsfunc=dnsfunc)


def test_a_date_without_timezone_is_refused(message: bytes) -> None:
    with pytest.raises(ValueError, match="fuseau"):
        sign(message, "example.com", datetime(2026, 3, 2, 9, 0, 0))


def test_a_message_without_from_is_refused(message: bytes, when: datetime) -> None:
    headless = message.replace(b"From: Alice Martin <alice@example.com>\r\n", b"")
    with pytest.raises(ValueError, match="From"):
        sign(headless, "example.com", when)


def test_a_domain_without_key_cannot_sign(message: bytes, when: datetime) -> None:
    with pytest.raises(ValueError, match="Aucune clé DKIM"):
        sign(message, "example.net", when)
