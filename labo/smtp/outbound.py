"""The MTA's SMTP client: one queued message handed to the MX of its recipients' domain.

It does what Postfix's ``smtp`` delivery agent does (RFC 5321 §5.1, RFC 3207): ask DNS for the
domain's MX hosts, connect to the best one on port 25, use STARTTLS when offered (opportunistic:
no certificate check can be required of an MX), announce ``BODY=8BITMIME`` for an 8-bit body and
``SMTPUTF8`` when the message came with it or an address needs it (RFC 6152, RFC 6531 §3.4), and
report one outcome per recipient.

The lookups go to the lab's DNS server and are recorded; the addresses it returns are
documentation addresses, which are never contacted: ``connect_to`` maps each to the recording
proxy of that provider's port 25 on loopback, so the hop between providers is recorded too. An
address that belongs to no lab provider is not connected to at all (a temporary failure).
Blocking code: the MTA runs it in a thread.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence

from labo.dns.resolver import DnsUnavailable, DomainNotFound, LabResolver
from labo.identity import Provider
from labo.queue import Delivered, Outcome, Permanent, Temporary
from labo.wire.labels import REGISTRY, ClientInfo

#: How long the client waits for the MX at each step; every MX is on this machine.
TIMEOUT = 10.0

#: (documentation address, port 25) → loopback (host, port) of that MX's recording proxy.
Router = Callable[[str], tuple[str, int] | None]


class _MxClient(smtplib.SMTP):
    """smtplib, connecting to an MX's proxy while announcing itself as this provider's MTA.

    The socket is bound and registered before it connects, so the proxy records who this is
    (« MTA d’example.com », from its own address) and which MX name it asked for.
    """

    def __init__(self, mx_host: str, route: tuple[str, int], sender: Provider) -> None:
        self._route = route
        self._client = ClientInfo(
            f"MTA d’{sender.domain}", mx_host, address=sender.host("smtp").address
        )
        # Given the host, smtplib connects at once and keeps the name for STARTTLS's SNI, as it
        # would for a name found in DNS.
        super().__init__(mx_host, 25, local_hostname=sender.host("smtp").name, timeout=TIMEOUT)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.bind(("127.0.0.1", 0))
            REGISTRY.register(sock.getsockname()[1], self._client)
            sock.connect(self._route)
        except BaseException:
            sock.close()
            raise
        return sock


def send(
    message: bytes,
    *,
    mail_from: str,
    recipients: Sequence[str],
    smtputf8: bool = False,
    sender: Provider,
    resolver: LabResolver,
    route: Router,
    tls: ssl.SSLContext,
) -> dict[str, Outcome]:
    """Deliver ``message`` to the MX of the recipients' one domain; an outcome per recipient.

    ``smtputf8``: the message was submitted with ``SMTPUTF8``, which the next hop is told too.
    """
    domain = recipients[0].rpartition("@")[2].lower()
    # Replies in Postfix's words, not the resolver's French message: a reply ends up in the
    # non-delivery report's Diagnostic-Code field, which is ASCII (RFC 3464).
    lookup = f"Host or domain name not found. Name service error for name={domain} type=MX"
    try:
        hosts = resolver.mx_hosts(domain)
    except DomainNotFound:
        return _all(recipients, Permanent(f"550 5.1.2 {lookup}: Host not found"))
    except DnsUnavailable:
        return _all(recipients, Temporary(f"451 4.4.3 {lookup}: Host not found, try again"))
    last = Temporary(f"no MX host of {domain} could be reached", enhanced="4.4.1")
    for host in hosts:
        for address in resolver.addresses(host):
            target = route(address)
            if target is None:
                # No server of the lab's Internet answers there: as for a server that is down.
                last = _unreachable(host, address, "Connection refused")
                continue
            mx = (host, address, target)
            return _talk(mx, message, mail_from, recipients, smtputf8, sender, tls)
    return _all(recipients, last)


def _talk(
    mx: tuple[str, str, tuple[str, int]],
    message: bytes,
    mail_from: str,
    recipients: Sequence[str],
    smtputf8: bool,
    sender: Provider,
    tls: ssl.SSLContext,
) -> dict[str, Outcome]:
    host, address, target = mx
    try:
        client = _MxClient(host, target, sender)
    except OSError as error:
        return _all(recipients, _unreachable(host, address, error.strerror or str(error)))
    except smtplib.SMTPException as error:
        return _all(recipients, _unreachable(host, address, str(error)))
    try:
        client.ehlo()
        if client.has_extn("starttls"):  # opportunistic, as between real MTAs
            client.starttls(context=tls)
            client.ehlo()
        options = _mail_options(client, message, mail_from, recipients, smtputf8=smtputf8)
        refused = client.sendmail(mail_from, list(recipients), message, mail_options=options)
        client.quit()
    except smtplib.SMTPRecipientsRefused as error:
        _close(client)
        return {rcpt: _outcome(*error.recipients[rcpt], host) for rcpt in recipients}
    except smtplib.SMTPResponseException as error:  # MAIL or DATA refused
        _close(client)
        return _all(recipients, _outcome(error.smtp_code, error.smtp_error, host))
    except (smtplib.SMTPException, OSError) as error:
        _close(client)
        lost = f"lost connection with {host}[{address}]: {error}"
        return _all(recipients, Temporary(lost, enhanced="4.4.2"))
    return {
        rcpt: _outcome(*refused[rcpt], host) if rcpt in refused else Delivered()
        for rcpt in recipients
    }


def _mail_options(
    client: smtplib.SMTP,
    message: bytes,
    mail_from: str,
    recipients: Sequence[str],
    *,
    smtputf8: bool,
) -> list[str]:
    """The MAIL parameters in Postfix's order: ``BODY=8BITMIME``, then ``SMTPUTF8``."""
    options = []
    if client.has_extn("8bitmime") and any(byte >= 0x80 for byte in message):
        options.append("BODY=8BITMIME")
    utf8 = smtputf8 or not all(a.isascii() for a in (mail_from, *recipients))
    if client.has_extn("smtputf8") and utf8:
        options.append("SMTPUTF8")
    return options


def _unreachable(host: str, address: str, why: str) -> Temporary:
    """No SMTP conversation at all: Postfix's words and status 4.4.1, no reply code."""
    return Temporary(f"connect to {host}[{address}]:25: {why}", enhanced="4.4.1")


def _outcome(code: int, text: bytes | str, host: str) -> Outcome:
    reply = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    if 500 <= code < 600:
        return Permanent(reply, remote_mta=host)
    return Temporary(reply)


def _all(recipients: Sequence[str], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(recipients, outcome)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
