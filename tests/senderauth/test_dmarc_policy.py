"""DMARC policy discovery and alignment (RFC 7489), apart from SPF and DKIM themselves."""

from __future__ import annotations

import email

import pytest
from senderauth_zone import RecordingLookup, Zone

from labo.senderauth.dmarc import aligned, check_dmarc, from_domain, organizational_domain
from labo.senderauth.lookup import TxtLookup
from labo.senderauth.results import DkimResult, SpfResult

NO_DKIM = (DkimResult("none"),)


def _spf(domain: str, result: str = "pass") -> SpfResult:
    return SpfResult(result, "mailfrom", domain, "")  # type: ignore[arg-type]


def _dkim(domain: str) -> tuple[DkimResult, ...]:
    return (DkimResult("pass", domain, "labo2026", "AbCdEfGh"),)


@pytest.mark.parametrize(
    ("name", "organisation"),
    [("smtp.example.com", "example.com"), ("example.org", "example.org"), ("a.b.test", "b.test")],
)
def test_organizational_domain_is_the_last_two_labels(name: str, organisation: str) -> None:
    assert organizational_domain(name) == organisation


def test_relaxed_alignment_accepts_a_subdomain() -> None:
    assert aligned("bounces.example.com", "example.com", "r")


def test_strict_alignment_wants_the_same_name() -> None:
    assert not aligned("bounces.example.com", "example.com", "s")


def test_different_organisations_are_never_aligned() -> None:
    assert not aligned("example.net", "example.com", "r")


def test_aligned_dkim_alone_is_enough(lookup: TxtLookup) -> None:
    verdict = check_dmarc("example.com", _spf("example.net"), _dkim("example.com"), lookup)
    assert verdict.result == "pass"


def test_dkim_of_another_domain_does_not_count(lookup: TxtLookup) -> None:
    verdict = check_dmarc("example.com", _spf("example.net"), _dkim("example.net"), lookup)
    assert verdict.result == "fail"


def test_failed_spf_does_not_count_even_when_aligned(lookup: TxtLookup) -> None:
    verdict = check_dmarc("example.com", _spf("example.com", "softfail"), NO_DKIM, lookup)
    assert verdict.result == "fail"


def test_strict_spf_alignment_refuses_a_subdomain_sender(zone: Zone) -> None:
    zone["_dmarc.example.com"] = ["v=DMARC1; p=reject; aspf=s"]
    verdict = check_dmarc("example.com", _spf("bounces.example.com"), NO_DKIM, zone.get)
    assert verdict.result == "fail"


def test_quarantine_failure_is_quarantined_not_rejected(zone: Zone) -> None:
    zone["_dmarc.example.com"] = ["v=DMARC1; p=quarantine"]
    verdict = check_dmarc("example.com", _spf("example.net"), NO_DKIM, zone.get)
    assert (verdict.disposition, verdict.reject) == ("quarantine", False)


def test_p_none_failure_is_delivered(lookup: TxtLookup) -> None:
    verdict = check_dmarc("example.net", _spf("example.com"), NO_DKIM, lookup)
    assert (verdict.result, verdict.disposition, verdict.reject) == ("fail", "none", False)


def test_subdomain_without_record_falls_back_to_the_organisation_sp(zone: Zone) -> None:
    zone["_dmarc.example.com"] = ["v=DMARC1; p=none; sp=reject"]
    lookup = RecordingLookup(zone)
    verdict = check_dmarc("news.example.com", _spf("example.net"), NO_DKIM, lookup)
    assert (verdict.disposition, lookup.asked) == (
        "reject",
        ["_dmarc.news.example.com", "_dmarc.example.com"],
    )


def test_several_dmarc_records_mean_no_policy(zone: Zone) -> None:
    zone["_dmarc.example.com"] = ["v=DMARC1; p=reject", "v=DMARC1; p=none"]
    assert check_dmarc("example.com", _spf("example.net"), NO_DKIM, zone.get).result == "none"


def test_texts_that_are_not_dmarc_records_are_ignored(zone: Zone) -> None:
    zone["_dmarc.example.com"] = ["hello", "v=DMARC1; p=reject"]
    verdict = check_dmarc("example.com", _spf("example.net"), NO_DKIM, zone.get)
    assert verdict.policy == "reject"


def test_record_without_a_valid_policy_is_a_permerror(zone: Zone) -> None:
    zone["_dmarc.example.com"] = ["v=DMARC1; p=maybe"]
    assert check_dmarc("example.com", _spf("example.com"), NO_DKIM, zone.get).result == "permerror"


def test_no_single_from_domain_is_a_permerror(lookup: TxtLookup) -> None:
    assert check_dmarc(None, _spf("example.com"), NO_DKIM, lookup).result == "permerror"


@pytest.mark.parametrize(
    ("header", "domain"),
    [
        ("From: Alice Martin <alice@Example.COM>", "example.com"),
        ("From: alice@example.com, bob@example.org", None),
        ("To: bob@example.org", None),
    ],
)
def test_from_domain_is_that_of_the_single_from_address(header: str, domain: str | None) -> None:
    assert from_domain(email.message_from_string(f"{header}\r\n\r\n")) == domain
