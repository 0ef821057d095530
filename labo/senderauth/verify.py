"""What the receiving MX concludes about a message's sender: SPF, DKIM, then DMARC over both.

Only the results are computed here; whether to refuse the message, and where to write the
``Authentication-Results`` field, is the SMTP server's business (``Verdict.reject``,
``Verdict.header()``).
"""

from __future__ import annotations

import email
from dataclasses import dataclass

from labo.senderauth.authresults import authentication_results
from labo.senderauth.dkim_check import check_dkim
from labo.senderauth.dmarc import check_dmarc, from_domain
from labo.senderauth.lookup import TxtLookup
from labo.senderauth.results import DkimResult, DmarcResult, SpfResult
from labo.senderauth.spf_check import check_spf


@dataclass(frozen=True)
class Verdict:
    """Every result for one message, as the MX named ``authserv_id`` found them."""

    authserv_id: str
    spf: SpfResult
    dkim: tuple[DkimResult, ...]  # one per DKIM-Signature, or a single "none"
    dmarc: DmarcResult

    @property
    def reject(self) -> bool:
        """True when the From: domain publishes p=reject and DMARC failed."""
        return self.dmarc.reject

    def header(self) -> bytes:
        """The ``Authentication-Results:`` field to prepend, folded and CRLF-terminated."""
        return authentication_results(self.authserv_id, self.spf, self.dkim, self.dmarc)


def check(
    message: bytes,
    *,
    client_ip: str,
    helo: str,
    mail_from: str,
    txt_lookup: TxtLookup,
    authserv_id: str,
) -> Verdict:
    """Check ``message`` as received from ``client_ip`` after ``HELO helo`` / ``MAIL FROM``.

    ``mail_from`` is the envelope sender, with or without angle brackets; ``""`` or ``"<>"``
    is the null sender, whose SPF identity is the HELO name.
    """
    spf = check_spf(client_ip=client_ip, helo=helo, mail_from=mail_from, txt_lookup=txt_lookup)
    dkim = check_dkim(message, txt_lookup)
    header_from = from_domain(email.message_from_bytes(message))
    dmarc = check_dmarc(header_from, spf, dkim, txt_lookup)
    return Verdict(authserv_id, spf, dkim, dmarc)
