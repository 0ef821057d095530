"""DMARC (RFC 7489): is the ``From:`` domain vouched for by an aligned SPF or DKIM pass?

The organisational domain is the last two labels of a name: true of every name the lab uses
(example.com, example.org, example.net, *.test) and it spares a public-suffix list, which would
have to be downloaded. ``pct=`` is ignored (DMARCbis drops it; sampling would need randomness).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from typing import Literal, cast

from labo.senderauth.lookup import DnsTemporaryError, TxtLookup, txt_records
from labo.senderauth.results import DkimResult, DmarcResult, Policy, SpfResult

Alignment = Literal["r", "s"]

_VERSION = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)")
_POLICIES: frozenset[str] = frozenset(("none", "quarantine", "reject"))


@dataclass(frozen=True)
class DmarcRecord:
    """The tags of a DMARC record that decide a verdict (RFC 7489 §6.3)."""

    policy: Policy
    subdomain_policy: Policy | None
    dkim_alignment: Alignment
    spf_alignment: Alignment


class InvalidRecord(ValueError):
    """A DMARC record whose ``p=`` is missing or unknown: a ``permerror``."""


def organizational_domain(domain: str) -> str:
    """``example.com`` for ``smtp.example.com``: the last two labels, lower case."""
    return ".".join(domain.lower().rstrip(".").split(".")[-2:])


def aligned(identifier: str, from_domain: str, mode: Alignment) -> bool:
    """Strict: the same name; relaxed: the same organisational domain (RFC 7489 §3.1)."""
    if mode == "s":
        return identifier.lower().rstrip(".") == from_domain.lower().rstrip(".")
    return organizational_domain(identifier) == organizational_domain(from_domain)


def parse_record(text: str) -> DmarcRecord:
    """The policy tags of ``v=DMARC1; p=…``; unknown tags are ignored as the RFC asks."""
    tags: dict[str, str] = {}
    for part in text.split(";")[1:]:
        name, _, value = part.partition("=")
        tags.setdefault(name.strip().lower(), value.strip().lower())
    policy = tags.get("p")
    if policy not in _POLICIES:
        raise InvalidRecord(f"p={policy}")
    sub = tags.get("sp")
    return DmarcRecord(
        cast(Policy, policy),
        cast(Policy, sub) if sub in _POLICIES else None,
        "s" if tags.get("adkim") == "s" else "r",
        "s" if tags.get("aspf") == "s" else "r",
    )


def discover(from_domain: str, txt_lookup: TxtLookup) -> tuple[DmarcRecord | None, bool]:
    """The record for ``from_domain`` (RFC 7489 §6.6.3) and whether it came from the
    organisational domain on behalf of a subdomain (then ``sp=`` applies)."""
    for name, inherited in _candidates(from_domain):
        records = [r for r in txt_records(txt_lookup, f"_dmarc.{name}") if _VERSION.match(r)]
        if len(records) == 1:
            return parse_record(records[0]), inherited
        if records:  # several records: the domain owner's intent is unknown, no policy
            return None, False
    return None, False


def _candidates(from_domain: str) -> list[tuple[str, bool]]:
    org = organizational_domain(from_domain)
    own = from_domain.lower().rstrip(".")
    return [(own, False)] if own == org else [(own, False), (org, True)]


def from_domain(message: Message) -> str | None:
    """The domain of the single ``From:`` address; None when there is none or several."""
    addresses = getaddresses([str(value) for value in message.get_all("From", [])])
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        return None
    return addresses[0][1].rpartition("@")[2].lower().rstrip(".") or None


def check_dmarc(
    header_from: str | None,
    spf: SpfResult,
    dkim: Sequence[DkimResult],
    txt_lookup: TxtLookup,
) -> DmarcResult:
    """DMARC of ``header_from`` given the SPF and DKIM results of the same message."""
    if header_from is None:
        return DmarcResult("permerror", None)
    try:
        record, inherited = discover(header_from, txt_lookup)
    except DnsTemporaryError:
        return DmarcResult("temperror", header_from)
    except InvalidRecord:
        return DmarcResult("permerror", header_from)
    if record is None:
        return DmarcResult("none", header_from)
    spf_ok = spf.result == "pass" and aligned(spf.domain, header_from, record.spf_alignment)
    dkim_ok = any(
        d.result == "pass"
        and d.domain is not None
        and aligned(d.domain, header_from, record.dkim_alignment)
        for d in dkim
    )
    if spf_ok or dkim_ok:
        return DmarcResult("pass", header_from, record.policy, record.subdomain_policy)
    applied = record.subdomain_policy if inherited and record.subdomain_policy else record.policy
    return DmarcResult("fail", header_from, record.policy, record.subdomain_policy, applied)
