"""The queue on disk: stored before "queued as", re-readable, numbered the same on every run."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from queue_fakes import MESSAGE

from labo.clock import EPOCH, LabClock
from labo.queue import MailQueue, QueueError


def test_enqueue_has_written_the_message_and_its_envelope_when_it_returns(
    queue: MailQueue,
) -> None:
    entry = queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    assert entry.message_path.read_bytes() == MESSAGE
    assert (queue.directory / "entries" / f"{entry.id}.json").is_file()
    assert os.listdir(queue.directory / "tmp") == []


def test_an_entry_records_its_envelope_arrival_and_size(queue: MailQueue) -> None:
    entry = queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    assert (entry.mail_from, entry.arrival, entry.size) == (
        "alice@example.com",
        EPOCH,
        len(MESSAGE),
    )
    assert [(r.address, r.status) for r in entry.recipients] == [("bob@example.org", "pending")]


def test_a_queue_reopened_on_the_same_directory_sees_the_entries(
    queue: MailQueue, clock: LabClock
) -> None:
    entry = queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    reopened = MailQueue(queue.directory, clock)
    assert reopened.entries() == [entry]
    assert reopened.entries()[0].read_message() == MESSAGE


def test_a_saved_recipient_state_survives_reopening(queue: MailQueue, clock: LabClock) -> None:
    entry = queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    deferred = replace(entry.recipients[0], status="deferred", reply="451 4.7.1 Greylisted")
    queue.update(replace(entry, recipients=(deferred,), attempts=1, next_attempt=EPOCH))
    [reloaded] = MailQueue(queue.directory, clock).entries()
    assert reloaded.recipients == (deferred,)
    assert (reloaded.attempts, reloaded.next_attempt) == (1, EPOCH)


def test_queue_ids_are_ten_hex_digits_in_arrival_order(queue: MailQueue) -> None:
    ids = [queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE).id for _ in range(17)]
    assert ids[0] == "0000000001"
    assert ids[-1] == "0000000011"
    assert [e.id for e in queue.entries()] == ids


def test_a_reopened_queue_goes_on_numbering_where_it_stopped(
    queue: MailQueue, clock: LabClock
) -> None:
    first = queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    queue.remove(first.id)
    again = MailQueue(queue.directory, clock).enqueue("alice@example.com", ["b@example.org"], b"")
    assert again.id == "0000000002"


def test_an_id_prefix_keeps_ids_ten_characters_long(tmp_path: Path, clock: LabClock) -> None:
    queue = MailQueue(tmp_path, clock, id_prefix="C")
    assert queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE).id == "C000000001"


def test_remove_takes_the_entry_and_its_message_out(queue: MailQueue) -> None:
    entry = queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    queue.remove(entry.id)
    assert queue.entries() == []
    assert not entry.message_path.exists()


def test_removing_an_unknown_id_is_an_error(queue: MailQueue) -> None:
    with pytest.raises(QueueError, match="aucun message"):
        queue.remove("0000000009")


def test_a_message_without_recipients_is_refused(queue: MailQueue) -> None:
    with pytest.raises(QueueError, match="sans destinataire"):
        queue.enqueue("alice@example.com", [], MESSAGE)


def test_clear_empties_the_queue_and_numbers_from_one_again(queue: MailQueue) -> None:
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    queue.clear()
    assert queue.entries() == []
    assert queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE).id == "0000000001"


def test_two_runs_leave_byte_identical_queue_directories(tmp_path: Path) -> None:
    def run(directory: Path) -> dict[str, bytes]:
        queue = MailQueue(directory, LabClock())
        for n in range(3):
            queue.enqueue("alice@example.com", ["bob@example.org", f"u{n}@example.org"], MESSAGE)
        return {
            str(p.relative_to(directory)): p.read_bytes()
            for p in directory.rglob("*")
            if p.is_file()
        }

    assert run(tmp_path / "one") == run(tmp_path / "two")
