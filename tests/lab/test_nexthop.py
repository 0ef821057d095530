"""Finding where a domain's mail goes, and Postfix's words when DNS cannot say.

A scripted resolver stands for the lab's: a DNS that does not answer (SERVFAIL, timeout) is
something the lab's own server never does.
"""

from __future__ import annotations

from typing import Any, cast

import dns.name
import dns.rdataclass
import pytest
from dns.rdatatype import RdataType
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.IN.A import A

from labo.dns.resolver import DnsUnavailable, LabResolver
from labo.queue import Permanent, Temporary
from labo.smtp.nexthop import NextHop, NoNextHop, next_hops

#: What a scripted lookup gives: records, None (NXDOMAIN), [] (NODATA), or "down".
Answer = list[Any] | None | str


class ScriptedResolver:
    """Answers ``records(name, type)`` from a table; a name it does not know is NXDOMAIN."""

    def __init__(self, answers: dict[tuple[str, RdataType], Answer]) -> None:
        self._answers = answers

    def records(self, name: str, rdtype: RdataType) -> list[Any] | None:
        answer = self._answers.get((name, rdtype))
        if answer == "down":
            raise DnsUnavailable(f"{name} : le DNS ne répond pas")
        return cast(list[Any] | None, answer)


def mx(preference: int, host: str) -> MX:
    return MX(dns.rdataclass.IN, RdataType.MX, preference, dns.name.from_text(host))


def a(address: str) -> A:
    return A(dns.rdataclass.IN, RdataType.A, address)


def failure(answers: dict[tuple[str, RdataType], Answer]) -> Temporary | Permanent:
    with pytest.raises(NoNextHop) as raised:
        next_hops(cast(LabResolver, ScriptedResolver(answers)), "example.org")
    return raised.value.outcome


def test_mx_hosts_are_tried_best_first_with_each_of_their_addresses() -> None:
    answers: dict[tuple[str, RdataType], Answer] = {
        ("example.org", RdataType.MX): [mx(20, "backup.example.org"), mx(10, "mx.example.org")],
        ("mx.example.org", RdataType.A): [a("198.51.100.25")],
        ("backup.example.org", RdataType.A): [a("198.51.100.26")],
    }
    assert next_hops(cast(LabResolver, ScriptedResolver(answers)), "example.org") == [
        NextHop("mx.example.org", "198.51.100.25"),
        NextHop("backup.example.org", "198.51.100.26"),
    ]


def test_a_dns_that_does_not_answer_defers_with_try_again_and_status_4_4_3() -> None:
    assert failure({("example.org", RdataType.MX): "down"}) == Temporary(
        "Host or domain name not found. Name service error for name=example.org type=MX:"
        " Host not found, try again",
        enhanced="4.4.3",
    )


def test_a_domain_that_does_not_exist_bounces_on_its_address_lookup_with_5_4_4() -> None:
    assert failure({}) == Permanent(
        "Host or domain name not found. Name service error for name=example.org type=A:"
        " Host not found",
        enhanced="5.4.4",
    )


def test_a_domain_with_neither_mx_nor_address_says_no_data_record() -> None:
    answers: dict[tuple[str, RdataType], Answer] = {
        ("example.org", RdataType.MX): [],
        ("example.org", RdataType.A): [],
    }
    assert failure(answers) == Permanent(
        "Host or domain name not found. Name service error for name=example.org type=A:"
        " Host found but no data record of requested type",
        enhanced="5.4.4",
    )


def test_a_null_mx_refuses_mail_with_status_5_1_0() -> None:
    answers: dict[tuple[str, RdataType], Answer] = {("example.org", RdataType.MX): [mx(0, ".")]}
    assert failure(answers) == Permanent(
        "Domain example.org does not accept mail (nullMX)", enhanced="5.1.0"
    )
