"""Who and what the lab is: two mail providers, their users, hosts, addresses and services.

The lab plays the Internet in miniature. Two providers each run their own servers under their own
names: example.com (Alice's provider) and example.org (Bob's). A third party, example.net, owns
one sending server and no right to send for the other two (used to show a forged ``From:``).
Client devices connect from home addresses with no reverse DNS, like most home connections.

Every address is a documentation address (RFC 5737): it appears in DNS answers, PROXY headers and
``Received:`` fields, and is *never* contacted. ``labo.netmap`` and the lab's own MTA route each
(address, port) to the recording proxy of the right provider's service on loopback.

Everything uses reserved names only (RFC 2606, RFC 6761).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TLSMode = Literal["none", "starttls", "implicit"]
Protocol = Literal["smtp", "pop3", "imap"]
#: What a provider's host does; each role has its own host name and address.
Role = Literal["smtp", "mx", "imap", "pop"]


@dataclass(frozen=True)
class User:
    """A mailbox owner: logs in with ``login``/``password``, receives mail at ``address``."""

    login: str
    password: str
    address: str
    display_name: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Service:
    """One listening service, named after its IANA service name."""

    name: str
    protocol: Protocol
    port: int  # the standard port a real client uses (RFC 8314 §7, IANA)
    tls: TLSMode  # "starttls": plain first, upgraded on request; "implicit": TLS from the start
    role: str
    host_role: Role  # which of a provider's hosts answers it (and greets with its name)

    @property
    def tls_label(self) -> str:
        """The TLS mode as the ``--describe`` JSON spells it."""
        return "implicit" if self.tls == "implicit" else "starttls"


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(
            "smtp", "smtp", 25, "starttls", "MTA ↔ MTA : relais, réception pour nos domaines", "mx"
        ),
        Service(
            "submission", "smtp", 587, "starttls", "MUA → MSA : soumission authentifiée", "smtp"
        ),
        Service(
            "submissions",
            "smtp",
            465,
            "implicit",
            "MUA → MSA : soumission sur TLS implicite",
            "smtp",
        ),
        Service("pop3", "pop3", 110, "starttls", "MUA ↔ MS : relève (STLS)", "pop"),
        Service("pop3s", "pop3", 995, "implicit", "MUA ↔ MS : relève sur TLS implicite", "pop"),
        Service("imap", "imap", 143, "starttls", "MUA ↔ MS : accès (STARTTLS)", "imap"),
        Service("imaps", "imap", 993, "implicit", "MUA ↔ MS : accès sur TLS implicite", "imap"),
    )
}


@dataclass(frozen=True)
class Host:
    """A server on the lab's Internet: its name and its (documentation) address."""

    name: str
    address: str


@dataclass(frozen=True)
class Provider:
    """A mail provider: one domain, its users, and one host per role, each with its address.

    Every host of a provider answers every standard port (small providers often run one
    machine under several names), but greets, signs ``Received:`` and presents a certificate
    under the name of the role that serves that port: ``smtp.example.com`` on 587,
    ``mx.example.com`` on 25…
    """

    domain: str
    users: tuple[User, ...]
    hosts: dict[Role, Host]
    #: DKIM selector of the domain's signing key (``<selector>._domainkey.<domain>``).
    dkim_selector: str = "labo2026"

    def host(self, role: Role) -> Host:
        return self.hosts[role]

    def hostname_for(self, service: Service) -> str:
        """The name the server of ``service`` greets with, e.g. ``mx.example.org`` on port 25."""
        return self.hosts[service.host_role].name

    @property
    def hostnames(self) -> tuple[str, ...]:
        """Every name under which this provider's servers are reached (certificate SANs)."""
        return tuple(host.name for host in self.hosts.values())

    @property
    def key(self) -> str:
        """A short identifier for file names and ports (``com``, ``org``)."""
        return self.domain.rpartition(".")[2]


def _provider(domain: str, network: str, users: tuple[User, ...]) -> Provider:
    """Hosts numbered after their best-known port: smtp .25… would clash, so .10/.25/.110/.143."""
    hosts: dict[Role, Host] = {
        "smtp": Host(f"smtp.{domain}", f"{network}.10"),
        "mx": Host(f"mx.{domain}", f"{network}.25"),
        "pop": Host(f"pop.{domain}", f"{network}.110"),
        "imap": Host(f"imap.{domain}", f"{network}.143"),
    }
    return Provider(domain, users, hosts)


ALICE = User("alice@example.com", "alice-secret", "alice@example.com", "Alice Martin")
BOB = User("bob@example.org", "bob-secret", "bob@example.org", "Bob Durand")

PROVIDERS: dict[str, Provider] = {
    p.domain: p
    for p in (
        _provider("example.com", "192.0.2", (ALICE,)),  # TEST-NET-1
        _provider("example.org", "198.51.100", (BOB,)),  # TEST-NET-2
    )
}

#: The third party: a server that may send for example.net only (TEST-NET-3).
OUTSIDER = Host("mail.example.net", "203.0.113.25")

#: Client devices connect from TEST-NET-3 home addresses with no PTR record, numbered in the
#: order they first connect during a scenario: 203.0.113.101, .102…
DEVICE_NETWORK = "203.0.113"
FIRST_DEVICE_HOST = 101

USERS: tuple[User, ...] = tuple(u for p in PROVIDERS.values() for u in p.users)
DOMAINS: tuple[str, ...] = tuple(PROVIDERS)


def provider_of(address_or_domain: str) -> Provider | None:
    """The provider hosting ``alice@example.com`` or ``example.com`` (case-insensitive)."""
    return PROVIDERS.get(address_or_domain.rpartition("@")[2].lower().rstrip("."))


def provider_by_address(address: str) -> Provider | None:
    """The provider one of whose hosts has the documentation address ``address``."""
    return next(
        (p for p in PROVIDERS.values() if any(h.address == address for h in p.hosts.values())),
        None,
    )


def user_by_login(login: str) -> User | None:
    """Return the user whose login is ``login`` (case-insensitive), if any."""
    login = login.lower()
    return next((u for u in USERS if u.login.lower() == login), None)


def user_by_address(address: str) -> User | None:
    """Return the user who receives mail at ``address`` (case-insensitive), if any."""
    address = address.lower()
    return next((u for u in USERS if u.address.lower() == address), None)
