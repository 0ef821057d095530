"""What every lab server shares: the store, TLS material, the clock and the lab's options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from labo.clock import LabClock
from labo.store import MailStore
from labo.tls import LabTLS


@dataclass(frozen=True)
class LabOptions:
    """Switches that turn the lab into a less careful server, for demonstrations."""

    #: POP3 on port 110 accepts USER/PASS before STLS, like a legacy server: a page uses it to
    #: show a password crossing the network in clear. Off by default, as on a careful server.
    pop3_plaintext_passwords: bool = False


@dataclass
class LabContext:
    """Handed to each service's ``start`` function."""

    workdir: Path
    store: MailStore
    tls: LabTLS
    clock: LabClock
    options: LabOptions

    @classmethod
    def create(
        cls, workdir: Path, options: LabOptions | None = None, *, tls: LabTLS | None = None
    ) -> LabContext:
        """A fresh context in ``workdir``, mailboxes empty (``tls`` may be shared across many)."""
        clock = LabClock()
        store = MailStore(workdir, clock)
        store.reset()
        return cls(workdir, store, tls or LabTLS(workdir), clock, options or LabOptions())

    #: Where each service's recording proxy listens (name → port), filled as services start:
    #: the MTA relays to the MX through it, so the hop between servers is recorded too.
    proxy_ports: dict[str, int] = field(default_factory=dict)
