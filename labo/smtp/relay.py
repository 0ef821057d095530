"""The MTA's hop to another domain: mail submitted for the other lab domain goes to its MX.

Alice (example.com) writes to Bob (example.org): the submission server hands the message to its
MTA, which looks up the MX of example.org and relays it there over SMTP on port 25, with
opportunistic STARTTLS and no AUTH (RFC 5321 §5.1, RFC 3207). Both domains live in this one lab,
so the "lookup" is the lab's naming rule (``mx.<domain>``) and the connection goes through the
recording proxy of the ``smtp`` service: the transcript shows the hop between servers too.

A real MTA queues the message, answers 250, then relays. The lab relays *before* answering, so
every run shows the connections in the same order; the pages say so.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence

from labo.context import LabContext
from labo.identity import Provider, provider_of
from labo.wire.labels import REGISTRY, ClientInfo

#: How long the relay waits for the MX at each step; the MX is on the same machine.
RELAY_TIMEOUT = 10.0


class RelayError(Exception):
    """The MX did not take the message."""


def relay_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def mx_name(domain: str) -> str:
    """The MX host name of a lab domain (what a DNS MX lookup would return)."""
    return f"mx.{domain}"


class _MxClient(smtplib.SMTP):
    """smtplib, connecting to the lab's MX proxy while announcing the MX host name.

    The socket is bound and registered before it connects, so the proxy records who this is
    (« MTA d'example.com ») and which name it asked for, without a name lookup.
    """

    def __init__(self, host: str, proxy_port: int, sender: Provider) -> None:
        self._proxy_port = proxy_port
        self._client = ClientInfo(
            f"MTA d'{sender.domain}", host, address=sender.host("smtp").address
        )
        # Given the host, smtplib connects at once and keeps the name for STARTTLS's SNI and
        # certificate check, as it would for a name found in DNS.
        super().__init__(
            host, 25, local_hostname=sender.host("smtp").name, timeout=RELAY_TIMEOUT
        )

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.bind(("127.0.0.1", 0))
            REGISTRY.register(sock.getsockname()[1], self._client)
            sock.connect(("127.0.0.1", self._proxy_port))
        except BaseException:
            sock.close()
            raise
        return sock


def relay(
    ctx: LabContext,
    *,
    sender_domain: str,
    mail_from: str,
    recipients: Sequence[str],
    message: bytes,
) -> None:
    """Hand ``message`` to the MX of the recipients' domain (blocking: run it in a thread)."""
    domains = {relay_domain(address) for address in recipients}
    if len(domains) != 1:
        raise RelayError(f"un relais par domaine, pas {sorted(domains)}")
    [domain] = domains
    sender = provider_of(sender_domain)
    if sender is None or (domain, "smtp") not in ctx.shared.proxy_ports:
        raise RelayError(f"pas de relais de {sender_domain} vers {domain} dans le labo")
    try:
        client = _MxClient(mx_name(domain), ctx.shared.proxy_ports[(domain, "smtp")], sender)
    except (smtplib.SMTPException, OSError, ValueError) as error:
        raise RelayError(str(error)) from error
    try:
        client.ehlo()
        if client.has_extn("starttls"):  # opportunistic, as between real MTAs
            client.starttls(context=ctx.tls.client_context())
            client.ehlo()
        refused = client.sendmail(mail_from, list(recipients), message)
        client.quit()
    except (smtplib.SMTPException, OSError, ValueError) as error:
        client.close()
        raise RelayError(str(error)) from error
    if refused:
        raise RelayError(f"destinataires refusés par le MX : {refused}")
