"""What the lab's servers share: the clock and options of the whole lab, the store of a provider.

The lab runs two providers. Each provider's servers get their own ``LabContext``: their
provider's identity, mailboxes and certificate. The clock and the options are the lab's, shared
by both, so a scenario that switches an option switches it everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from labo.clock import LabClock
from labo.identity import PROVIDERS, USERS, Provider, Service
from labo.queue import queue_listing
from labo.store import MailStore
from labo.tls import LabTLS, ProviderTLS

if TYPE_CHECKING:
    from labo.smtp.mta import Mta


@dataclass(frozen=True)
class LabOptions:
    """Switches that turn the lab into a less careful server, for demonstrations."""

    #: POP3 on port 110 accepts USER/PASS before STLS, like a legacy server: a page uses it to
    #: show a password crossing the network in clear. Off by default, as on a careful server.
    pop3_plaintext_passwords: bool = False


@dataclass
class LabShared:
    """The lab-wide part of every context: one object, referenced by each provider's context."""

    clock: LabClock
    options: LabOptions = field(default_factory=LabOptions)
    #: Where each provider's services are reached, (domain, service name) → loopback port of the
    #: recording proxy, filled as services start: the MTA relays through them, so the hop
    #: between providers is recorded too.
    proxy_ports: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Where the lab's DNS server answers (loopback host, port), once started.
    dns: tuple[str, int] | None = None
    #: Called on the lab loop each time a recorded connection has closed: the MTAs deliver
    #: what that connection queued (``labo.smtp.mta``).
    on_connection_closed: list[Callable[[], None]] = field(default_factory=list)

    def connection_closed(self) -> None:
        for callback in self.on_connection_closed:
            callback()


@dataclass
class LabContext:
    """Handed to each service's ``start`` function: one provider's view of the lab."""

    provider: Provider
    workdir: Path
    store: MailStore
    tls: ProviderTLS
    shared: LabShared
    #: The provider's MTA and its queue, created with its first SMTP service.
    mta: Mta | None = None

    @classmethod
    def create(
        cls,
        workdir: Path,
        options: LabOptions | None = None,
        *,
        tls: LabTLS | None = None,
        provider: Provider | None = None,
        shared: LabShared | None = None,
    ) -> LabContext:
        """A fresh context in ``workdir``, mailboxes empty (``tls`` may be shared across many).

        Without ``provider``, a context for testing one server alone: it plays example.org but
        keeps a mailbox for every lab user.
        """
        shared = shared or LabShared(LabClock())
        if options is not None:
            shared.options = options
        users = provider.users if provider is not None else USERS
        provider = provider or PROVIDERS["example.org"]
        store = MailStore(workdir, shared.clock, users=users, hostname=provider.host("imap").name)
        store.reset()
        lab_tls = tls or LabTLS(workdir)
        return cls(provider, workdir, store, ProviderTLS(lab_tls, provider), shared)

    @property
    def clock(self) -> LabClock:
        return self.shared.clock

    @property
    def options(self) -> LabOptions:
        return self.shared.options

    @options.setter
    def options(self, value: LabOptions) -> None:
        self.shared.options = value

    def queue_listing(self) -> str:
        """The provider's queue as ``postqueue -p`` prints it (empty before its MTA starts)."""
        return queue_listing(self.mta.queue.entries() if self.mta is not None else [])

    def hostname_for(self, service: Service) -> str:
        """The name this provider's server of ``service`` greets with and signs as."""
        return self.provider.hostname_for(service)
