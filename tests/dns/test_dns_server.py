"""The lab DNS server: authoritative answers, negative answers, bad packets, TCP, dropping."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest
from loop_thread import LoopThread

from labo.dns import DnsServer
from tests.dns.conftest import DKIM_OWNER, TIMEOUT


def ask(server: DnsServer, name: str, rdtype: str) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    return dns.query.udp(query, "127.0.0.1", port=server.port, timeout=TIMEOUT)


@pytest.fixture
def udp(server: DnsServer) -> Iterator[socket.socket]:
    """A bare UDP socket towards the server, to send what no DNS library would."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", server.port))
    yield sock
    sock.close()


def test_a_known_record_is_answered_with_the_authoritative_flag(server: DnsServer) -> None:
    response = ask(server, "example.org", "MX")
    assert response.flags & dns.flags.AA
    assert [rrset.to_text() for rrset in response.answer] == [
        "example.org. 3600 IN MX 10 mx.example.org."
    ]


def test_an_unknown_name_is_answered_nxdomain(server: DnsServer) -> None:
    response = ask(server, "inconnu.example.org", "A")
    assert (response.rcode(), response.answer) == (dns.rcode.NXDOMAIN, [])


def test_a_known_name_without_that_type_is_answered_noerror_without_records(
    server: DnsServer,
) -> None:
    response = ask(server, "mx.example.org", "AAAA")
    assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, [])


def test_a_packet_too_short_for_a_header_is_ignored_and_the_server_goes_on(
    server: DnsServer, udp: socket.socket
) -> None:
    udp.send(b"\x12\x34\x01")
    query = dns.message.make_query("example.com", "MX")
    udp.send(query.to_wire())
    response = dns.message.from_wire(udp.recv(4096))  # the first answer is the valid query's
    assert (response.id, response.rcode()) == (query.id, dns.rcode.NOERROR)


def test_a_malformed_query_is_answered_formerr_with_its_id(
    server: DnsServer, udp: socket.socket
) -> None:
    header = b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"  # one question announced…
    udp.send(header + b"\x07exam")  # …and cut short
    response = dns.message.from_wire(udp.recv(4096))
    assert (response.id, response.rcode()) == (0xBEEF, dns.rcode.FORMERR)


def test_the_server_still_answers_after_a_malformed_query(
    server: DnsServer, udp: socket.socket
) -> None:
    udp.send(b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff")
    udp.recv(4096)
    assert ask(server, "example.com", "MX").rcode() == dns.rcode.NOERROR


def test_an_answer_too_long_for_udp_is_truncated(server: DnsServer) -> None:
    query = dns.message.make_query(DKIM_OWNER, "TXT")
    response = dns.query.udp(query, "127.0.0.1", port=server.port, timeout=TIMEOUT)
    assert response.flags & dns.flags.TC
    assert response.answer == []


def test_a_long_answer_comes_whole_over_tcp(server: DnsServer) -> None:
    query = dns.message.make_query(DKIM_OWNER, "TXT")
    response = dns.query.tcp(query, "127.0.0.1", port=server.port, timeout=TIMEOUT)
    assert not response.flags & dns.flags.TC
    assert len(response.answer) == 1


def test_dropping_connections_closes_an_idle_tcp_connection(
    server: DnsServer, loop_thread: LoopThread
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        query = dns.message.make_query("example.com", "MX").to_wire()
        sock.sendall(len(query).to_bytes(2, "big") + query)
        dns.query.receive_tcp(sock, expiration=None)  # the connection is being served
        loop_thread.run(server.drop_connections())
        assert sock.recv(1) == b""
