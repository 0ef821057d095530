"""Test doubles for the mail queue: a scripted transport, a recording sink, a sample message.

The transport is a fake: each recipient gets the outcomes the test scripts for it, one per
attempt (``Delivered`` once none is left), and every call is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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

    async def __call__(self, entry: QueueEntry, recipients: Sequence[str]) -> Mapping[str, Outcome]:
        self.calls.append((entry.id, tuple(recipients), entry.read_message()))
        return {
            r: (self.script[r].pop(0) if self.script.get(r) else Delivered()) for r in recipients
        }

    def delivered_to(self, address: str) -> int:
        return sum(address in recipients for _, recipients, _ in self.calls)


@dataclass
class RecordingSink:
    """Keeps every report handed over: ``(mail_from, recipient, message)``."""

    reports: list[tuple[str, str, bytes]] = field(default_factory=list)

    async def __call__(self, mail_from: str, recipient: str, message: bytes) -> None:
        self.reports.append((mail_from, recipient, message))
