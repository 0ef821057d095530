"""Who and what the lab is: its users, its domains, its host names and its services.

Everything here uses reserved names only (RFC 2606, RFC 6761), so nothing an example prints can
point at a real mailbox or server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TLSMode = Literal["none", "starttls", "implicit"]
Protocol = Literal["smtp", "pop3", "imap"]

#: The mail provider the lab plays: it hosts both domains, like a real hosting company.
SERVER_NAME = "mail.example.net"

#: The domains whose mail the lab accepts and stores (anything else is "foreign").
DOMAINS = ("example.com", "example.org")


@dataclass(frozen=True)
class User:
    """A mailbox owner: logs in with ``login``/``password``, receives mail at ``address``."""

    login: str
    password: str
    address: str
    display_name: str


USERS: tuple[User, ...] = (
    User("alice@example.com", "alice-secret", "alice@example.com", "Alice Martin"),
    User("bob@example.org", "bob-secret", "bob@example.org", "Bob Durand"),
)


@dataclass(frozen=True)
class Service:
    """One listening service, named after its IANA service name."""

    name: str
    protocol: Protocol
    port: int  # the standard port a real client uses (RFC 8314 §7, IANA)
    tls: (
        TLSMode  # "starttls": plain first, upgraded on request; "implicit": TLS from the first byte
    )
    role: str

    @property
    def tls_label(self) -> str:
        """The TLS mode as the ``--describe`` JSON spells it."""
        return "implicit" if self.tls == "implicit" else "starttls"


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service("smtp", "smtp", 25, "starttls", "MTA ↔ MTA : relais, réception pour nos domaines"),
        Service("submission", "smtp", 587, "starttls", "MUA → MSA : soumission authentifiée"),
        Service("submissions", "smtp", 465, "implicit", "MUA → MSA : soumission sur TLS implicite"),
        Service("pop3", "pop3", 110, "starttls", "MUA ↔ MS : relève (STLS)"),
        Service("pop3s", "pop3", 995, "implicit", "MUA ↔ MS : relève sur TLS implicite"),
        Service("imap", "imap", 143, "starttls", "MUA ↔ MS : accès (STARTTLS)"),
        Service("imaps", "imap", 993, "implicit", "MUA ↔ MS : accès sur TLS implicite"),
    )
}

#: Host names a client may use to reach the lab; each one serves every standard port above.
HOSTNAMES: tuple[str, ...] = (
    SERVER_NAME,
    *(f"{label}.{domain}" for domain in DOMAINS for label in ("mail", "smtp", "mx", "pop", "imap")),
)


def user_by_login(login: str) -> User | None:
    """Return the user whose login is ``login`` (case-insensitive), if any."""
    login = login.lower()
    return next((u for u in USERS if u.login.lower() == login), None)


def user_by_address(address: str) -> User | None:
    """Return the user who receives mail at ``address`` (case-insensitive), if any."""
    address = address.lower()
    return next((u for u in USERS if u.address.lower() == address), None)


def is_local_domain(address: str) -> bool:
    """True when ``address`` belongs to one of the lab's domains."""
    return address.rpartition("@")[2].lower() in DOMAINS
