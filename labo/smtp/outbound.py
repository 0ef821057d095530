"""The MTA's SMTP client: one queued message handed to the MX of its recipients' domain.

It does what Postfix's ``smtp`` delivery agent does (RFC 5321 §5.1, RFC 3207): ask DNS for the
domain's MX hosts (``labo.smtp.nexthop``), connect to the best one on port 25, use STARTTLS when
offered (opportunistic: no certificate check can be required of an MX), announce
``BODY=8BITMIME`` for an 8-bit body and ``SMTPUTF8`` when the message came with it or an address
needs it (RFC 6152, RFC 6531 §3.4), and report one outcome per recipient: a refusal keeps the
reply, who sent it and to which command.

The lookups go to the lab's DNS server and are recorded; the addresses it returns are
documentation addresses, which are never contacted: ``connect_to`` maps each to the recording
proxy of that provider's port 25 on loopback, so the hop between providers is recorded too. An
address that belongs to no lab provider is not connected to at all (a temporary failure).
Blocking code: the MTA runs it in a thread.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence

from labo.dns.resolver import LabResolver
from labo.identity import Provider
from labo.queue import Delivered, Outcome, Permanent, Temporary
from labo.smtp.nexthop import NextHop, NoNextHop, next_hops
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
    try:
        hops = next_hops(resolver, domain)
    except NoNextHop as failure:
        return _all(recipients, failure.outcome)
    last: Outcome = Temporary(f"no MX host of {domain} could be reached", enhanced="4.4.1")
    for hop in hops:
        target = route(hop.address)
        if target is None:
            # No server of the lab's Internet answers there: as for a server that is down.
            last = _unreachable(hop, "Connection refused")
            continue
        return _talk(hop, target, message, mail_from, recipients, smtputf8, sender, tls)
    return _all(recipients, last)


def _talk(
    hop: NextHop,
    target: tuple[str, int],
    message: bytes,
    mail_from: str,
    recipients: Sequence[str],
    smtputf8: bool,
    sender: Provider,
    tls: ssl.SSLContext,
) -> dict[str, Outcome]:
    try:
        client = _MxClient(hop.host, target, sender)
    except OSError as error:
        return _all(recipients, _unreachable(hop, error.strerror or str(error)))
    except smtplib.SMTPException as error:
        return _all(recipients, _unreachable(hop, str(error)))
    try:
        client.ehlo()
        if client.has_extn("starttls"):  # opportunistic, as between real MTAs
            client.starttls(context=tls)
            client.ehlo()
        options = _mail_options(client, message, mail_from, recipients, smtputf8=smtputf8)
        outcomes = _transaction(client, hop, message, mail_from, recipients, options)
        client.quit()
    except (smtplib.SMTPException, OSError) as error:
        _close(client)
        lost = f"lost connection with {hop.host}[{hop.address}]: {error}"
        return _all(recipients, Temporary(lost, enhanced="4.4.2"))
    return outcomes


def _transaction(
    client: smtplib.SMTP,
    hop: NextHop,
    message: bytes,
    mail_from: str,
    recipients: Sequence[str],
    options: list[str],
) -> dict[str, Outcome]:
    """MAIL, RCPT for each recipient, DATA: ``smtplib.sendmail``'s steps (same commands, same
    RSET after a refusal), each refusal kept with the command it answered, as Postfix reports
    it (``smtp_proto.c``: ``… (in reply to RCPT TO command)``)."""
    if client.has_extn("size"):
        options = [f"size={len(message)}", *options]
    code, text = client.mail(mail_from, options)
    if code != 250:
        _rset(client)
        return _all(recipients, _refusal(code, text, hop, "MAIL FROM command"))
    outcomes: dict[str, Outcome] = {}
    for rcpt in recipients:
        code, text = client.rcpt(rcpt)
        if code not in (250, 251):
            outcomes[rcpt] = _refusal(code, text, hop, "RCPT TO command")
    accepted = [rcpt for rcpt in recipients if rcpt not in outcomes]
    if not accepted:
        _rset(client)
        return outcomes
    try:
        code, text = client.data(message)
        command = "end of DATA command"
    except smtplib.SMTPDataError as error:  # DATA itself refused: no 354
        code, text, command = error.smtp_code, error.smtp_error, "DATA command"
    if code != 250:
        if command != "DATA command":
            _rset(client)
        outcomes.update(_all(accepted, _refusal(code, text, hop, command)))
    else:
        outcomes.update(_all(accepted, Delivered()))
    return {rcpt: outcomes[rcpt] for rcpt in recipients}


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


def _unreachable(hop: NextHop, why: str) -> Temporary:
    """No SMTP conversation at all: Postfix's words and status 4.4.1, no reply code."""
    return Temporary(f"connect to {hop.host}[{hop.address}]:25: {why}", enhanced="4.4.1")


def _refusal(code: int, text: bytes | str, hop: NextHop, command: str) -> Outcome:
    """The next hop's 4xx or 5xx to ``command``, kept with who said it and to what."""
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    refusal = Permanent if 500 <= code < 600 else Temporary
    return refusal(
        f"{code} {said}", remote_mta=hop.host, remote_address=hop.address, in_reply_to=command
    )


def _all(recipients: Sequence[str], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(recipients, outcome)


def _rset(client: smtplib.SMTP) -> None:
    """RSET after a refusal, as ``smtplib.sendmail`` does: a server gone by then changes nothing."""
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        client.rset()


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
