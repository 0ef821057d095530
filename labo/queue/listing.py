"""The queue as ``postqueue -p`` (or ``mailq``) prints it, for examples that show the queue.

Same columns as Postfix: queue id, size in bytes, arrival time (lab clock, UTC, in the C
locale's English like Postfix's), then the sender; each recipient still waiting follows on its
own line, after the reason of its last deferral in parentheses, right-aligned at column 78 (as
``showq_compat.c`` pads it to 76 characters). A null sender shows as ``MAILER-DAEMON``, as for
Postfix's own bounces; the total is in whole kilobytes, rounded down.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from labo.queue.entry import QueueEntry, is_null_sender

HEADER = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------"
EMPTY = "Mail queue is empty"
_RECIPIENT_COLUMN = 41
_REASON_WIDTH = 76
_NO_REASON = "reason unavailable"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def queue_listing(entries: Iterable[QueueEntry]) -> str:
    """The listing of ``entries`` (``MailQueue.entries()``), lines ending in ``\\n``."""
    entries = list(entries)
    if not entries:
        return EMPTY + "\n"
    lines = [HEADER]
    for entry in entries:
        lines.extend(_entry_lines(entry))
        lines.append("")
    total = sum(entry.size for entry in entries)
    plural = "s" if len(entries) > 1 else ""
    lines.append(f"-- {total // 1024} Kbytes in {len(entries)} Request{plural}.")
    return "\n".join(lines) + "\n"


def _entry_lines(entry: QueueEntry) -> list[str]:
    sender = "MAILER-DAEMON" if is_null_sender(entry.mail_from) else entry.mail_from
    lines = [f"{entry.id:<11}{entry.size:>8} {_asctime(entry.arrival)}  {sender}"]
    last_reason = ""
    for recipient in entry.recipients:
        if not recipient.to_try:
            continue
        reason = recipient.reason if recipient.status == "deferred" else ""
        if reason != last_reason:  # a new reason, or none after one: Postfix says so
            shown = reason or _NO_REASON
            lines.append(" " * max(_REASON_WIDTH - len(shown), 0) + f"({shown})")
        last_reason = reason
        lines.append(" " * _RECIPIENT_COLUMN + recipient.address)
    return lines


def _asctime(when: datetime) -> str:
    """``Mon Mar  2 09:00:00``: ``asctime`` without the year, whatever the process locale."""
    return (
        f"{_DAYS[when.weekday()]} {_MONTHS[when.month - 1]} {when.day:>2} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}"
    )
