"""What the example.org MX concludes about a message: SPF, DKIM, DMARC and its header."""

from __future__ import annotations

import authres
import authres.dmarc
import pytest
from senderauth_zone import RecordingLookup, Zone

from labo.identity import OUTSIDER, PROVIDERS
from labo.senderauth.lookup import DnsTemporaryError
from labo.senderauth.verify import Verdict, check

MSA = PROVIDERS["example.com"].host("smtp")
MX_ID = PROVIDERS["example.org"].host("mx").name


def _from_msa(message: bytes, lookup: RecordingLookup, mail_from: str = "<alice@example.com>"):
    return check(
        message,
        client_ip=MSA.address,
        helo=MSA.name,
        mail_from=mail_from,
        txt_lookup=lookup,
        authserv_id=MX_ID,
    )


@pytest.fixture
def forged(message: bytes, lookup: RecordingLookup) -> Verdict:
    """Alice's From: on an unsigned message that the outsider's server sends as itself."""
    return check(
        message,
        client_ip=OUTSIDER.address,
        helo=OUTSIDER.name,
        mail_from="<x@example.net>",
        txt_lookup=lookup,
        authserv_id=MX_ID,
    )


def test_signed_message_from_the_providers_server_passes_all_three(
    signed: bytes, lookup: RecordingLookup
) -> None:
    verdict = _from_msa(signed, lookup)
    results = (verdict.dkim[0].result, verdict.spf.result, verdict.dmarc.result)
    assert results == ("pass", "pass", "pass")


def test_pass_case_header_is_exactly_what_a_receiver_writes(
    signed: bytes, lookup: RecordingLookup
) -> None:
    assert _from_msa(signed, lookup).header() == (
        b"Authentication-Results: mx.example.org;\r\n"
        b"\tdkim=pass header.d=example.com header.s=labo2026 header.b=h9S3rptk;\r\n"
        b"\tspf=pass (domain of example.com designates 192.0.2.10 as permitted sender)\r\n"
        b"\t  smtp.mailfrom=example.com;\r\n"
        b"\tdmarc=pass (p=reject dis=none) header.from=example.com\r\n"
    )


def test_pass_case_is_not_to_be_rejected(signed: bytes, lookup: RecordingLookup) -> None:
    assert not _from_msa(signed, lookup).reject


def test_message_altered_after_signing_fails_dkim(signed: bytes, lookup: RecordingLookup) -> None:
    altered = signed.replace(b"10 h", b"11 h")
    assert _from_msa(altered, lookup).dkim[0].result == "fail"


def test_altered_message_still_passes_dmarc_through_aligned_spf(
    signed: bytes, lookup: RecordingLookup
) -> None:
    assert _from_msa(signed.replace(b"10 h", b"11 h"), lookup).dmarc.result == "pass"


def test_forged_from_passes_spf_for_the_outsiders_own_domain(forged: Verdict) -> None:
    assert (forged.spf.result, forged.spf.domain) == ("pass", "example.net")


def test_forged_from_fails_dmarc_for_lack_of_alignment(forged: Verdict) -> None:
    assert (forged.dmarc.result, forged.dmarc.header_from) == ("fail", "example.com")


def test_forged_from_is_to_be_rejected_under_p_reject(forged: Verdict) -> None:
    assert forged.reject


def test_forged_from_header_shows_the_failure(forged: Verdict) -> None:
    assert forged.header() == (
        b"Authentication-Results: mx.example.org;\r\n"
        b"\tdkim=none;\r\n"
        b"\tspf=pass (domain of example.net designates 203.0.113.25 as permitted sender)\r\n"
        b"\t  smtp.mailfrom=example.net;\r\n"
        b"\tdmarc=fail (p=reject dis=reject) header.from=example.com\r\n"
    )


def test_outsider_writing_as_itself_passes_dmarc_under_p_none(
    message: bytes, lookup: RecordingLookup
) -> None:
    own = message.replace(b"alice@example.com", b"x@example.net")
    verdict = check(
        own,
        client_ip=OUTSIDER.address,
        helo=OUTSIDER.name,
        mail_from="x@example.net",
        txt_lookup=lookup,
        authserv_id=MX_ID,
    )
    assert (verdict.dmarc.result, verdict.dmarc.policy) == ("pass", "none")


def test_missing_records_give_none_for_every_method(
    message: bytes, empty_lookup: RecordingLookup
) -> None:
    verdict = _from_msa(message, empty_lookup)
    results = (verdict.dkim[0].result, verdict.spf.result, verdict.dmarc.result)
    assert results == ("none", "none", "none")


def test_signature_whose_key_is_not_published_is_a_permerror(signed: bytes, zone: Zone) -> None:
    del zone["labo2026._domainkey.example.com"]
    assert _from_msa(signed, RecordingLookup(zone)).dkim[0].result == "permerror"


def test_signature_whose_key_is_broken_is_a_permerror(signed: bytes, zone: Zone) -> None:
    zone["labo2026._domainkey.example.com"] = ["v=DKIM1; k=rsa; p=bm90IGEga2V5"]
    assert _from_msa(signed, RecordingLookup(zone)).dkim[0].result == "permerror"


def test_unanswered_dns_is_a_temperror_for_every_method(signed: bytes) -> None:
    def failing(name: str) -> list[str] | None:
        raise DnsTemporaryError("SERVFAIL")

    verdict = check(
        signed,
        client_ip=MSA.address,
        helo=MSA.name,
        mail_from="alice@example.com",
        txt_lookup=failing,
        authserv_id=MX_ID,
    )
    results = (verdict.dkim[0].result, verdict.spf.result, verdict.dmarc.result)
    assert results == ("temperror", "temperror", "temperror")


def test_spf_mechanism_needing_an_address_lookup_is_a_temperror(message: bytes, zone: Zone) -> None:
    zone["example.com"] = ["v=spf1 a mx -all"]
    assert _from_msa(message, RecordingLookup(zone)).spf.result == "temperror"


def test_spf_include_is_followed_through_the_injected_lookup(message: bytes, zone: Zone) -> None:
    zone["example.com"] = ["v=spf1 include:_spf.example.com -all"]
    zone["_spf.example.com"] = [f"v=spf1 ip4:{MSA.address} -all"]
    assert _from_msa(message, RecordingLookup(zone)).spf.result == "pass"


def test_null_sender_is_checked_on_the_helo_name(message: bytes, zone: Zone) -> None:
    zone[MSA.name] = [f"v=spf1 ip4:{MSA.address} -all"]
    spf = _from_msa(message, RecordingLookup(zone), mail_from="<>").spf
    assert (spf.result, spf.identity, spf.domain) == ("pass", "helo", MSA.name)


def test_null_sender_is_reported_as_smtp_helo(message: bytes, lookup: RecordingLookup) -> None:
    assert b"smtp.helo=smtp.example.com" in _from_msa(message, lookup, mail_from="<>").header()


def test_only_the_injected_lookup_is_asked(signed: bytes, lookup: RecordingLookup) -> None:
    _from_msa(signed, lookup)
    assert sorted(set(lookup.asked)) == [
        "_dmarc.example.com",
        "example.com",
        "labo2026._domainkey.example.com",
    ]


def test_every_signature_gets_its_own_result(signed: bytes, lookup: RecordingLookup) -> None:
    twice = signed.split(b"\r\n\r\n", 1)[0].split(b"From:")[0] + signed
    assert [d.result for d in _from_msa(twice, lookup).dkim] == ["pass", "pass"]


def test_header_parses_as_rfc_8601(signed: bytes, lookup: RecordingLookup) -> None:
    field = _from_msa(signed, lookup).header().decode().replace("\r\n", "").replace("\t", " ")
    parsed = authres.FeatureContext(authres.dmarc).parse(field)
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]


def test_header_lines_fit_in_78_columns(forged: Verdict) -> None:
    assert all(len(line) <= 78 for line in forged.header().split(b"\r\n"))


def test_verdicts_are_identical_across_two_checks(signed: bytes, lookup: RecordingLookup) -> None:
    assert _from_msa(signed, lookup).header() == _from_msa(signed, lookup).header()
