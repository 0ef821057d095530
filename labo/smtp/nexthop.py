"""Where the MTA sends a domain's mail, and what it says when DNS cannot tell: Postfix's words.

It follows Postfix's ``smtp_domain_addr`` (``smtp_addr.c``) with ``inet_protocols = ipv4`` (the
lab's DNS has A records only): the domain's MX records, best first, then each MX host's
addresses, all looked up before any connection; a domain without MX (NXDOMAIN or NODATA) is its
own mail host (RFC 5321 §5.1), so its A records are asked for too.

A lookup that fails is reported as ``dns_lookup.c`` words it, ``Host or domain name not found.
Name service error for name=<name> type=<type>: <why>``, with the RFC 3463 status of
``smtp_addr.c``: 4.4.3 when the DNS did not answer (``Host not found, try again``: retried),
5.4.4 when the name or its record does not exist (``Host not found``: bounced). A null MX
(RFC 7505) is 5.1.0. There is no SMTP reply to quote, so the report's diagnostic is typed
``X-Postfix`` (see ``labo.queue.dsn``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.name
from dns.rdatatype import RdataType
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.IN.A import A

from labo.dns.resolver import DnsUnavailable, LabResolver
from labo.queue import Permanent, Temporary

#: ``dns_strerror``'s texts for the resolver's ``h_errno``.
HOST_NOT_FOUND = "Host not found"
TRY_AGAIN = "Host not found, try again"
NO_DATA = "Host found but no data record of requested type"


@dataclass(frozen=True)
class NextHop:
    """One address to try: the MX host's name and one of its addresses."""

    host: str
    address: str


class NoNextHop(Exception):
    """DNS names no address to try; ``outcome`` is what every recipient gets."""

    def __init__(self, outcome: Temporary | Permanent) -> None:
        super().__init__(outcome.reply)
        self.outcome = outcome


def next_hops(resolver: LabResolver, domain: str) -> list[NextHop]:
    """The addresses to try for ``domain``, in order; ``NoNextHop`` when there are none."""
    try:
        answer = resolver.records(domain, RdataType.MX)
    except DnsUnavailable:
        raise NoNextHop(_failure(domain, "MX", TRY_AGAIN, soft=True)) from None
    records = sorted(
        (record for record in answer or [] if isinstance(record, MX)),
        key=lambda mx: (mx.preference, mx.exchange.to_text().lower()),
    )
    if any(mx.exchange == dns.name.root for mx in records):
        reply = f"Domain {domain} does not accept mail (nullMX)"
        raise NoNextHop(Permanent(reply, enhanced="5.1.0"))
    hosts = [mx.exchange.to_text(omit_final_dot=True).lower() for mx in records] or [domain]
    hops: list[NextHop] = []
    failure: Temporary | Permanent | None = None
    for host in hosts:
        soft = isinstance(failure, Temporary)  # a soft error dominates the hard ones after it
        try:
            found = resolver.records(host, RdataType.A)
        except DnsUnavailable:
            failure = _failure(host, "A", TRY_AGAIN, soft=True)
            continue
        addresses = sorted(
            {record.address for record in found or [] if isinstance(record, A)},
            key=ipaddress.ip_address,
        )
        if not addresses:
            failure = _failure(host, "A", HOST_NOT_FOUND if found is None else NO_DATA, soft=soft)
        hops.extend(NextHop(host, address) for address in addresses)
    if hops:
        return hops
    assert failure is not None
    raise NoNextHop(failure)


def _failure(name: str, rdtype: str, why: str, *, soft: bool) -> Temporary | Permanent:
    text = f"Host or domain name not found. Name service error for name={name} type={rdtype}: {why}"
    if why == TRY_AGAIN:
        return Temporary(text, enhanced="4.4.3")
    if soft:
        return Temporary(text, enhanced="4.4.4")
    return Permanent(text, enhanced="5.4.4")
