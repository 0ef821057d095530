"""One DNS query in, one authoritative answer out, with the lines a transcript shows for it.

Kept apart from the sockets so every answer rule (NXDOMAIN, NODATA, FORMERR, truncation) is a
plain function of the zone and the packet. dnspython parses and writes the wire format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
from dns.rdatatype import RdataType

from labo.dns.zone import LabZone

#: The largest UDP answer for a query without EDNS (RFC 1035 §4.2.1).
CLASSIC_UDP_SIZE = 512
#: A DNS message over TCP has a two-octet length (RFC 1035 §4.2.2).
TCP_SIZE = 65535

#: What the ``S:`` line says when the answer has no records (French: readers see it).
NXDOMAIN_TEXT = "NXDOMAIN (nom inexistant)"
TRUNCATED_TEXT = "réponse tronquée (TC)\u00a0: trop longue pour UDP, à redemander en TCP"
UNREADABLE_TEXT = "requête illisible"


Transport = Literal["udp", "tcp"]

#: The size of a DNS header: shorter, a packet is not answered at all.
_HEADER_SIZE = 12


@dataclass(frozen=True)
class Exchange:
    """What to send back (None: nothing, the packet is not even a DNS header) and what to show."""

    response: bytes | None
    question: str
    answer: tuple[str, ...]


#: A packet nobody should answer: too short to be DNS, or itself a response.
IGNORED = Exchange(None, "", ())


def nodata_text(rdtype: str) -> str:
    return f"NOERROR, aucun enregistrement {rdtype} (NODATA)"


def respond(zone: LabZone, packet: bytes, *, transport: Transport) -> Exchange:
    """Answer ``packet`` from ``zone``; over UDP a too long answer is truncated (TC set)."""
    try:
        query = dns.message.from_wire(packet)
    except dns.exception.DNSException:
        return _unreadable(packet)
    if query.flags & dns.flags.QR:  # a response sent to us: answering it could loop
        return IGNORED
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    response.flags &= ~dns.flags.RA
    if query.opcode() != dns.opcode.QUERY:
        return _refusal(response, dns.rcode.NOTIMP, f"opcode {dns.opcode.to_text(query.opcode())}")
    if len(query.question) != 1:
        return _refusal(response, dns.rcode.FORMERR, f"{len(query.question)} questions")
    question = query.question[0]
    asked = f"{question.name} {dns.rdataclass.to_text(question.rdclass)} "
    asked += f"{RdataType.to_text(question.rdtype)} ?"
    if question.rdclass != dns.rdataclass.IN:
        return _refusal(response, dns.rcode.REFUSED, asked)
    found = zone.lookup(question.name, question.rdtype)
    if found is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
        lines: tuple[str, ...] = (NXDOMAIN_TEXT,)
    elif not found:
        lines = (nodata_text(RdataType.to_text(question.rdtype)),)
    else:
        response.answer.extend(found)
        lines = tuple(line for rrset in found for line in rrset.to_text().splitlines())
    wire = _fit(response, _size_limit(query, transport))
    if wire is None:
        response.answer.clear()
        response.flags |= dns.flags.TC
        wire = response.to_wire()
        lines = (TRUNCATED_TEXT,)
    return Exchange(wire, asked, lines)


def _size_limit(query: dns.message.Message, transport: Transport) -> int:
    """Over UDP, the query's EDNS payload size (RFC 6891 §6.2.5), or 512 octets without EDNS."""
    if transport == "tcp":
        return TCP_SIZE
    return max(query.payload, CLASSIC_UDP_SIZE) if query.edns >= 0 else CLASSIC_UDP_SIZE


def _fit(response: dns.message.Message, max_size: int) -> bytes | None:
    try:
        return response.to_wire(max_size=max_size)
    except dns.exception.TooBig:
        return None


def _refusal(response: dns.message.Message, rcode: dns.rcode.Rcode, asked: str) -> Exchange:
    response.set_rcode(rcode)
    return Exchange(response.to_wire(), asked, (dns.rcode.to_text(rcode),))


def _unreadable(packet: bytes) -> Exchange:
    """FORMERR with the query's id when it has a DNS header (RFC 1035 §4.1.1), else silence."""
    if len(packet) < _HEADER_SIZE:
        return IGNORED
    flags = int.from_bytes(packet[2:4], "big")
    if flags & dns.flags.QR:
        return IGNORED
    response = dns.message.Message(id=int.from_bytes(packet[:2], "big"))
    response.flags = dns.flags.QR | (flags & dns.flags.RD)
    response.set_opcode(dns.opcode.from_flags(flags))
    response.set_rcode(dns.rcode.FORMERR)
    question = f"{UNREADABLE_TEXT} ({len(packet)} octets)"
    return Exchange(response.to_wire(), question, (dns.rcode.to_text(dns.rcode.FORMERR),))
