"""aiosmtpd handler hooks: who may send, who may receive, and the delivery of accepted mail.

The same handler class serves the MX (port 25) and the MSA (587, 465); its ``Policy`` says
which. Replies follow Postfix's wording, so transcripts look like those of a real server. On the
MSA, mail for the sender's own domain is delivered here, and mail for the other lab domain is
relayed to that domain's MX (``labo.smtp.relay``), as between two providers.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from labo.context import LabContext
from labo.identity import User, is_local_domain, user_by_address
from labo.smtp.auth import authenticated_user
from labo.smtp.delivery import DeliveryError, crlf_lines, deliver_copies
from labo.smtp.headers import Arrival, angle, protocol_keyword, received_header
from labo.smtp.policy import Policy
from labo.smtp.queue_ids import QueueIds
from labo.smtp.relay import RelayError, relay, relay_domain

log = logging.getLogger(__name__)

#: A mailbox as RFC 5321 §4.1.2 spells it: dot-string or quoted local part, then a domain or an
#: address literal. aiosmtpd's parser is lenient (``<a b>`` comes out as ``"a b"``).
_DOT_STRING = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_QUOTED_STRING = r'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS_LITERAL = r"\[[\x21-\x5a\x5e-\x7e]+\]"
_MAILBOX = re.compile(
    f"(?:{_DOT_STRING}|{_QUOTED_STRING})@(?:{_LABEL}(?:\\.{_LABEL})*|{_ADDRESS_LITERAL})"
)


class DeliveryHandler:
    """Accepts mail for the lab's mailboxes and writes it there: the MDA of RFC 5598 §4.3.3."""

    def __init__(self, policy: Policy, ctx: LabContext, queue_ids: QueueIds) -> None:
        self._policy = policy
        self._ctx = ctx
        self._store = ctx.store
        self._clock = ctx.clock
        self._queue_ids = queue_ids

    async def handle_PROXY(
        self, server: SMTP, session: Session, envelope: Envelope, proxy_data: Any
    ) -> bool:
        """The recording proxy's header: the client's address on the lab's Internet."""
        return proxy_data.src_addr is not None

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
        if address != "<>" and not _MAILBOX.fullmatch(address):  # "<>": the null reverse-path
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
        """Existing lab mailboxes only: nothing is relayed, so nothing leaves the machine."""
        if not _MAILBOX.fullmatch(address):
            return "501 5.1.3 Bad recipient address syntax"
        if not is_local_domain(address):
            if self._policy.submission:
                return (
                    f"550 5.7.1 {angle(address)}: Recipient address rejected: "
                    "external relay is disabled in this lab, no mail leaves the machine"
                )
            return f"554 5.7.1 {angle(address)}: Relay access denied"  # no open relay
        user = user_by_address(address)
        if user is None:
            return (
                f"550 5.1.1 {angle(address)}: Recipient address rejected: "
                "User unknown in virtual mailbox table"
            )
        if user.address not in envelope.rcpt_tos:  # the same mailbox twice gets one copy
            envelope.rcpt_tos.append(user.address)
            envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Write one copy per recipient, then reply with the queue id; 451 if a write fails.

        The write runs on the lab loop, not in a thread: a message is at most a few MiB on a
        local disk, and an indivisible delivery means the IMAP and POP3 servers, on the same
        loop, see every copy or none, and the lab clock ticks in the same order on every run.
        """
        arrival = Arrival(
            helo=session.host_name or "unknown",
            peer_ip=_peer_ip(session),
            by=server.hostname,
            protocol=protocol_keyword(
                extended=session.extended_smtp,
                tls=session.ssl is not None,
                authenticated=bool(session.authenticated),
            ),
            tls=_tls_description(session),
            queue_id=self._queue_ids.next(),
            when=self._clock.now(),
        )
        mail_from = envelope.mail_from or "<>"
        local, remote = self._route(mail_from, envelope.rcpt_tos)
        content = envelope.original_content or b""
        try:
            for domain, recipients in remote.items():
                await self._relay(arrival, domain, mail_from, recipients, content)
        except RelayError as error:
            log.warning("message %s non relayé : %s", arrival.queue_id, error)
            return "451 4.4.0 Error: relay to the recipient's MX failed"
        try:
            deliver_copies(
                self._store,
                [_mailbox_owner(address) for address in local],
                content,
                arrival,
                mail_from=mail_from,
            )
        except DeliveryError:
            log.exception("message %s non livré", arrival.queue_id)
            return "451 4.3.0 Error: queue file write error"
        return f"250 2.0.0 Ok: queued as {arrival.queue_id}"

    def _route(self, mail_from: str, rcpt_tos: list[str]) -> tuple[list[str], dict[str, list[str]]]:
        """Recipients delivered here, and those to relay, by domain.

        The MX (port 25) is the last hop for both lab domains. The MSA delivers its own domain's
        mail and relays the other domain's to that domain's MX, like two providers would.
        """
        if not self._policy.submission or not self._ctx.shared.proxy_ports:
            # A backend started alone (unit tests) has no MX to reach: it delivers everything.
            return list(rcpt_tos), {}
        sender_domain = relay_domain(mail_from)
        local: list[str] = []
        remote: dict[str, list[str]] = defaultdict(list)
        for address in rcpt_tos:
            domain = relay_domain(address)
            if domain == sender_domain:
                local.append(address)
            else:
                remote[domain].append(address)
        return local, dict(remote)

    async def _relay(
        self, arrival: Arrival, domain: str, mail_from: str, recipients: list[str], content: bytes
    ) -> None:
        """The MTA's hop: this server's Received header on top, then SMTP to the MX."""
        single = recipients[0] if len(recipients) == 1 else None
        message = received_header(arrival, single) + crlf_lines(content)
        await asyncio.to_thread(
            relay,
            self._ctx,
            sender_domain=relay_domain(mail_from),
            mail_from=mail_from,
            recipients=recipients,
            message=message,
        )


def _mailbox_owner(address: str) -> User:
    user = user_by_address(address)
    if user is None:  # handle_RCPT accepts existing mailboxes only
        raise LookupError(f"aucune boîte aux lettres pour {address}")
    return user


def _peer_ip(session: Session) -> str:
    """The client's address as the PROXY header gave it, else the socket's."""
    proxy = session.proxy_data
    if proxy is not None and proxy.src_addr is not None:
        return str(proxy.src_addr)
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


def _tls_description(session: Session) -> str | None:
    """``TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256 bits)``, as Postfix notes it."""
    if session.ssl is None:
        return None
    ssl_object = session.ssl.get("ssl_object")
    cipher = ssl_object.cipher() if ssl_object is not None else None
    if cipher is None:
        return "TLS"
    name, version, bits = cipher
    return f"{version} with cipher {name} ({bits} bits)"
