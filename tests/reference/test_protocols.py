"""What Postfix and Dovecot answer, as the lab's examples will meet it.

The refusals recorded here are Postfix's real behaviour, which differs from the lab's: with
``smtpd_tls_auth_only=yes`` a MAIL before STARTTLS gets ``530 5.7.0``, but after STARTTLS a MAIL
without AUTH is accepted and the refusal comes at RCPT (``554 5.7.1``), not ``530`` at MAIL.
"""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import ssl

from labo.identity import ALICE, BOB
from labo.reference.listing import postqueue_listing
from labo.reference.servers import ReferenceServers

MESSAGE = (
    b"From: Alice Martin <alice@example.com>\r\nTo: Bob Durand <bob@example.org>\r\n"
    b"Subject: Rendez-vous\r\nMessage-ID: <rdv@example.com>\r\n"
    b"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\n\r\nA demain.\r\n"
)


def _submission(servers: ReferenceServers) -> smtplib.SMTP:
    host, port = servers.endpoints[("example.com", "submission")]
    return smtplib.SMTP(host, port, local_hostname="ordinateur.example.com", timeout=10)


def test_submitted_message_is_relayed_to_the_other_provider_and_read_over_imaps(
    reference: ReferenceServers, tls: ssl.SSLContext
) -> None:
    with _submission(reference) as smtp:
        smtp.starttls(context=tls)
        smtp.login(ALICE.login, ALICE.password)
        smtp.sendmail(ALICE.address, [BOB.address], MESSAGE)
    reference.wait_for_queues_empty(timeout=10)
    host, port = reference.endpoints[("example.org", "imaps")]
    with imaplib.IMAP4_SSL(host, port, ssl_context=tls, timeout=10) as imap:
        imap.login(BOB.login, BOB.password)
        imap.select("INBOX", readonly=True)
        _, data = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        imap.logout()
    assert b"Subject: Rendez-vous" in data[0][1]


def test_submission_refuses_mail_before_starttls_with_530(reference: ReferenceServers) -> None:
    with _submission(reference) as smtp:
        smtp.ehlo()
        code, text = smtp.mail(ALICE.address)
    assert (code, text) == (530, b"5.7.0 Must issue a STARTTLS command first")


def test_submission_accepts_mail_without_auth_and_refuses_at_rcpt_with_554(
    reference: ReferenceServers, tls: ssl.SSLContext
) -> None:
    with _submission(reference) as smtp:
        smtp.starttls(context=tls)
        smtp.ehlo()
        mail = smtp.mail(ALICE.address)
        rcpt = smtp.rcpt(BOB.address)
    assert mail[0] == 250
    assert rcpt == (554, b"5.7.1 <bob@example.org>: Recipient address rejected: Access denied")


def test_port_25_refuses_an_unknown_relay_permanently(reference: ReferenceServers) -> None:
    host, port = reference.endpoints[("example.org", "smtp")]
    with smtplib.SMTP(host, port, local_hostname="mail.example.net", timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("mallory@example.net")
        code, text = smtp.rcpt("quelquun@example.net")
    assert (code, text) == (554, b"5.7.1 <quelquun@example.net>: Relay access denied")


def test_pop3_stls_listener_upgrades_then_logs_in(
    reference: ReferenceServers, tls: ssl.SSLContext
) -> None:
    host, port = reference.endpoints[("example.org", "pop3")]
    pop = poplib.POP3(host, port, timeout=10)
    try:
        pop.stls(context=tls)
        pop.user(BOB.login)
        pop.pass_(BOB.password)
        assert pop.stat() == (0, 0)
    finally:
        pop.quit()


def test_imap_starttls_listener_disables_login_until_tls(
    reference: ReferenceServers, tls: ssl.SSLContext
) -> None:
    host, port = reference.endpoints[("example.com", "imap")]
    with imaplib.IMAP4(host, port, timeout=10) as imap:
        before = imap.capabilities
        imap.starttls(ssl_context=tls)
        status, _ = imap.login(ALICE.login, ALICE.password)
        imap.logout()
    assert "LOGINDISABLED" in before
    assert status == "OK"


def test_mail_for_example_net_waits_in_the_queue_its_server_being_down(
    reference: ReferenceServers, tls: ssl.SSLContext
) -> None:
    with _submission(reference) as smtp:
        smtp.starttls(context=tls)
        smtp.login(ALICE.login, ALICE.password)
        smtp.sendmail(ALICE.address, ["dave@example.net"], MESSAGE)
    reference.wait_for_queues_empty(timeout=10)
    listing = postqueue_listing(reference.config, reference.programs, "example.com")
    assert "(connect to mail.example.net[203.0.113.25]:25: Connection refused)" in listing
    assert "dave@example.net" in listing


def test_mail_for_outside_the_lab_bounces_back_to_the_sender(
    reference: ReferenceServers, tls: ssl.SSLContext
) -> None:
    with _submission(reference) as smtp:
        smtp.starttls(context=tls)
        smtp.login(ALICE.login, ALICE.password)
        smtp.sendmail(ALICE.address, ["quelquun@ailleurs.test"], MESSAGE)
    reference.wait_for_queues_empty(timeout=10)
    host, port = reference.endpoints[("example.com", "imaps")]
    with imaplib.IMAP4_SSL(host, port, ssl_context=tls, timeout=10) as imap:
        imap.login(ALICE.login, ALICE.password)
        imap.select("INBOX", readonly=True)
        _, data = imap.fetch("1", "(BODY.PEEK[TEXT])")
        imap.logout()
    assert b"destination hors du labo, aucun relais" in data[0][1]
