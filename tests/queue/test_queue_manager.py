"""The queue manager: delivers what is due, retries on the lab clock, reports what failed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

import pytest
from queue_fakes import (
    MESSAGE,
    REPORTING_HOST,
    RecordingSink,
    ScriptedTransport,
    failed_recipients,
    report_fields,
)

from labo.clock import LabClock
from labo.queue import (
    MailQueue,
    Outcome,
    Permanent,
    QueueEntry,
    QueueManager,
    Temporary,
)

Run = Callable[[], None]
GREYLISTED = "451 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted"
UNKNOWN = "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"


def test_a_delivered_message_leaves_the_queue(
    queue: MailQueue, transport: ScriptedTransport, run_queue: Run
) -> None:
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    run_queue()
    assert transport.calls == [("0000000001", ("bob@example.org",), MESSAGE)]
    assert queue.entries() == []


def test_entries_are_delivered_one_at_a_time_in_queue_order(
    queue: MailQueue, transport: ScriptedTransport, run_queue: Run
) -> None:
    for n in range(5):
        queue.enqueue("alice@example.com", [f"u{n}@example.org"], MESSAGE)
    run_queue()
    assert [call[0] for call in transport.calls] == [f"000000000{n}" for n in range(1, 6)]


def test_a_temporary_failure_keeps_the_message_with_its_reply(
    queue: MailQueue, transport: ScriptedTransport, run_queue: Run
) -> None:
    transport.script["bob@example.org"] = [Temporary(GREYLISTED)]
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    run_queue()
    [entry] = queue.entries()
    assert (entry.recipients[0].status, entry.recipients[0].reply) == ("deferred", GREYLISTED)


def test_a_deferral_keeps_who_said_it_and_the_command_it_answered(
    queue: MailQueue, transport: ScriptedTransport, run_queue: Run
) -> None:
    transport.script["bob@example.org"] = [
        Temporary(
            GREYLISTED,
            remote_mta="mx.example.org",
            remote_address="198.51.100.25",
            in_reply_to="RCPT TO command",
        )
    ]
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    run_queue()
    [entry] = queue.entries()
    assert entry.recipients[0].reason == (
        f"host mx.example.org[198.51.100.25] said: {GREYLISTED} (in reply to RCPT TO command)"
    )


def test_a_deferred_message_is_not_retried_before_its_backoff(
    queue: MailQueue, clock: LabClock, transport: ScriptedTransport, run_queue: Run
) -> None:
    transport.script["bob@example.org"] = [Temporary(GREYLISTED)]
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    run_queue()
    clock.advance(timedelta(minutes=4))
    run_queue()
    assert len(transport.calls) == 1


def test_a_deferred_message_is_retried_once_the_clock_passes_its_backoff(
    queue: MailQueue, clock: LabClock, transport: ScriptedTransport, run_queue: Run
) -> None:
    transport.script["bob@example.org"] = [Temporary(GREYLISTED)]
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    run_queue()
    clock.advance(timedelta(minutes=5))
    run_queue()
    assert len(transport.calls) == 2
    assert queue.entries() == []


def test_the_second_retry_waits_ten_minutes(
    queue: MailQueue, clock: LabClock, transport: ScriptedTransport, run_queue: Run
) -> None:
    transport.script["bob@example.org"] = [Temporary(GREYLISTED), Temporary(GREYLISTED)]
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    run_queue()
    clock.advance(timedelta(minutes=5))
    run_queue()
    [entry] = queue.entries()
    assert entry.next_attempt == clock.peek() + timedelta(minutes=10)


def test_a_permanent_failure_sends_one_report_to_the_sender(
    queue: MailQueue, transport: ScriptedTransport, sink: RecordingSink, run_queue: Run
) -> None:
    transport.script["nobody@example.org"] = [Permanent(UNKNOWN, "mx.example.org")]
    queue.enqueue("alice@example.com", ["nobody@example.org"], MESSAGE)
    run_queue()
    run_queue()
    assert [(mail_from, to) for mail_from, to, _ in sink.reports] == [("<>", "alice@example.com")]
    assert queue.entries() == []


def test_the_report_of_a_permanent_failure_names_status_remote_mta_and_reply(
    queue: MailQueue, transport: ScriptedTransport, sink: RecordingSink, run_queue: Run
) -> None:
    transport.script["nobody@example.org"] = [Permanent(UNKNOWN, "mx.example.org")]
    queue.enqueue("alice@example.com", ["nobody@example.org"], MESSAGE)
    run_queue()
    [_, recipient] = report_fields(sink.reports[0][2])
    assert recipient == {
        "Final-Recipient": "rfc822; nobody@example.org",
        "Action": "failed",
        "Status": "5.1.1",
        "Remote-MTA": "dns; mx.example.org",
        "Diagnostic-Code": f"smtp; {UNKNOWN}",
    }


def test_mixed_outcomes_give_one_report_naming_only_the_failed_recipient(
    queue: MailQueue, transport: ScriptedTransport, sink: RecordingSink, run_queue: Run
) -> None:
    transport.script["nobody@example.org"] = [Permanent(UNKNOWN, "mx.example.org")]
    queue.enqueue("alice@example.com", ["bob@example.org", "nobody@example.org"], MESSAGE)
    run_queue()
    assert [failed_recipients(raw) for _, _, raw in sink.reports] == [["nobody@example.org"]]
    assert transport.delivered == ["bob@example.org"]
    assert queue.entries() == []


def test_a_delivered_recipient_is_not_tried_again_when_another_is_retried(
    queue: MailQueue, clock: LabClock, transport: ScriptedTransport, run_queue: Run
) -> None:
    transport.script["carol@example.org"] = [Temporary(GREYLISTED)]
    queue.enqueue("alice@example.com", ["bob@example.org", "carol@example.org"], MESSAGE)
    run_queue()
    clock.advance(timedelta(minutes=5))
    run_queue()
    assert [recipients for _, recipients, _ in transport.calls] == [
        ("bob@example.org", "carol@example.org"),
        ("carol@example.org",),
    ]


def test_a_message_still_deferred_after_five_days_is_returned_as_expired(
    queue: MailQueue,
    clock: LabClock,
    transport: ScriptedTransport,
    sink: RecordingSink,
    run_queue: Run,
) -> None:
    transport.script["bob@example.org"] = [Temporary(GREYLISTED)] * 2
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    run_queue()
    clock.advance(timedelta(days=5))
    run_queue()
    [_, recipient] = report_fields(sink.reports[0][2])
    assert (recipient["Status"], recipient["Diagnostic-Code"]) == ("4.7.1", f"smtp; {GREYLISTED}")
    assert queue.entries() == []


def test_a_failed_report_is_dropped_and_logged_never_bounced(
    queue: MailQueue,
    transport: ScriptedTransport,
    sink: RecordingSink,
    run_queue: Run,
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport.script["alice@example.com"] = [Permanent("550 5.1.1 User unknown")]
    queue.enqueue("<>", ["alice@example.com"], MESSAGE)
    with caplog.at_level(logging.WARNING, logger="labo.queue.manager"):
        run_queue()
    assert sink.reports == []
    assert queue.entries() == []
    assert "RFC 5321 §6.1" in caplog.text


def test_a_crashing_transport_defers_every_recipient(
    queue: MailQueue, sink: RecordingSink, run_queue: Run
) -> None:
    async def broken(entry: QueueEntry, recipients: Sequence[str]) -> Mapping[str, Outcome]:
        raise ConnectionResetError("connexion perdue")

    manager = QueueManager(queue, broken, sink, REPORTING_HOST)
    queue.enqueue("alice@example.com", ["bob@example.org", "carol@example.org"], MESSAGE)
    _kick_and_wait(manager)
    [entry] = queue.entries()
    assert [r.status for r in entry.recipients] == ["deferred", "deferred"]


def test_a_recipient_the_transport_forgot_is_deferred(
    queue: MailQueue, sink: RecordingSink
) -> None:
    async def forgetful(entry: QueueEntry, recipients: Sequence[str]) -> Mapping[str, Outcome]:
        return {}

    manager = QueueManager(queue, forgetful, sink, REPORTING_HOST)
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    _kick_and_wait(manager)
    assert queue.entries()[0].recipients[0].status == "deferred"


def test_a_report_the_sink_could_not_take_is_handed_over_on_a_later_run(
    queue: MailQueue, clock: LabClock, transport: ScriptedTransport
) -> None:
    handed: list[bytes] = []

    async def flaky_sink(mail_from: str, recipient: str, message: bytes) -> None:
        if not handed:
            handed.append(b"")
            raise OSError("disque plein")
        handed.append(message)

    transport.script["nobody@example.org"] = [Permanent(UNKNOWN, "mx.example.org")]
    manager = QueueManager(queue, transport, flaky_sink, REPORTING_HOST)
    queue.enqueue("alice@example.com", ["nobody@example.org"], MESSAGE)
    _kick_and_wait(manager)
    assert len(queue.entries()) == 1
    clock.advance(timedelta(minutes=5))
    _kick_and_wait(manager)
    assert failed_recipients(handed[1]) == ["nobody@example.org"]
    assert len(transport.calls) == 1
    assert queue.entries() == []


def test_a_report_queued_by_the_sink_is_delivered_in_the_same_run(
    queue: MailQueue, transport: ScriptedTransport
) -> None:
    manager: QueueManager

    async def requeue(mail_from: str, recipient: str, message: bytes) -> None:
        queue.enqueue(mail_from, [recipient], message)
        manager.kick()

    transport.script["nobody@example.org"] = [Permanent(UNKNOWN, "mx.example.org")]
    manager = QueueManager(queue, transport, requeue, REPORTING_HOST)
    queue.enqueue("alice@example.com", ["nobody@example.org"], MESSAGE)
    _kick_and_wait(manager)
    assert transport.calls[-1][:2] == ("0000000002", ("alice@example.com",))
    assert queue.entries() == []


def test_a_closed_manager_delivers_nothing(
    queue: MailQueue, transport: ScriptedTransport, manager: QueueManager
) -> None:
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    manager.close()
    _kick_and_wait(manager)
    assert transport.calls == []
    assert len(queue.entries()) == 1


def test_nothing_is_lost_or_duplicated_over_many_messages_and_mixed_outcomes(
    queue: MailQueue,
    clock: LabClock,
    transport: ScriptedTransport,
    sink: RecordingSink,
    run_queue: Run,
) -> None:
    submitted: list[str] = []
    for n in range(60):
        recipients = [f"u{n}-{k}@example.org" for k in range(1 + n % 3)]
        for k, address in enumerate(recipients):
            transport.script[address] = _script(n, k)
        queue.enqueue("alice@example.com", recipients, MESSAGE)
        submitted += recipients
    for _ in range(6):  # 5, 10, 20, 40 then 66 min 40 s: retries up to the fifth
        run_queue()
        clock.advance(timedelta(seconds=4000))
    run_queue()

    assert _tally(queue, transport, sink, submitted) == (60, 30, 30)
    clock.advance(timedelta(days=5))  # the queue lifetime: what is still queued comes back
    run_queue()
    assert _tally(queue, transport, sink, submitted) == (60, 60, 0)


def _tally(
    queue: MailQueue, transport: ScriptedTransport, sink: RecordingSink, submitted: list[str]
) -> tuple[int, int, int]:
    """Delivered, bounced and still queued recipients, checked to add up to those submitted."""
    delivered = transport.delivered
    bounced = [a for _, _, raw in sink.reports for a in failed_recipients(raw)]
    queued = [r.address for e in queue.entries() for r in e.recipients if r.to_try]
    assert sorted(delivered + bounced + queued) == sorted(submitted)
    return len(delivered), len(bounced), len(queued)


def _script(n: int, k: int) -> list[Outcome]:
    """Recipient k of message n: delivered at once, bounced, deferred twice, or never delivered."""
    match (n + k) % 4:
        case 0:
            return []
        case 1:
            return [Permanent(f"550 5.1.1 <u{n}-{k}@example.org>: User unknown")]
        case 2:
            return [Temporary(GREYLISTED)] * 2
        case _:
            return [Temporary("421 4.4.2 mx.example.org: timeout")] * 100


def _kick_and_wait(manager: QueueManager) -> None:
    async def kick_and_wait() -> None:
        manager.kick()
        await manager.wait_idle()

    asyncio.run(kick_and_wait())


def test_an_entry_that_cannot_be_processed_is_tried_once_per_run(
    queue: MailQueue, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    async def refusing(entry: QueueEntry, recipients: Sequence[str]) -> Mapping[str, Outcome]:
        calls.append(entry.id)
        if len(calls) > 1:
            manager.close()  # a second attempt in the same run: stop the loop and fail below
        return {r: Permanent(UNKNOWN) for r in recipients}

    manager = QueueManager(queue, refusing, sink, REPORTING_HOST)
    entry = queue.enqueue("alice@example.com", ["nobody@example.org"], MESSAGE)
    entry.message_path.unlink()  # the report cannot quote it: processing fails
    with caplog.at_level(logging.ERROR, logger="labo.queue.manager"):
        _kick_and_wait(manager)
    assert calls == [entry.id]
    assert "échec du traitement" in caplog.text
