"""The lab zone: built from labo.identity, one record kind at a time."""

from __future__ import annotations

import dns.name
import pytest
from dns.rdatatype import RdataType

from labo.dns import TTL, LabZone, build_zone
from labo.identity import OUTSIDER, PROVIDERS


def records(zone: LabZone, name: str, rdtype: RdataType) -> list[str] | None:
    found = zone.lookup(dns.name.from_text(name), rdtype)
    if found is None:
        return None
    return [rdata.to_text() for rrset in found for rdata in rrset]


@pytest.mark.parametrize("domain", list(PROVIDERS))
def test_each_provider_domain_has_its_mx_host_as_mx(domain: str) -> None:
    assert records(build_zone(), domain, RdataType.MX) == [f"10 mx.{domain}."]


def test_every_provider_host_has_its_address() -> None:
    zone = build_zone()
    for provider in PROVIDERS.values():
        for host in provider.hosts.values():
            assert records(zone, host.name, RdataType.A) == [host.address]


def test_the_outsider_server_has_its_address() -> None:
    assert records(build_zone(), OUTSIDER.name, RdataType.A) == ["203.0.113.25"]


def test_every_server_address_has_a_ptr_to_its_name() -> None:
    zone = build_zone()
    hosts = [h for p in PROVIDERS.values() for h in p.hosts.values()] + [OUTSIDER]
    for host in hosts:
        reverse = ".".join(reversed(host.address.split("."))) + ".in-addr.arpa"
        assert records(zone, reverse, RdataType.PTR) == [host.name + "."]


def test_a_client_device_address_has_no_reverse_name() -> None:
    assert records(build_zone(), "101.113.0.203.in-addr.arpa", RdataType.PTR) is None


@pytest.mark.parametrize(
    ("domain", "spf"),
    [
        ("example.com", '"v=spf1 ip4:192.0.2.10 -all"'),
        ("example.org", '"v=spf1 ip4:198.51.100.10 -all"'),
        ("example.net", '"v=spf1 ip4:203.0.113.25 -all"'),
    ],
)
def test_each_domain_publishes_its_spf_policy(domain: str, spf: str) -> None:
    assert records(build_zone(), domain, RdataType.TXT) == [spf]


@pytest.mark.parametrize(
    ("domain", "policy"),
    [("example.com", "reject"), ("example.org", "reject"), ("example.net", "none")],
)
def test_each_domain_publishes_its_dmarc_policy(domain: str, policy: str) -> None:
    dmarc = records(build_zone(), f"_dmarc.{domain}", RdataType.TXT)
    assert dmarc == [f'"v=DMARC1; p={policy}"']


def test_extra_txt_records_are_added_under_their_owner() -> None:
    zone = build_zone({"labo2026._domainkey.example.org": ["v=DKIM1; k=rsa; p=AB"]})
    txt = records(zone, "labo2026._domainkey.example.org", RdataType.TXT)
    assert txt == ['"v=DKIM1; k=rsa; p=AB"']


def test_a_txt_value_longer_than_255_octets_is_split_into_strings() -> None:
    zone = build_zone({"long.example.com": ["x" * 300]})
    [rrset] = zone.lookup(dns.name.from_text("long.example.com"), RdataType.TXT) or []
    assert [len(s) for rdata in rrset for s in rdata.strings] == [255, 45]


def test_every_record_has_the_fixed_ttl() -> None:
    assert {rrset.ttl for rrset in build_zone()} == {TTL}


def test_names_are_looked_up_regardless_of_case() -> None:
    assert records(build_zone(), "MX.Example.ORG", RdataType.A) == ["198.51.100.25"]


def test_a_known_name_without_the_type_asked_is_nodata() -> None:
    assert records(build_zone(), "mx.example.com", RdataType.AAAA) == []


def test_an_unknown_name_is_nxdomain() -> None:
    assert records(build_zone(), "inconnu.example.com", RdataType.A) is None


def test_a_name_above_existing_names_exists_without_records() -> None:
    zone = build_zone({"labo2026._domainkey.example.com": ["v=DKIM1; p="]})
    assert records(zone, "_domainkey.example.com", RdataType.TXT) == []


def test_the_zone_is_the_same_on_every_build() -> None:
    assert build_zone().to_text() == build_zone().to_text()
