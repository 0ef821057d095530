"""The MTA's mail queue: store first, answer "queued as", deliver afterwards, bounce on failure.

``MailQueue`` keeps the messages on disk, ``QueueManager`` delivers them through an injected
transport on the lab clock's schedule (``RetryPolicy``), ``build_report`` writes the RFC 3464
non-delivery report and ``queue_listing`` prints the queue like ``postqueue -p``.
"""

from labo.queue.dsn import build_report
from labo.queue.entry import QueueEntry, RecipientState, is_null_sender
from labo.queue.listing import queue_listing
from labo.queue.manager import BounceSink, QueueManager, Transport
from labo.queue.outcome import Delivered, Outcome, Permanent, Temporary
from labo.queue.schedule import RetryPolicy
from labo.queue.store import MailQueue, QueueError

__all__ = [
    "BounceSink",
    "Delivered",
    "MailQueue",
    "Outcome",
    "Permanent",
    "QueueEntry",
    "QueueError",
    "QueueManager",
    "RecipientState",
    "RetryPolicy",
    "Temporary",
    "Transport",
    "build_report",
    "is_null_sender",
    "queue_listing",
]
