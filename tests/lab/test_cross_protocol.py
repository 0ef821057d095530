"""One store, three protocols: what a client does over one protocol, the others see at once.

Every test drives the whole lab (recording proxies included) with the stdlib clients, through
the lab host names on standard ports, exactly as the site's examples do.
"""

from __future__ import annotations

import contextlib
import email
import imaplib
import poplib
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from email.message import Message

import pytest

from labo.identity import PROVIDERS, USERS, Role, User
from labo.lab import Lab
from labo.scenario import current_lab

pytestmark = pytest.mark.usefixtures("lab_routed")

ALICE, BOB = USERS
CAROLE = "carole@fournisseur.test"  # a correspondent at another provider, whose MTA uses port 25
BOTH = f"{ALICE.address}, {BOB.address}"


def message(subject: str, *, sender: str = "alice@example.com", to: str = BOB.address) -> bytes:
    """A small message with the explicit Date and Message-ID an example would give."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\nMessage-ID: <{subject}@example.com>\r\n"
        f"\r\nBonjour.\r\n"
    ).encode()


# -- the three protocols, as a device would use them -------------------------------------------


def delivered() -> None:
    """The servers answered ``250 … queued``: wait until their MTAs have delivered, as a reader
    waiting for the message would."""
    current_lab().flush_queues()


def submit_on_587(recipients: list[str], data: bytes) -> None:
    """Alice's mail program: STARTTLS, AUTH, then the message (RFC 6409); her provider's MTA
    then delivers it, relaying to Bob's provider's MX when it is for Bob."""
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=ssl.create_default_context())
        smtp.login(ALICE.login, ALICE.password)
        assert smtp.sendmail(ALICE.address, recipients, data) == {}
    delivered()


def relay_on_25(recipients: list[str], data: bytes, *, envelope_sender: str = CAROLE) -> None:
    """Another provider's MTA handing mail to Bob's provider's MX: no AUTH, STARTTLS by choice."""
    with smtplib.SMTP("mx.example.org", 25, local_hostname="mx.fournisseur.test") as smtp:
        smtp.starttls(context=ssl.create_default_context())
        assert smtp.sendmail(envelope_sender, recipients, data) == {}
    delivered()


SENDERS: dict[str, Callable[[list[str], bytes], None]] = {
    "587": submit_on_587,
    "25": relay_on_25,
}

#: Whose ``From:`` each way in may carry: on port 25 a stranger may not pose as Alice (DMARC).
AUTHORS = {"587": ALICE.address, "25": CAROLE}


def host_of(user: User, role: Role) -> str:
    """The name of ``user``'s provider's server for ``role``: each reads at their own provider."""
    return PROVIDERS[user.domain].host(role).name


@contextlib.contextmanager
def pop3(user: User) -> Iterator[poplib.POP3_SSL]:
    """A POP3 session over TLS (port 995), ended by QUIT: the UPDATE state applies DELE."""
    client = poplib.POP3_SSL(host_of(user, "pop"), 995, context=ssl.create_default_context())
    client.user(user.login)
    client.pass_(user.password)
    yield client
    client.quit()


@contextlib.contextmanager
def imap(user: User) -> Iterator[imaplib.IMAP4_SSL]:
    """An IMAP session over TLS (port 993), logged in, ended by LOGOUT."""
    context = ssl.create_default_context()
    with imaplib.IMAP4_SSL(host_of(user, "imap"), ssl_context=context) as client:
        client.login(user.login, user.password)
        yield client


def pop3_messages(user: User) -> list[bytes]:
    """Every message of ``user``'s maildrop as POP3 RETR gives it, CRLF line ends restored."""
    with pop3(user) as client:
        count, _ = client.stat()
        return [b"".join(line + b"\r\n" for line in client.retr(n)[1]) for n in range(1, count + 1)]


def imap_messages(user: User) -> list[bytes]:
    """Every INBOX message of ``user`` as IMAP ``BODY.PEEK[]`` gives it."""
    with imap(user) as client:
        client.select("INBOX", readonly=True)
        _, found = client.search(None, "ALL")
        numbers = found[0].split()
        return [client.fetch(number, "(BODY.PEEK[])")[1][0][1] for number in numbers]


def pop3_uidls(user: User) -> list[bytes]:
    with pop3(user) as client:
        return client.uidl()[1]


def parsed(data: bytes) -> Message:
    return email.message_from_bytes(data)


def inbox_file_names(lab: Lab, user: User) -> list[str]:
    """The INBOX files as the store holds them (``new/`` or ``cur/``, name with flags)."""
    return [message.path.name for message in lab.store_of(user).messages(user)]


# -- SMTP delivery is seen by both readers ------------------------------------------------------


@pytest.mark.parametrize("port", SENDERS)
def test_message_delivered_over_smtp_is_retrieved_over_pop3(port: str) -> None:
    sent = message(f"pop3-{port}", sender=AUTHORS[port])
    SENDERS[port]([BOB.address], sent)
    (received,) = pop3_messages(BOB)
    assert received.endswith(sent)


@pytest.mark.parametrize("port", SENDERS)
def test_message_delivered_over_smtp_is_fetched_over_imap(port: str) -> None:
    sent = message(f"imap-{port}", sender=AUTHORS[port])
    SENDERS[port]([BOB.address], sent)
    (received,) = imap_messages(BOB)
    assert received.endswith(sent)


def test_message_delivered_over_smtp_is_announced_to_a_selected_imap_session_on_noop() -> None:
    with imap(BOB) as reader:
        assert reader.select("INBOX") == ("OK", [b"0"])
        submit_on_587([BOB.address], message("noop"))
        reader.noop()
        _, counts = reader.response("EXISTS")  # SELECT's own "* 0 EXISTS" comes first
        assert counts[-1] == b"1"


# -- POP3 deletions are seen by IMAP -------------------------------------------------------------


def test_pop3_dele_then_quit_is_reported_as_expunge_to_a_selected_imap_session() -> None:
    submit_on_587([BOB.address], message("dele-noop"))
    with imap(BOB) as reader:
        assert reader.select("INBOX") == ("OK", [b"1"])
        with pop3(BOB) as client:
            client.dele(1)
        reader.noop()
        assert reader.response("EXPUNGE") == ("EXPUNGE", [b"1"])


def test_pop3_dele_then_quit_leaves_an_empty_inbox_for_a_new_imap_select() -> None:
    submit_on_587([BOB.address], message("dele-select"))
    with pop3(BOB) as client:
        client.dele(1)
    with imap(BOB) as reader:
        assert reader.select("INBOX") == ("OK", [b"0"])


def test_pop3_dele_without_quit_leaves_the_message_for_imap() -> None:
    submit_on_587([BOB.address], message("dele-close"))
    client = poplib.POP3_SSL("pop.example.org", 995, context=ssl.create_default_context())
    client.user(BOB.login)
    client.pass_(BOB.password)
    client.dele(1)
    client.close()  # the connection ends without QUIT: no UPDATE state (RFC 1939 §6)
    with imap(BOB) as reader:
        assert reader.select("INBOX") == ("OK", [b"1"])


# -- IMAP changes are seen by POP3 ---------------------------------------------------------------


def test_imap_seen_flag_leaves_the_pop3_uidl_unchanged(lab_routed: Lab) -> None:
    submit_on_587([BOB.address], message("uidl"))
    before = pop3_uidls(BOB)
    with imap(BOB) as client:
        client.select("INBOX")
        client.store("1", "+FLAGS", "(\\Seen)")
    (name,) = inbox_file_names(lab_routed, BOB)
    assert name.endswith(":2,S")  # the flag did rename the file
    assert pop3_uidls(BOB) == before


def test_pop3_session_opened_before_an_imap_flag_change_still_retrieves_the_message() -> None:
    sent = message("renamed-retr")
    submit_on_587([BOB.address], sent)
    with pop3(BOB) as client:
        with imap(BOB) as other:
            other.select("INBOX")
            other.store("1", "+FLAGS", "(\\Seen)")  # renames the file under the POP3 session
        assert b"".join(line + b"\r\n" for line in client.retr(1)[1]).endswith(sent)


def test_pop3_session_opened_before_an_imap_flag_change_still_deletes_the_message() -> None:
    submit_on_587([BOB.address], message("renamed-dele"))
    with pop3(BOB) as client:
        with imap(BOB) as other:
            other.select("INBOX")
            other.store("1", "+FLAGS", "(\\Seen)")
        client.dele(1)
    with imap(BOB) as reader:
        assert reader.select("INBOX") == ("OK", [b"0"])


def test_imap_expunge_removes_the_message_for_pop3() -> None:
    submit_on_587([BOB.address], message("expunge"))
    with imap(BOB) as client:
        client.select("INBOX")
        client.store("1", "+FLAGS", "(\\Deleted)")
        client.expunge()
    with pop3(BOB) as reader:
        assert reader.stat() == (0, 0)


def test_imap_append_to_inbox_is_retrieved_over_pop3() -> None:
    appended = message("append", sender=BOB.address, to=BOB.address)
    with imap(BOB) as client:
        status, _ = client.append("INBOX", "", None, appended)
        assert status == "OK"
    assert pop3_messages(BOB) == [appended]


# -- delivery ------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", USERS, ids=[user.login for user in USERS])
def test_submission_to_both_providers_leaves_one_copy_in_each_mailbox(user: User) -> None:
    submit_on_587([ALICE.address, BOB.address], message("deux", to=BOTH))
    with pop3(user) as client:
        assert client.stat()[0] == 1


def test_each_copy_of_a_message_to_two_recipients_names_its_own_mailbox() -> None:
    submit_on_587([ALICE.address, BOB.address], message("deux", to=BOTH))
    delivered_to = [parsed(data)["Delivered-To"] for user in USERS for data in pop3_messages(user)]
    assert delivered_to == [ALICE.address, BOB.address]


def test_an_mx_refuses_to_relay_to_the_other_provider() -> None:
    with (
        smtplib.SMTP("mx.example.org", 25, local_hostname="mx.fournisseur.test") as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refusal,
    ):
        smtp.sendmail(CAROLE, [ALICE.address], message("relais", sender=CAROLE))
    assert refusal.value.recipients == {
        ALICE.address: (554, b"5.7.1 <alice@example.com>: Relay access denied")
    }


def test_a_message_from_one_provider_to_the_other_arrives_with_the_trace_headers_on_top() -> None:
    submit_on_587([BOB.address], message("trace"))
    (received,) = pop3_messages(BOB)
    assert parsed(received).keys()[:7] == [
        "Return-Path",
        "Delivered-To",
        "Received",  # by imap.example.org: the final delivery, stamped as Dovecot's LMTP does
        "Authentication-Results",  # Bob's MX, above its own Received
        "Received",  # by mx.example.org
        "Received",  # by smtp.example.com
        "DKIM-Signature",  # Alice's MSA, below its Received
    ]


def test_return_path_is_the_envelope_sender_not_the_from_header() -> None:
    relay_on_25(
        [BOB.address], message("rp", sender=CAROLE), envelope_sender="rebonds@fournisseur.test"
    )
    (received,) = pop3_messages(BOB)
    assert parsed(received)["Return-Path"] == "<rebonds@fournisseur.test>"


def test_delivered_to_is_the_envelope_recipient_not_the_to_header() -> None:
    relay_on_25([BOB.address], message("bcc", sender=CAROLE, to="undisclosed-recipients:;"))
    (received,) = pop3_messages(BOB)
    assert parsed(received)["Delivered-To"] == BOB.address


def test_received_names_the_client_the_server_and_the_tls_in_use() -> None:
    relay_on_25([BOB.address], message("received", sender=CAROLE))
    (received,) = pop3_messages(BOB)
    trace = " ".join(parsed(received).get_all("Received")[1].split())
    # the client connects from a home address with no reverse DNS: "unknown", as Postfix says
    assert re.fullmatch(
        r"from mx\.fournisseur\.test \(unknown \[203\.0\.113\.101\]\) "
        r"\(using TLSv1\.[23] with cipher [A-Z0-9_-]+ \(256/256 bits\)\) "
        r"\(No client certificate requested\) "
        r"by mx\.example\.org \(labo\) with ESMTPS id [0-9A-F]{10} for <bob@example\.org>; "
        r"Mon, 02 Mar 2026 09:00:\d\d \+0000",
        trace,
    )


def test_received_names_the_sending_provider_by_its_verified_reverse_dns_name() -> None:
    submit_on_587([BOB.address], message("relayed"))
    (received,) = pop3_messages(BOB)
    trace = " ".join(parsed(received).get_all("Received")[1].split())
    assert trace.startswith(
        "from smtp.example.com (smtp.example.com [192.0.2.10]) (using TLSv1.3 with cipher "
    )
    assert " by mx.example.org (labo) with ESMTPS id " in trace
