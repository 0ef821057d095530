"""The queue listing reads like Postfix's ``postqueue -p``."""

from __future__ import annotations

from dataclasses import replace

from queue_fakes import MESSAGE  # 145 bytes

from labo.queue import MailQueue, queue_listing

GREYLISTED = "451 4.7.1 <carol@example.org>: Recipient address rejected: Greylisted"
PAD = " " * 41


def test_an_empty_queue_says_so(queue: MailQueue) -> None:
    assert queue_listing(queue.entries()) == "Mail queue is empty\n"


def test_an_entry_shows_id_size_arrival_sender_and_recipients(queue: MailQueue) -> None:
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    assert queue_listing(queue.entries()) == (
        "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
        "0000000001      145 Mon Mar  2 09:00:00  alice@example.com\n"
        f"{PAD}bob@example.org\n"
        "\n"
        "-- 1 Kbytes in 1 Request.\n"
    )


def test_a_deferred_recipient_follows_its_reason_in_parentheses(queue: MailQueue) -> None:
    entry = queue.enqueue("alice@example.com", ["bob@example.org", "carol@example.org"], MESSAGE)
    bob, carol = entry.recipients
    queue.update(
        replace(
            entry,
            recipients=(
                replace(bob, status="delivered"),
                replace(carol, status="deferred", reply=GREYLISTED),
            ),
        )
    )
    lines = queue_listing(queue.entries()).splitlines()
    assert lines[2:4] == [f"({GREYLISTED})", f"{PAD}carol@example.org"]
    assert "bob@example.org" not in "\n".join(lines)


def test_a_bounce_in_the_queue_shows_mailer_daemon_as_sender(queue: MailQueue) -> None:
    queue.enqueue("<>", ["alice@example.com"], MESSAGE)
    assert queue_listing(queue.entries()).splitlines()[1].endswith("  MAILER-DAEMON")


def test_the_summary_counts_kilobytes_and_requests(queue: MailQueue) -> None:
    for _ in range(3):
        queue.enqueue("alice@example.com", ["bob@example.org"], b"x" * 1000)
    assert queue_listing(queue.entries()).splitlines()[-1] == "-- 3 Kbytes in 3 Requests."
