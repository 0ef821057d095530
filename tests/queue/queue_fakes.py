"""Test doubles for the mail queue: a scripted transport, a recording sink, a sample message.

The transport is a fake: each recipient gets the outcomes the test scripts for it, one per
attempt (``Delivered`` once none is left), and every call is recorded.
"""

from __future__ import annotations

import email
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from labo.queue import Delivered, Outcome, QueueEntry

REPORTING_HOST = "smtp.example.com"

MESSAGE = (
    b"From: Alice Martin <alice@example.com>\r\n"
    b"To: Bob Durand <bob@example.org>\r\n"
    b"Subject: Rendez-vous\r\n"
    b"Message-ID: <rdv-1@example.com>\r\n"
    b"\r\n"
    b"Bonjour Bob,\r\n"
)


@dataclass
class ScriptedTransport:
    """Answers each recipient with its next scripted outcome (``Delivered`` once none is left)."""

    script: dict[str, list[Outcome]] = field(default_factory=dict)
    calls: list[tuple[str, tuple[str, ...], bytes]] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)

    async def __call__(self, entry: QueueEntry, recipients: Sequence[str]) -> Mapping[str, Outcome]:
        self.calls.append((entry.id, tuple(recipients), entry.read_message()))
        outcomes = {r: self._next(r) for r in recipients}
        self.delivered += [r for r, outcome in outcomes.items() if isinstance(outcome, Delivered)]
        return outcomes

    def _next(self, recipient: str) -> Outcome:
        planned = self.script.get(recipient)
        return planned.pop(0) if planned else Delivered()


@dataclass
class RecordingSink:
    """Keeps every report handed over: ``(mail_from, recipient, message)``."""

    reports: list[tuple[str, str, bytes]] = field(default_factory=list)

    async def __call__(self, mail_from: str, recipient: str, message: bytes) -> None:
        self.reports.append((mail_from, recipient, message))


def parse_report(raw: bytes) -> EmailMessage:
    """A report parsed back with ``email``, as a mail client would read it."""
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def report_fields(raw: bytes) -> list[dict[str, str]]:
    """The field blocks of the report's ``message/delivery-status`` part, per message first."""
    status = next(
        p for p in parse_report(raw).walk() if p.get_content_type() == "message/delivery-status"
    )
    return [dict(block.items()) for block in status.get_payload()]


def failed_recipients(raw: bytes) -> list[str]:
    """The ``Final-Recipient`` addresses a report names."""
    return [block["Final-Recipient"].removeprefix("rfc822; ") for block in report_fields(raw)[1:]]
