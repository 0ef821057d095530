"""SPF (RFC 7208) with pyspf, its DNS replaced per query by the injected TXT lookup.

pyspf sends its DNS queries through one module-level function; subclassing ``spf.query`` and
overriding its ``dns`` method keeps each check on its own lookup, so several labs can run in one
process. The injected lookup answers TXT only: a record that needs an A, MX or PTR lookup
(``a``, ``mx``, ``exists``, ``ptr``) gets ``temperror`` rather than a query to the real DNS.
"""

from __future__ import annotations

from typing import Literal, cast

import spf

from labo.senderauth.comments import comment_text
from labo.senderauth.lookup import DnsTemporaryError, TxtLookup, txt_records
from labo.senderauth.results import RESULTS, Result, SpfResult


class _InjectedDnsQuery(spf.query):
    """A pyspf query whose every DNS question goes to ``txt_lookup``."""

    def __init__(self, txt_lookup: TxtLookup, *, ip: str, sender: str, helo: str) -> None:
        super().__init__(i=ip, s=sender, h=helo, receiver=None)
        self._txt_lookup = txt_lookup

    def dns(
        self,
        name: str,
        qtype: str,
        cnames: dict[str, str] | None = None,
        ignore_void: bool = False,
    ) -> list[tuple[bytes]]:
        if qtype not in ("TXT", "SPF"):
            raise spf.TempError(f"the lab resolver answers TXT only, not {qtype} for {name}")
        if qtype == "SPF":  # RFC 7208 §3.1: type 99 is gone; the lab zone has none
            return []
        try:
            records = txt_records(self._txt_lookup, str(name))
        except DnsTemporaryError as error:
            raise spf.TempError(f"DNS error for {name}: {error}") from error
        if not records and not ignore_void:
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return [(record.encode("utf-8"),) for record in records]


def bare_address(mail_from: str) -> str:
    """``x@example.net`` from ``<x@example.net>``; ``""`` for the null sender ``<>``."""
    return mail_from.strip().removeprefix("<").removesuffix(">").strip()


def check_spf(*, client_ip: str, helo: str, mail_from: str, txt_lookup: TxtLookup) -> SpfResult:
    """SPF of the MAIL FROM domain, or of ``helo`` when MAIL FROM is ``<>`` (RFC 7208 §2.4)."""
    sender = bare_address(mail_from)
    query = _InjectedDnsQuery(txt_lookup, ip=client_ip, sender=sender, helo=helo)
    found, _code, _explanation = query.check()
    # pyspf's own extension "ambiguous" (harsh mode only) has no place in a header.
    result = cast(Result, found if found in RESULTS else "permerror")
    comment = comment_text(query.get_header_comment(result))
    identity: Literal["mailfrom", "helo"] = "mailfrom" if sender else "helo"
    domain = query.o if sender else helo
    return SpfResult(result, identity, domain.lower(), comment)
