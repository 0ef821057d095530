"""Sender authentication as providers do it: DKIM signing, SPF/DKIM/DMARC checks, RFC 8601.

The example.com MSA signs what it sends (``sign``); the example.org MX checks what it receives
(``check``) and records the verdict in an ``Authentication-Results`` field. DNS is always
injected (``TxtLookup``): nothing here has a resolver of its own, so several labs can share
one process and nothing is ever asked of the real DNS.

Wiring: the zone publishes ``dkim_txt_records()``; the submission server prepends
``sign(message, domain, clock.now())``; the MX calls ``check(...)``, prepends
``verdict.header()`` and may refuse when ``verdict.reject``.
"""

from __future__ import annotations

from labo.senderauth.keys import dkim_txt_records
from labo.senderauth.lookup import DnsTemporaryError, TxtLookup
from labo.senderauth.sign import sign
from labo.senderauth.verify import Verdict, check

__all__ = ["DnsTemporaryError", "TxtLookup", "Verdict", "check", "dkim_txt_records", "sign"]
