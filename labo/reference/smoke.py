"""The smoke check: Alice writes to Bob through both Postfix, Bob reads it from Dovecot.

It crosses every part at once: submission with STARTTLS and SASL (Postfix asks Dovecot),
relay from example.com's Postfix to example.org's, LMTP delivery, IMAP over implicit TLS.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage

from labo.identity import ALICE, BOB
from labo.reference.servers import ReferenceServers

SUBJECT = "Essai de bout en bout"


class SmokeError(RuntimeError):
    """The message did not arrive (message in French)."""


def _message() -> bytes:
    message = EmailMessage()
    message["From"] = f"{ALICE.display_name} <{ALICE.address}>"
    message["To"] = f"{BOB.display_name} <{BOB.address}>"
    message["Subject"] = SUBJECT
    message["Message-ID"] = "<essai@example.com>"
    message["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    message.set_content("Bonjour Bob,\n\nCeci passe par Postfix puis Dovecot.\n")
    return message.as_bytes()


def run_smoke(servers: ReferenceServers, report: Callable[[str], None] = print) -> None:
    """Submit, wait for the queues, read over IMAPS; report each step's duration."""
    context = ssl.create_default_context(cafile=servers.ca_file)
    started = time.perf_counter()

    def step(label: str) -> None:
        nonlocal started
        now = time.perf_counter()
        report(f"  {label}\u00a0: {(now - started) * 1000:.0f}\u00a0ms")
        started = now

    host, port = servers.endpoints[("example.com", "submission")]
    with smtplib.SMTP(host, port, local_hostname="ordinateur.example.com", timeout=10) as smtp:
        smtp.starttls(context=context)
        smtp.login(ALICE.login, ALICE.password)
        smtp.sendmail(ALICE.address, [BOB.address], _message())
    step("soumission (STARTTLS, AUTH) sur le 587 de example.com")
    servers.wait_for_queues_empty(timeout=10)
    step("relais vers example.org et remise par LMTP")
    host, port = servers.endpoints[("example.org", "imaps")]
    with imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=10) as imap:
        imap.login(BOB.login, BOB.password)
        imap.select("INBOX", readonly=True)
        _, found = imap.search(None, "SUBJECT", f'"{SUBJECT}"')
        imap.logout()
    if not found or not found[0]:
        raise SmokeError(
            f"Le message d’Alice n’est pas dans la boîte de Bob\u00a0: lisez {servers.root}/logs."
        )
    step("lecture par Bob en IMAPS sur example.org")
