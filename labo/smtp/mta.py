"""A provider's MTA: the queue behind its SMTP servers, and what it does with each message.

Postfix answers ``250 2.0.0 Ok: queued as …`` once the message is on disk, then delivers. So does
the lab: every SMTP service of a provider (25, 587, 465) puts accepted mail into the provider's
queue (``labo.queue``) and the MTA delivers it afterwards: into the provider's own mailboxes
(the MDA's work, ``labo.smtp.delivery``), or to another domain's MX (``labo.smtp.outbound``).
A permanent failure sends the sender a non-delivery report, delivered like any other message.

When does "afterwards" happen? The lab calls ``kick`` once the connection that brought a message
has closed (``Lab`` hooks it to the recording proxies), so every transcript shows the client's
``250`` and ``QUIT`` before the relay opens, run after run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from labo.context import LabContext
from labo.dns.resolver import LabResolver
from labo.identity import User, provider_by_address, user_by_address
from labo.queue import (
    Delivered,
    MailQueue,
    Outcome,
    Permanent,
    QueueEntry,
    QueueManager,
    Temporary,
)
from labo.smtp import outbound
from labo.smtp.delivery import DeliveryError, deliver_copies
from labo.smtp.headers import Handover, angle, lmtp_session_id

#: RFC 5321 §6.1 and Postfix: an unknown local mailbox is a permanent failure.
UNKNOWN_USER = "550 5.1.1 {rcpt}: Recipient address rejected: User unknown in virtual mailbox table"


#: A mailbox write that failed: the queue keeps the message and tries again later.
WRITE_FAILURE = Temporary("451 4.3.0 Error: queue file write error")


class Mta:
    """The queue and deliveries of one provider (``ctx``), on the lab's event loop."""

    def __init__(self, ctx: LabContext) -> None:
        self._ctx = ctx
        provider = ctx.provider
        self.hostname = provider.host("smtp").name
        self.queue = MailQueue(ctx.workdir / "queue", ctx.clock)
        ctx.store.on_reset(self.queue.clear)
        self._manager = QueueManager(self.queue, self._transport, self._bounce, self.hostname)

    # -- what the SMTP servers and the lab call --------------------------------------------------

    def new_id(self) -> str:
        """The id the next accepted message will have (its ``Received:`` names it)."""
        return self.queue.new_id()

    def enqueue(
        self,
        queue_id: str,
        mail_from: str,
        recipients: Sequence[str],
        message: bytes,
        *,
        smtputf8: bool = False,
    ) -> QueueEntry:
        return self.queue.enqueue(
            mail_from, recipients, message, queue_id=queue_id, smtputf8=smtputf8
        )

    def is_local(self, address: str) -> bool:
        """Mail for this provider's domain (or for a mailbox its store keeps) stays here."""
        return _domain(address) == self._ctx.provider.domain or self.mailbox(address) is not None

    def mailbox(self, address: str) -> User | None:
        """The user of this provider's store who receives ``address``, if any."""
        user = user_by_address(address)
        return user if user is not None and user in self._ctx.store.users else None

    def kick(self) -> None:
        """Deliver whatever is due now (on the lab loop)."""
        self._manager.kick()

    @property
    def busy(self) -> bool:
        return self._manager.busy

    async def wait_idle(self) -> None:
        await self._manager.wait_idle()

    def close(self) -> None:
        self._manager.close()

    # -- the queue manager's transport and bounce sink ------------------------------------------

    async def _transport(
        self, entry: QueueEntry, recipients: Sequence[str]
    ) -> Mapping[str, Outcome]:
        local = [r for r in recipients if self.is_local(r)]
        outcomes: dict[str, Outcome] = {}
        if local:
            outcomes.update(self._deliver_locally(entry, local))
        by_domain: dict[str, list[str]] = {}
        for rcpt in recipients:
            if rcpt not in local:
                by_domain.setdefault(_domain(rcpt), []).append(rcpt)
        for group in by_domain.values():
            outcomes.update(await asyncio.to_thread(self._relay, entry, group))
        return outcomes

    def _deliver_locally(self, entry: QueueEntry, recipients: Sequence[str]) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = {}
        users = []
        for rcpt in recipients:
            user = self.mailbox(rcpt)
            if user is None:
                outcomes[rcpt] = Permanent(UNKNOWN_USER.format(rcpt=angle(rcpt)))
            else:
                users.append(user)
                outcomes[rcpt] = Delivered()
        if users:
            try:
                deliver_copies(
                    self._ctx.store,
                    users,
                    entry.read_message(),
                    mail_from=entry.mail_from,
                    handover=self._handover(entry),
                )
            except DeliveryError:
                return dict.fromkeys(recipients, WRITE_FAILURE)
        return outcomes

    def _handover(self, entry: QueueEntry) -> Handover:
        """The LMTP delivery to the mailbox server, as the reference Postfix makes it to Dovecot:
        from the MX's name and address (the one Postfix that is both MX and MSA there), stamped
        at the time the store will give the file."""
        provider = self._ctx.provider
        mx, when = provider.host("mx"), self._ctx.clock.peek()
        return Handover(
            lhlo=mx.name,
            address=mx.address,
            by=provider.host("imap").name,
            session=lmtp_session_id(provider.domain, entry.id, when.isoformat()),
            when=when,
        )

    def _relay(self, entry: QueueEntry, recipients: Sequence[str]) -> dict[str, Outcome]:
        dns = self._ctx.shared.dns
        assert dns is not None, "le DNS du labo n'est pas démarré"
        return outbound.send(
            entry.read_message(),
            mail_from=entry.mail_from,
            recipients=recipients,
            smtputf8=entry.smtputf8,
            sender=self._ctx.provider,
            resolver=LabResolver(dns, f"MTA d’{self._ctx.provider.domain}"),
            route=self._route,
            tls=self._ctx.tls.client_context(),
        )

    def _route(self, address: str) -> tuple[str, int] | None:
        """The recording proxy of the lab MX at ``address``; None for any other address."""
        provider = provider_by_address(address)
        if provider is None or provider.host("mx").address != address:
            return None
        port = self._ctx.shared.proxy_ports.get((provider.domain, "smtp"))
        return None if port is None else ("127.0.0.1", port)

    async def _bounce(self, mail_from: str, recipient: str, message: bytes) -> None:
        """A report goes into this provider's own queue, like Postfix's ``bounce`` daemon."""
        self.queue.enqueue(mail_from, [recipient], message)
        self.kick()


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()
