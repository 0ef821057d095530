"""The non-delivery report sent back to the sender of a message the queue could not deliver.

A ``multipart/report; report-type=delivery-status`` message (RFC 6522, formerly RFC 3462) whose
parts are the human-readable explanation (in French and English, like Postfix's in English), the
machine-readable ``message/delivery-status`` of RFC 3464, and the original message's headers
(``text/rfc822-headers``). It comes from ``MAILER-DAEMON`` and goes out with the null sender
``MAIL FROM:<>`` so that it can never cause a bounce of its own (RFC 5321 §6.1).

Everything in it is derived from the queue entry and the lab clock (date, boundary, Message-ID),
so two runs produce the same bytes; lines end in CRLF as on the wire.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.utils import format_datetime

from labo.queue.entry import QueueEntry, RecipientState
from labo.queue.outcome import enhanced_status, one_line

SUBJECT = "Undelivered Mail Returned to Sender"
SENDER_NAME = "Mail Delivery System"
_WIDTH = 72
_NBSP = "\u00a0"


def build_report(
    entry: QueueEntry,
    failed: Sequence[RecipientState],
    *,
    original: bytes,
    reporting_host: str,
    date: datetime,
    lifetime: timedelta = timedelta(days=5),
) -> bytes:
    """The report, as bytes ready for ``MAIL FROM:<>``, on the ``failed`` recipients of ``entry``.

    ``original`` is the queued message (only its headers are returned), ``date`` the lab-clock
    time of the report and ``lifetime`` the queue lifetime, named when a message expired.
    """
    stamp = f"{entry.id}.{int(date.timestamp())}"
    report = EmailMessage(policy=policy.SMTP)
    report["Date"] = format_datetime(date)
    report["From"] = f"{SENDER_NAME} <MAILER-DAEMON@{reporting_host}>"
    report["To"] = entry.mail_from.strip("<>")
    report["Subject"] = SUBJECT
    report["Message-ID"] = f"<{stamp}@{reporting_host}>"
    report["Auto-Submitted"] = "auto-replied"
    report["MIME-Version"] = "1.0"
    report["Content-Type"] = "multipart/report; report-type=delivery-status"
    report.set_param("boundary", f"{stamp}/{reporting_host}")
    report.attach(_notification(failed, reporting_host, lifetime))
    report.attach(_delivery_status(entry, failed, reporting_host))
    report.attach(_returned_headers(original))
    return report.as_bytes()


# -- the human-readable part --------------------------------------------------------------------


def _notification(
    failed: Sequence[RecipientState], reporting_host: str, lifetime: timedelta
) -> MIMEPart:
    french = [
        f"Ceci est le système de messagerie de l’hôte {reporting_host}.",
        "",
        _fill(
            "Nous avons le regret de vous informer que votre message n’a pas pu être remis à un"
            " ou plusieurs destinataires. Ses en-têtes sont joints ci-dessous."
        ),
        "",
        _fill("Pour obtenir de l’aide, écrivez à postmaster en joignant ce rapport."),
        "",
        "                   Le système de messagerie",
        "",
        *(_fill(_french_reason(r, lifetime), indent=True) for r in failed),
    ]
    english = [
        f"This is the mail system at host {reporting_host}.",
        "",
        _fill(
            "I'm sorry to have to inform you that your message could not be delivered to one"
            " or more recipients. Its headers are attached below."
        ),
        "",
        _fill("For further assistance, please send mail to postmaster and include this report."),
        "",
        "                   The mail system",
        "",
        *(_fill(_english_reason(r, lifetime), indent=True) for r in failed),
    ]
    part = MIMEPart(policy=policy.SMTP)
    text = "\n".join([*french, "", "-" * 40, "", *english]) + "\n"
    part.set_content(text, charset="utf-8", cte="quoted-printable")
    part["Content-Description"] = "Notification"
    return part


def _french_reason(recipient: RecipientState, lifetime: timedelta) -> str:
    reply = _french_reply(recipient)
    who = f"l’hôte {recipient.remote_mta}" if recipient.remote_mta else "le serveur distant"
    last = "dernière erreur" if recipient.enhanced else "dernière réponse"
    if recipient.expired:
        return (
            f"<{recipient.address}>{_NBSP}: message resté {_days_fr(lifetime)} dans la file sans"
            f" pouvoir être remis{_NBSP}; {last}{_NBSP}: {reply}"
        )
    if recipient.enhanced or recipient.in_reply_to:
        return f"<{recipient.address}>{_NBSP}: {reply}"
    return f"<{recipient.address}>{_NBSP}: {who} a répondu{_NBSP}: {reply}"


#: The commands of Postfix's ``(in reply to …)``, in French.
_COMMANDS_FR = {
    "MAIL FROM command": "la commande MAIL FROM",
    "RCPT TO command": "la commande RCPT TO",
    "DATA command": "la commande DATA",
    "end of DATA command": "la fin des données (DATA)",
}


def _french_reply(recipient: RecipientState) -> str:
    """The reply, or Postfix's ``host … said: … (in reply to …)`` said in French."""
    reply = one_line(recipient.reply or "")
    if not (recipient.in_reply_to and recipient.remote_mta):
        return reply
    host = recipient.remote_mta
    if recipient.remote_address:
        host += f"[{recipient.remote_address}]"
    command = _COMMANDS_FR.get(recipient.in_reply_to, recipient.in_reply_to)
    return f"l’hôte {host} a répondu{_NBSP}: {reply} (en réponse à {command})"


def _english_reason(recipient: RecipientState, lifetime: timedelta) -> str:
    reply = recipient.reason
    who = f"host {recipient.remote_mta}" if recipient.remote_mta else "the remote server"
    last = "last error" if recipient.enhanced else "last reply"
    if recipient.expired:
        return (
            f"<{recipient.address}>: message could not be delivered for {_days_en(lifetime)};"
            f" {last}: {reply}"
        )
    if recipient.enhanced or recipient.in_reply_to:
        return f"<{recipient.address}>: {reply}"
    return f"<{recipient.address}>: {who} said: {reply}"


def _days_fr(lifetime: timedelta) -> str:
    return f"{lifetime.days}{_NBSP}jour" + ("s" if lifetime.days > 1 else "")


def _days_en(lifetime: timedelta) -> str:
    return f"{lifetime.days} day" + ("s" if lifetime.days != 1 else "")


def _fill(text: str, *, indent: bool = False) -> str:
    """Wrapped like Postfix's report: 72 columns, continuation lines indented for a reason."""
    return textwrap.fill(
        text,
        width=_WIDTH,
        subsequent_indent="    " if indent else "",
        break_long_words=False,
        break_on_hyphens=False,
    )


# -- the machine-readable part (RFC 3464) -------------------------------------------------------


def _delivery_status(
    entry: QueueEntry, failed: Sequence[RecipientState], reporting_host: str
) -> MIMEPart:
    per_message = _fields(
        ("Reporting-MTA", f"dns; {reporting_host}"),
        ("X-Lab-Queue-ID", entry.id),
        ("Arrival-Date", format_datetime(entry.arrival)),
    )
    per_recipient = [_recipient_fields(r) for r in failed]
    part = MIMEPart(policy=policy.SMTP)
    part["Content-Description"] = "Delivery report"
    part["Content-Type"] = "message/delivery-status"
    part.set_payload([per_message, *per_recipient])
    return part


def _recipient_fields(recipient: RecipientState) -> Message:
    """Status and diagnostic: a server's reply is an ``smtp`` one; a failure without a reply
    (no connection) is described in the MTA's own words, typed ``X-Postfix`` as Postfix does
    (RFC 3464 §2.3.6: a diagnostic type of the MTA's own)."""
    reply = one_line(recipient.reply or "")
    status = recipient.enhanced or enhanced_status(reply, permanent=not recipient.expired)
    fields = [
        ("Final-Recipient", f"rfc822; {recipient.address}"),
        ("Action", "failed"),
        ("Status", status),
    ]
    if recipient.remote_mta:
        fields.append(("Remote-MTA", f"dns; {recipient.remote_mta}"))
    if reply:
        kind = "X-Postfix" if recipient.enhanced else "smtp"
        fields.append(("Diagnostic-Code", f"{kind}; {reply}"))
    return _fields(*fields)


def _fields(*pairs: tuple[str, str]) -> Message:
    """One block of ``name: value`` fields (RFC 3464 §2.1), each folded to 78 columns.

    ``email`` would fold a long ``Diagnostic-Code`` right after its colon; folded here at the
    last space that fits, with one space of continuation, it reads well and unfolds to the
    exact reply. A compat32 block keeps the folding as given.
    """
    block = Message()
    for name, value in pairs:
        block[name] = _folded(name, value)
    return block


def _folded(name: str, value: str) -> str:
    lines = textwrap.wrap(
        f"{name}: {value}",
        width=78,
        subsequent_indent=" ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines).removeprefix(f"{name}: ")


# -- the returned headers -----------------------------------------------------------------------


def _returned_headers(original: bytes) -> MIMEPart:
    """The original header section (RFC 6522 §4: headers only keeps the report small)."""
    end = min(
        (i for i in (original.find(b"\r\n\r\n"), original.find(b"\n\n")) if i >= 0), default=-1
    )
    section = original if end < 0 else original[:end]
    part = MIMEPart(policy=policy.SMTP)
    part["Content-Description"] = "Undelivered Message Headers"
    part["Content-Type"] = "text/rfc822-headers"
    if not section.isascii():
        part["Content-Transfer-Encoding"] = "8bit"
    part.set_payload(section.decode("ascii", "surrogateescape").replace("\r\n", "\n") + "\n")
    return part
