"""Asking the lab's DNS: dnspython, pointed at the lab server and nothing else.

``LabResolver`` is what lab code uses (the MTA finds the recipient's MX with it);
``configure_default_resolver`` points dnspython's module-level resolver at the lab, so an example
can write ``dns.resolver.resolve("example.org", "MX")`` as against any DNS. Neither reads
/etc/resolv.conf. Each query leaves from a fresh socket bound to 127.0.0.1 and registered under
its port in ``labels.REGISTRY`` before anything is sent, so the server labels the lookup
(« MTA d’example.com ») without a race.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.resolver
import dns.reversename
from dns.rdatatype import RdataType
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.ANY.PTR import PTR
from dns.rdtypes.ANY.TXT import TXT
from dns.rdtypes.IN.A import A

from labo.dns.server import RESOLVER_NAME
from labo.wire.labels import REGISTRY, ClientInfo, current_label

#: The server is on the same machine: an answer that has not come by then will not come.
TIMEOUT = 2.0
LIFETIME = 5.0

_LOOPBACK = "127.0.0.1"


class DnsError(Exception):
    """A lookup that gave no usable answer; the message says why (French)."""


class DomainNotFound(DnsError):
    """No host takes mail for this domain: a permanent failure (non-delivery report)."""


class DnsUnavailable(DnsError):
    """The lab's DNS did not answer, or refused: a temporary failure."""


class LabNameserver(dns.nameserver.Do53Nameserver):
    """The lab server, queried from a socket registered under the asker's label.

    With no ``label``, each query takes the label of the code that asks (``labels.appareil``).
    """

    def __init__(self, address: str, port: int, label: str | None = None) -> None:
        super().__init__(address, port)
        self._label = label

    def query(
        self,
        request: dns.message.QueryMessage,
        timeout: float,
        source: str | None,
        source_port: int,
        max_size: bool,
        one_rr_per_rrset: bool = False,
        ignore_trailing: bool = False,
    ) -> dns.message.Message:
        kind = socket.SOCK_STREAM if max_size else socket.SOCK_DGRAM
        with self._registered_socket(kind) as sock:
            if max_size:
                sock.settimeout(timeout)
                sock.connect((self.address, self.port))
                sock.setblocking(False)  # dnspython waits with select, never in a blocking call
                return dns.query.tcp(
                    request,
                    self.address,
                    timeout=timeout,
                    port=self.port,
                    sock=sock,
                    one_rr_per_rrset=one_rr_per_rrset,
                    ignore_trailing=ignore_trailing,
                )
            sock.setblocking(False)
            return dns.query.udp(
                request,
                self.address,
                timeout=timeout,
                port=self.port,
                sock=sock,
                raise_on_truncation=True,
                one_rr_per_rrset=one_rr_per_rrset,
                ignore_trailing=ignore_trailing,
                ignore_errors=True,
                ignore_unexpected=True,
            )

    async def async_query(self, *args: Any, **kwargs: Any) -> dns.message.Message:
        raise NotImplementedError("le résolveur du labo est synchrone (dns.resolver)")

    def _registered_socket(self, kind: socket.SocketKind) -> socket.socket:
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind((_LOOPBACK, 0))
            label = self._label if self._label is not None else current_label()
            REGISTRY.register(sock.getsockname()[1], ClientInfo(label, RESOLVER_NAME))
        except BaseException:
            sock.close()
            raise
        return sock


def _resolver(host: str, port: int, label: str | None) -> dns.resolver.Resolver:
    """A dnspython resolver that knows only the lab server: no resolv.conf, no search list."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [LabNameserver(host, port, label)]
    resolver.timeout = TIMEOUT
    resolver.lifetime = LIFETIME
    resolver.search = []
    resolver.use_search_by_default = False
    return resolver


class LabResolver:
    """Lookups on the lab's DNS, shaped for mail: MX hosts, addresses, PTR and TXT records."""

    def __init__(self, server: tuple[str, int], label: str) -> None:
        host, port = server
        self._resolver = _resolver(host, port, label)

    def mx_hosts(self, domain: str) -> list[str]:
        """Where mail for ``domain`` goes, best first (RFC 5321 §5.1).

        MX records by preference (then name, for a fixed order); without MX, the domain itself
        when it has an address (the "implicit MX"). A null MX (RFC 7505), an unknown domain or
        one with neither raises ``DomainNotFound``.
        """
        answer = self._answer(domain, RdataType.MX)
        if answer is None:
            raise DomainNotFound(f"{domain}\u00a0: domaine inexistant (NXDOMAIN)")
        records = sorted(
            (record for record in answer if isinstance(record, MX)),
            key=lambda mx: (mx.preference, mx.exchange.to_text().lower()),
        )
        if any(mx.exchange == dns.name.root for mx in records):  # null MX (RFC 7505)
            raise DomainNotFound(f"{domain}\u00a0: le domaine ne reçoit pas de courrier (MX nul)")
        if records:
            return [_host(mx.exchange) for mx in records]
        if self.addresses(domain):
            return [_host(dns.name.from_text(domain))]
        raise DomainNotFound(
            f"{domain}\u00a0: ni MX ni adresse, aucun serveur ne reçoit son courrier"
        )

    def addresses(self, name: str) -> list[str]:
        """The IPv4 addresses of ``name``, in address order; empty when it has none."""
        answer = self._answer(name, RdataType.A) or []
        found = {record.address for record in answer if isinstance(record, A)}
        return sorted(found, key=ipaddress.ip_address)

    def ptr(self, address: str) -> str | None:
        """The name the owner of ``address`` gives it (reverse DNS); None when there is none."""
        answer = self._answer(dns.reversename.from_address(address), RdataType.PTR) or []
        names = sorted(_host(record.target) for record in answer if isinstance(record, PTR))
        return names[0] if names else None

    def txt(self, name: str) -> list[str] | None:
        """Each TXT record of ``name``, its strings joined; None when the name does not exist."""
        answer = self._answer(name, RdataType.TXT)
        if answer is None:
            return None
        values = [
            b"".join(record.strings).decode("utf-8", "backslashreplace")
            for record in answer
            if isinstance(record, TXT)
        ]
        return sorted(values)

    def records(self, name: str, rdtype: RdataType) -> list[Any] | None:
        """The records of ``name``/``rdtype`` as they came: None for NXDOMAIN, empty for NODATA;
        ``DnsUnavailable`` when the DNS does not answer. For code that words each case itself
        (the MTA says what Postfix says)."""
        return self._answer(name, rdtype)

    def _answer(self, name: str | dns.name.Name, rdtype: RdataType) -> list[Any] | None:
        """The records of ``name``/``rdtype``: None for NXDOMAIN, empty for NODATA."""
        try:
            answer = self._resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return None
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as error:
            raise DnsUnavailable(f"{name}\u00a0: le DNS du labo ne répond pas ({error})") from error
        return list(answer.rrset) if answer.rrset is not None else []


def _host(name: dns.name.Name) -> str:
    """A host name as mail code writes it: no final dot, lower case."""
    return name.to_text(omit_final_dot=True).lower()


def configure_default_resolver(
    host: str, port: int, label: str | None = None
) -> dns.resolver.Resolver:
    """Point ``dns.resolver.resolve`` & co. at the lab server (and at it only); returns it.

    Without ``label``, each lookup is labelled like the code that makes it (``appareil``).
    """
    resolver = _resolver(host, port, label)
    dns.resolver.default_resolver = resolver
    return resolver


def forget_default_resolver() -> None:
    """Undo ``configure_default_resolver``; dnspython sets itself up anew on its next use."""
    dns.resolver.default_resolver = None
