"""The resolver lab code uses, and dnspython's default resolver pointed at the lab."""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest

from labo import netmap
from labo.dns import (
    DnsServer,
    DomainNotFound,
    LabResolver,
    configure_default_resolver,
    forget_default_resolver,
)
from tests.dns.conftest import DKIM_OWNER, DKIM_VALUE


def test_mx_hosts_of_a_provider_is_its_mx(resolver: LabResolver) -> None:
    assert resolver.mx_hosts("example.org") == ["mx.example.org"]


def test_mx_hosts_falls_back_to_the_name_itself_when_it_has_an_address(
    resolver: LabResolver,
) -> None:
    assert resolver.mx_hosts("mail.example.net") == ["mail.example.net"]


def test_mx_hosts_of_a_domain_with_neither_mx_nor_address_is_not_found(
    resolver: LabResolver,
) -> None:
    with pytest.raises(DomainNotFound, match="ni MX ni adresse"):
        resolver.mx_hosts("_dmarc.example.com")  # a name with a TXT record only


def test_mx_of_the_outsiders_domain_is_its_one_server(resolver: LabResolver) -> None:
    assert resolver.mx_hosts("example.net") == ["mail.example.net"]


def test_mx_hosts_of_an_unknown_domain_is_not_found(resolver: LabResolver) -> None:
    with pytest.raises(DomainNotFound, match="NXDOMAIN"):
        resolver.mx_hosts("inconnu.test")


def test_addresses_gives_the_a_records(resolver: LabResolver) -> None:
    assert resolver.addresses("smtp.example.com") == ["192.0.2.10"]


def test_addresses_of_an_unknown_name_is_empty(resolver: LabResolver) -> None:
    assert resolver.addresses("inconnu.example.com") == []


def test_ptr_of_a_server_address_is_its_name(resolver: LabResolver) -> None:
    assert resolver.ptr("198.51.100.25") == "mx.example.org"


def test_ptr_of_a_client_device_address_is_none(resolver: LabResolver) -> None:
    assert resolver.ptr("203.0.113.101") is None


def test_txt_gives_the_spf_policy(resolver: LabResolver) -> None:
    assert resolver.txt("example.com") == ["v=spf1 ip4:192.0.2.10 -all"]


def test_txt_of_an_unknown_name_is_none(resolver: LabResolver) -> None:
    assert resolver.txt("_dmarc.inconnu.test") is None


def test_txt_too_long_for_udp_is_fetched_whole_over_tcp(resolver: LabResolver) -> None:
    assert resolver.txt(DKIM_OWNER) == [DKIM_VALUE]


@pytest.fixture
def default_resolver(server: DnsServer) -> Iterator[None]:
    configure_default_resolver("127.0.0.1", server.port)
    yield
    forget_default_resolver()


@pytest.mark.usefixtures("default_resolver")
def test_dnspython_default_resolver_asks_the_lab() -> None:
    answer = dns.resolver.resolve("example.org", "MX")
    assert [rdata.to_text() for rdata in answer] == ["10 mx.example.org."]


@pytest.mark.usefixtures("default_resolver")
def test_dnspython_default_resolver_reports_an_unknown_name_as_nxdomain() -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        dns.resolver.resolve("inconnu.example.org", "A")


def test_lookups_work_while_examples_are_routed_to_the_lab(server: DnsServer) -> None:
    resolver = LabResolver(("127.0.0.1", server.port), "MTA d'example.com")
    with netmap.route_to({}, allowed_ports=[server.port]):
        assert resolver.mx_hosts("example.com") == ["mx.example.com"]
