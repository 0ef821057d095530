"""The lab's DNS data: what a resolver on the lab's Internet finds about its providers.

Built from ``labo.identity`` only, so a host added there is in the DNS too: per provider an MX, an
A record per host, SPF and DMARC policies; the outsider's server and policies; PTR records for
every server address, none for client devices (home connections have no reverse DNS). Record
types are dnspython's, so the wire format is never written by hand.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import dns.name
import dns.rdata
import dns.rdataclass
import dns.reversename
import dns.rrset
from dns.rdatatype import RdataType
from dns.rdtypes.ANY.TXT import TXT

from labo.identity import OUTSIDER, PROVIDERS, Provider

#: One TTL for every record: an hour, a common value, and nothing in the lab expires.
TTL = 3600

#: The outsider's domain (``mail.example.net`` → ``example.net``).
OUTSIDER_DOMAIN = OUTSIDER.name.partition(".")[2]

#: A TXT string holds at most 255 octets (RFC 1035 §3.3): longer values are split into several.
_TXT_CHUNK = 255

_NO_EXTRA: Mapping[str, Sequence[str]] = MappingProxyType({})

Key = tuple[dns.name.Name, RdataType]


@dataclass(frozen=True)
class LabZone:
    """Every record of the lab, by owner name and type, in a fixed order."""

    rrsets: Mapping[Key, dns.rrset.RRset]

    def lookup(self, name: dns.name.Name, rdtype: RdataType) -> list[dns.rrset.RRset] | None:
        """The answer to ``name``/``rdtype``: None when the name does not exist (NXDOMAIN),
        an empty list when it exists without that type (NODATA). ``ANY`` gives every type.

        A name exists when it owns records or is an ancestor of a name that does (an "empty
        non-terminal" such as ``_domainkey.example.com``, RFC 8020).
        """
        if rdtype == RdataType.ANY:
            found = [rrset for (owner, _), rrset in self.rrsets.items() if owner == name]
        else:
            rrset = self.rrsets.get((name, rdtype))
            found = [rrset] if rrset is not None else []
        if found or self.exists(name):
            return found
        return None

    def exists(self, name: dns.name.Name) -> bool:
        return any(owner.is_subdomain(name) for owner, _ in self.rrsets)

    def __iter__(self) -> Iterator[dns.rrset.RRset]:
        return iter(self.rrsets.values())

    def to_text(self) -> str:
        """The zone in master-file syntax, one record a line, for reading and for tests."""
        return "".join(rrset.to_text() + "\n" for rrset in self)


class _ZoneBuilder:
    """Collects records in the order they are added; records of one name and type merge."""

    def __init__(self) -> None:
        self.rrsets: dict[Key, dns.rrset.RRset] = {}

    def add(self, owner: str | dns.name.Name, rdtype: RdataType, text: str) -> None:
        """A record given in master-file syntax (``10 mx.example.com.``)."""
        self._add(owner, dns.rdata.from_text(dns.rdataclass.IN, rdtype, text))

    def add_txt(self, owner: str, value: str) -> None:
        """One TXT record holding ``value``, split into 255-octet strings (RFC 1035 §3.3)."""
        raw = value.encode()
        chunks = [raw[i : i + _TXT_CHUNK] for i in range(0, len(raw), _TXT_CHUNK)] or [b""]
        self._add(owner, TXT(dns.rdataclass.IN, RdataType.TXT, chunks))

    def _add(self, owner: str | dns.name.Name, rdata: dns.rdata.Rdata) -> None:
        name = owner if isinstance(owner, dns.name.Name) else dns.name.from_text(owner)
        key = (name, rdata.rdtype)
        rrset = self.rrsets.get(key)
        if rrset is None:
            rrset = self.rrsets[key] = dns.rrset.RRset(name, dns.rdataclass.IN, rdata.rdtype)
        rrset.add(rdata, TTL)


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _provider_records(zone: _ZoneBuilder, provider: Provider) -> None:
    domain = _absolute(provider.domain)
    zone.add(domain, RdataType.MX, f"10 {_absolute(provider.host('mx').name)}")
    for host in provider.hosts.values():
        zone.add(host.name + ".", RdataType.A, host.address)
    zone.add_txt(domain, f"v=spf1 ip4:{provider.host('smtp').address} -all")
    zone.add_txt(f"_dmarc.{domain}", "v=DMARC1; p=reject")


def _outsider_records(zone: _ZoneBuilder) -> None:
    domain = _absolute(OUTSIDER_DOMAIN)
    # Its MX is its one server, which sends but runs no SMTP server in the lab: mail for
    # example.net waits in the sender's queue, then bounces (a server that is down).
    zone.add(domain, RdataType.MX, f"10 {_absolute(OUTSIDER.name)}")
    zone.add(_absolute(OUTSIDER.name), RdataType.A, OUTSIDER.address)
    zone.add_txt(domain, f"v=spf1 ip4:{OUTSIDER.address} -all")
    zone.add_txt(f"_dmarc.{domain}", "v=DMARC1; p=none")


def _reverse_records(zone: _ZoneBuilder) -> None:
    """PTR for each server address, in address order; client devices get none."""
    hosts = [host for provider in PROVIDERS.values() for host in provider.hosts.values()]
    hosts.append(OUTSIDER)
    for host in sorted(hosts, key=lambda h: ipaddress.ip_address(h.address)):
        zone.add(dns.reversename.from_address(host.address), RdataType.PTR, _absolute(host.name))


def build_zone(extra_txt: Mapping[str, Sequence[str]] = _NO_EXTRA) -> LabZone:
    """The lab zone, plus TXT records by owner name (DKIM keys: ``labo2026._domainkey.…``).

    Each string of ``extra_txt[owner]`` is one TXT record; a long one (an RSA key) is split into
    255-octet strings, as DNS requires, and reads back joined.
    """
    zone = _ZoneBuilder()
    for provider in PROVIDERS.values():
        _provider_records(zone, provider)
    _outsider_records(zone)
    _reverse_records(zone)
    for owner, values in extra_txt.items():
        for value in values:
            zone.add_txt(_absolute(owner), value)
    return LabZone(MappingProxyType(zone.rrsets))
