"""What each check found, in the vocabulary of RFC 8601 (results and ``ptype.property`` names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

#: RFC 8601 §2.7 result values shared by SPF, DKIM and DMARC.
Result = Literal["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"]
#: Every value of ``Result``, to narrow a library's string to it.
RESULTS: frozenset[str] = frozenset(get_args(Result))
#: A DMARC policy (RFC 7489 §6.3 ``p=``/``sp=``), also what the receiver applies (``dis=``).
Policy = Literal["none", "quarantine", "reject"]


@dataclass(frozen=True)
class SpfResult:
    """SPF (RFC 7208) of the MAIL FROM domain, or of the HELO name for a null sender."""

    result: Result
    identity: Literal["mailfrom", "helo"]
    domain: str  # smtp.mailfrom (its domain) or smtp.helo
    comment: str  # why, in the words receivers put in the header


@dataclass(frozen=True)
class DkimResult:
    """One ``DKIM-Signature`` (RFC 6376); all fields ``None`` when the message has none."""

    result: Result
    domain: str | None = None  # header.d
    selector: str | None = None  # header.s
    signature: str | None = None  # header.b: the first 8 characters of b= (RFC 6008)
    comment: str | None = None


@dataclass(frozen=True)
class DmarcResult:
    """DMARC (RFC 7489) of the ``From:`` domain."""

    result: Result
    header_from: str | None  # the From: domain, None when there is no single one
    policy: Policy | None = None  # the p= of the record found (None: no record)
    subdomain_policy: Policy | None = None  # its sp=, when the record has one
    disposition: Policy = "none"  # what the receiver does: the applied policy when it fails

    @property
    def reject(self) -> bool:
        """True when the domain asks receivers to refuse this message (p=reject and fail)."""
        return self.result == "fail" and self.disposition == "reject"
