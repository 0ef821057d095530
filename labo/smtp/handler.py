"""aiosmtpd handler hooks: who may send, who may receive, and what happens to accepted mail.

The same handler class serves a provider's MX (port 25) and its MSA (587, 465); its ``Policy``
says which. Replies follow Postfix's wording, so transcripts look like those of a real server.
Accepted mail goes into the provider's queue (``labo.smtp.mta``) with this hop's ``Received:``
on top; the MSA signs its users' mail with DKIM first, the MX checks SPF, DKIM and DMARC and
writes ``Authentication-Results:`` (RFC 8601), refusing what the sender's DMARC policy rejects.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from labo.context import LabContext
from labo.dns.resolver import DnsError, LabResolver
from labo.senderauth import check, sign
from labo.smtp.auth import authenticated_user
from labo.smtp.delivery import crlf_lines
from labo.smtp.headers import Arrival, angle, protocol_keyword, received_header
from labo.smtp.mta import UNKNOWN_USER, Mta
from labo.smtp.policy import Policy

log = logging.getLogger(__name__)

#: A mailbox as RFC 5321 §4.1.2 spells it: dot-string or quoted local part, then a domain or an
#: address literal. aiosmtpd's parser is lenient (``<a b>`` comes out as ``"a b"``). With
#: SMTPUTF8 (RFC 6531 §3.3), the local part and domain may also hold UTF-8 characters.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_DOT_STRING = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"
_UTF8_DOT_STRING = rf"[{_ATEXT}\u0080-\U0010ffff]+(?:\.[{_ATEXT}\u0080-\U0010ffff]+)*"
_QUOTED_STRING = r'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_UTF8_LABEL = (
    r"[A-Za-z0-9\u0080-\U0010ffff](?:[A-Za-z0-9\u0080-\U0010ffff-]*[A-Za-z0-9\u0080-\U0010ffff])?"
)
_ADDRESS_LITERAL = r"\[[\x21-\x5a\x5e-\x7e]+\]"
_MAILBOX = re.compile(
    f"(?:{_DOT_STRING}|{_QUOTED_STRING})@(?:{_LABEL}(?:\\.{_LABEL})*|{_ADDRESS_LITERAL})"
)
_UTF8_MAILBOX = re.compile(
    f"(?:{_UTF8_DOT_STRING}|{_QUOTED_STRING})@"
    f"(?:{_UTF8_LABEL}(?:\\.{_UTF8_LABEL})*|{_ADDRESS_LITERAL})"
)


class DeliveryHandler:
    """The MSA (RFC 6409) or the MX (RFC 5321) of one provider, in front of its MTA's queue."""

    def __init__(self, policy: Policy, ctx: LabContext, mta: Mta) -> None:
        self._policy = policy
        self._ctx = ctx
        self._mta = mta
        role = "MSA" if policy.submission else "MX"
        self._label = f"{role} d’{ctx.provider.domain}"

    # -- connection ------------------------------------------------------------------------------

    async def handle_PROXY(
        self, server: SMTP, session: Session, envelope: Envelope, proxy_data: Any
    ) -> bool:
        """The recording proxy's header names the client's address; look up its name.

        Like Postfix, the server asks DNS for the PTR of the client's address and keeps the name
        only if that name leads back to the address; otherwise the client is ``unknown``.
        """
        if proxy_data.src_addr is None:
            return False
        session.lab_client_name = await self._verified_name(str(proxy_data.src_addr))
        return True

    async def _verified_name(self, address: str) -> str:
        dns = self._ctx.shared.dns
        if dns is None:  # a server started alone, without the lab's DNS
            return "unknown"
        resolver = LabResolver(dns, self._label)
        try:
            name = await asyncio.to_thread(resolver.ptr, address)
            if name is None or address not in await asyncio.to_thread(resolver.addresses, name):
                return "unknown"
        except DnsError:
            return "unknown"
        return name

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """aiosmtpd lists AUTH once TLS is up; an MX offers no AUTH at all (it has no users)."""
        session.host_name = hostname  # with this hook, recording the name is the hook's job
        if self._policy.offers_auth:
            return responses
        return [line for line in responses if not line.startswith("250-AUTH")]

    # -- envelope --------------------------------------------------------------------------------

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """A well-formed sender; on the MSA, the user's own address (as Postfix's
        ``reject_sender_login_mismatch``): a login does not let anyone send as someone else."""
        utf8 = "SMTPUTF8" in (option.upper() for option in mail_options)
        if address != "<>" and not _well_formed(address, utf8=utf8):  # "<>": null reverse-path
            return "501 5.1.7 Bad sender address syntax"
        if self._policy.submission:
            user = authenticated_user(session)
            if user is None or address.lower() != user.address.lower():
                owner = user.login if user is not None else "unknown"
                return (
                    f"553 5.7.1 {angle(address)}: Sender address rejected: "
                    f"not owned by user {owner}"
                )
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """The MSA takes any address from its users; the MX only its own domain's mailboxes."""
        utf8 = "SMTPUTF8" in (option.upper() for option in envelope.mail_options)
        if not _well_formed(address, utf8=utf8):
            return "501 5.1.3 Bad recipient address syntax"
        own = self._mta.is_local(address)
        if not self._policy.submission:
            if not own:  # no open relay (Postfix's reject_unauth_destination)
                return f"554 5.7.1 {angle(address)}: Relay access denied"
            if self._mta.mailbox(address) is None:
                return UNKNOWN_USER.format(rcpt=angle(address))
        elif own and self._mta.mailbox(address) is None:
            return UNKNOWN_USER.format(rcpt=angle(address))
        if address.lower() not in (rcpt.lower() for rcpt in envelope.rcpt_tos):
            envelope.rcpt_tos.append(address)  # the same mailbox twice gets one copy
            envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    # -- message ---------------------------------------------------------------------------------

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Queue the message under this hop's ``Received:``, then answer with its queue id."""
        mail_from = envelope.mail_from or "<>"
        utf8 = "SMTPUTF8" in (option.upper() for option in envelope.mail_options)
        content = crlf_lines(envelope.original_content or b"")
        arrival = Arrival(
            helo=session.host_name or "unknown",
            peer_name=getattr(session, "lab_client_name", "unknown"),
            peer_ip=_peer_ip(session),
            by=server.hostname,
            protocol=protocol_keyword(
                extended=session.extended_smtp,
                tls=session.ssl is not None,
                authenticated=bool(session.authenticated),
                smtputf8=utf8,
            ),
            tls=_tls_description(session),
            queue_id=self._mta.new_id(),
            when=self._ctx.clock.now(),
        )
        results = b""
        if self._policy.submission:
            content = self._signed(content)
        else:
            checked = await self._checked(content, arrival, mail_from)
            if isinstance(checked, str):
                return checked
            results = checked
        single = envelope.rcpt_tos[0] if len(envelope.rcpt_tos) == 1 else None
        # Milter-added fields go above the server's own Received:, as with OpenDMARC.
        message = results + received_header(arrival, single) + content
        try:
            self._mta.enqueue(
                arrival.queue_id, mail_from, envelope.rcpt_tos, message, smtputf8=utf8
            )
        except OSError:
            log.exception("message %s non mis en file", arrival.queue_id)
            return "451 4.3.0 Error: queue file write error"
        return f"250 2.0.0 Ok: queued as {arrival.queue_id}"

    def _signed(self, content: bytes) -> bytes:
        """The MSA signs its own domain's mail with DKIM (RFC 6376), like OpenDKIM would."""
        try:
            return sign(content, self._ctx.provider.domain, self._ctx.clock.now()) + content
        except ValueError as error:  # no From:, say: sent unsigned, as a signing milter would
            log.info("message non signé : %s", error)
            return content

    async def _checked(self, content: bytes, arrival: Arrival, mail_from: str) -> bytes | str:
        """SPF, DKIM and DMARC on the MX: the Authentication-Results field, or the refusal."""
        dns = self._ctx.shared.dns
        if dns is None:  # a server started alone, without the lab's DNS
            return b""
        resolver = LabResolver(dns, self._label)
        verdict = await asyncio.to_thread(
            check,
            content,
            client_ip=arrival.peer_ip,
            helo=arrival.helo,
            mail_from=mail_from,
            txt_lookup=resolver.txt,
            authserv_id=arrival.by,
        )
        if verdict.reject:
            domain = verdict.dmarc.header_from or "?"
            return f"550 5.7.1 Rejected by DMARC policy for {domain}"
        return verdict.header()


def _well_formed(address: str, *, utf8: bool) -> bool:
    if address.isascii():
        return bool(_MAILBOX.fullmatch(address))
    return utf8 and bool(_UTF8_MAILBOX.fullmatch(address))


def _peer_ip(session: Session) -> str:
    """The client's address as the PROXY header gave it, else the socket's."""
    proxy = session.proxy_data
    if proxy is not None and proxy.src_addr is not None:
        return str(proxy.src_addr)
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


def _tls_description(session: Session) -> str | None:
    """``TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)``, as Postfix notes it."""
    if session.ssl is None:
        return None
    ssl_object = session.ssl.get("ssl_object")
    cipher = ssl_object.cipher() if ssl_object is not None else None
    if cipher is None:
        return "TLS"
    name, version, bits = cipher
    return f"{version} with cipher {name} ({bits}/{bits} bits)"
