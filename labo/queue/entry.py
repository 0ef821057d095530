"""One queued message: its envelope and where each recipient stands.

A message stays in the queue until every recipient is either delivered or bounced *and* the
sender has been told about the bounces: that is the rule that keeps mail from being lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from labo.queue.outcome import reason

#: ``pending``: never tried; ``deferred``: a 4xx, to be retried; ``delivered`` and ``bounced``
#: are final.
Status = Literal["pending", "delivered", "deferred", "bounced"]


def is_null_sender(mail_from: str) -> bool:
    """True for the null reverse-path ``MAIL FROM:<>`` of bounces (aiosmtpd says ``"<>"``)."""
    return mail_from in ("", "<>")


@dataclass(frozen=True)
class RecipientState:
    """Where one recipient of a queued message stands.

    ``reply`` is the last reply of the next hop (the deferral or the refusal), sent by
    ``remote_mta`` (``remote_address``) in reply to the command ``in_reply_to``, or with
    ``enhanced`` (its RFC 3463 status) the MTA's own words for a failure without a reply. For a
    bounce, ``expired`` says the queue gave up after its lifetime rather than on a 5xx, and
    ``reported`` that the non-delivery report has been handed over (or dropped, for a null
    sender).
    """

    address: str
    status: Status = "pending"
    reply: str | None = None
    remote_mta: str | None = None
    enhanced: str | None = None
    expired: bool = False
    reported: bool = False
    remote_address: str | None = None
    in_reply_to: str | None = None

    @property
    def reason(self) -> str:
        """The last failure as Postfix words it (``host … said: … (in reply to …)``)."""
        return reason(
            self.reply or "",
            remote_mta=self.remote_mta,
            remote_address=self.remote_address,
            in_reply_to=self.in_reply_to,
        )

    @property
    def to_try(self) -> bool:
        return self.status in ("pending", "deferred")

    @property
    def to_report(self) -> bool:
        return self.status == "bounced" and not self.reported


@dataclass(frozen=True)
class QueueEntry:
    """A message in the queue: id, envelope, arrival (lab clock), size and recipients' states."""

    id: str
    mail_from: str
    arrival: datetime
    size: int
    recipients: tuple[RecipientState, ...]
    message_path: Path
    attempts: int = 0
    next_attempt: datetime | None = None  # None: due at once
    smtputf8: bool = False  # the client asked for SMTPUTF8: the next hop is asked too

    @property
    def finished(self) -> bool:
        """Nothing left to try and nothing left to report: the entry may leave the queue."""
        return not any(r.to_try or r.to_report for r in self.recipients)

    def is_due(self, now: datetime) -> bool:
        return self.next_attempt is None or self.next_attempt <= now

    def read_message(self) -> bytes:
        return self.message_path.read_bytes()

    def with_recipients(self, recipients: tuple[RecipientState, ...]) -> QueueEntry:
        return replace(self, recipients=recipients)

    # -- the state file ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mail_from": self.mail_from,
            "arrival": self.arrival.isoformat(),
            "size": self.size,
            "attempts": self.attempts,
            "next_attempt": None if self.next_attempt is None else self.next_attempt.isoformat(),
            "smtputf8": self.smtputf8,
            "recipients": [
                {
                    "address": r.address,
                    "status": r.status,
                    "reply": r.reply,
                    "remote_mta": r.remote_mta,
                    "enhanced": r.enhanced,
                    "expired": r.expired,
                    "reported": r.reported,
                    "remote_address": r.remote_address,
                    "in_reply_to": r.in_reply_to,
                }
                for r in self.recipients
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], message_path: Path) -> QueueEntry:
        next_attempt = data["next_attempt"]
        return cls(
            id=data["id"],
            mail_from=data["mail_from"],
            arrival=datetime.fromisoformat(data["arrival"]),
            size=data["size"],
            recipients=tuple(RecipientState(**r) for r in data["recipients"]),
            message_path=message_path,
            attempts=data["attempts"],
            next_attempt=None if next_attempt is None else datetime.fromisoformat(next_attempt),
            smtputf8=data.get("smtputf8", False),
        )
