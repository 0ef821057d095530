"""The ``Authentication-Results`` field (RFC 8601) a receiver writes after its checks.

authres (the library dkimpy uses for ARC) writes each result clause, quoting values that need
it; this module only folds: the authserv-id on the first line, then one clause per line as
large receivers do, a clause too long for 78 columns continued on an indented line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import authres
import authres.dmarc
from authres.core import AuthenticationResultProperty

from labo.senderauth.results import DkimResult, DmarcResult, SpfResult

#: RFC 5322 §2.1.1: lines SHOULD NOT be longer than 78 characters, CRLF excluded.
MAX_LINE = 78
FIELD = "Authentication-Results"

#: Words to fold between: a quoted string stays whole, whatever spaces it holds.
_WORD = re.compile(r'(?:"(?:[^"\\]|\\.)*"|[^ "])+')


def spf_clause(spf: SpfResult) -> str:
    if spf.identity == "helo":
        clause = authres.SPFAuthenticationResult(result=spf.result, smtp_helo=spf.domain)
    else:
        clause = authres.SPFAuthenticationResult(result=spf.result, smtp_mailfrom=spf.domain)
    clause.result_comment = spf.comment or None
    return str(clause)


def dkim_clause(dkim: DkimResult) -> str:
    clause = authres.DKIMAuthenticationResult(
        result=dkim.result,
        result_comment=dkim.comment,
        header_d=dkim.domain,
        header_s=dkim.selector,
    )
    if dkim.signature:  # RFC 6008: header.b tells several signatures of one domain apart
        clause.properties.append(AuthenticationResultProperty("header", "b", dkim.signature))
    return str(clause)


def dmarc_clause(dmarc: DmarcResult) -> str:
    comment = None
    if dmarc.policy is not None:
        sub = f" sp={dmarc.subdomain_policy}" if dmarc.subdomain_policy else ""
        comment = f"p={dmarc.policy}{sub} dis={dmarc.disposition}"
    clause = authres.dmarc.DMARCAuthenticationResult(
        result=dmarc.result, result_comment=comment, header_from=dmarc.header_from
    )
    return str(clause)


def authentication_results(
    authserv_id: str, spf: SpfResult, dkim: Sequence[DkimResult], dmarc: DmarcResult
) -> bytes:
    """The whole field, folded, CRLF-terminated: DKIM first, then SPF, then DMARC."""
    clauses = [*(dkim_clause(d) for d in dkim), spf_clause(spf), dmarc_clause(dmarc)]
    lines = [f"{FIELD}: {authserv_id.lower()};"]
    for index, clause in enumerate(clauses):
        last = index == len(clauses) - 1
        lines.extend(_fold_clause(clause + ("" if last else ";")))
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def _fold_clause(clause: str) -> list[str]:
    """``clause`` on a line of its own after a tab, continued after a tab and two spaces."""
    lines: list[str] = []
    current = "\t"
    for word in _WORD.findall(clause):
        if current.strip() and len(current) + 1 + len(word) > MAX_LINE:
            lines.append(current)
            current = "\t  " + word
        else:
            current += (" " if current.strip() else "") + word
    lines.append(current)
    return lines
