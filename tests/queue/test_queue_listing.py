"""The queue listing reads like Postfix's ``postqueue -p``."""

from __future__ import annotations

from dataclasses import replace

from queue_fakes import MESSAGE  # 145 bytes

from labo.queue import MailQueue, queue_listing

GREYLISTED = "451 4.7.1 <carol@example.org>: Recipient address rejected: Greylisted"
REFUSED = "connect to mail.example.net[203.0.113.25]:25: Connection refused"
PAD = " " * 41


def deferred(queue: MailQueue, *replies: str | None) -> list[str]:
    """The listing of one entry whose recipients are deferred with ``replies`` (None: pending)."""
    addresses = [f"user{n}@example.net" for n in range(len(replies))]
    entry = queue.enqueue("alice@example.com", addresses, MESSAGE)
    states = tuple(
        state if reply is None else replace(state, status="deferred", reply=reply)
        for state, reply in zip(entry.recipients, replies, strict=True)
    )
    queue.update(replace(entry, recipients=states))
    return queue_listing(queue.entries()).splitlines()


def test_an_empty_queue_says_so(queue: MailQueue) -> None:
    assert queue_listing(queue.entries()) == "Mail queue is empty\n"


def test_an_entry_shows_id_size_arrival_sender_and_recipients(queue: MailQueue) -> None:
    queue.enqueue("alice@example.com", ["bob@example.org"], MESSAGE)
    assert queue_listing(queue.entries()) == (
        "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
        "0000000001      145 Mon Mar  2 09:00:00  alice@example.com\n"
        f"{PAD}bob@example.org\n"
        "\n"
        "-- 0 Kbytes in 1 Request.\n"
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
    assert [line.strip() for line in lines[2:4]] == [f"({GREYLISTED})", "carol@example.org"]
    assert "bob@example.org" not in "\n".join(lines)


def test_a_reason_is_padded_to_76_characters_as_postfix_pads_it(queue: MailQueue) -> None:
    assert deferred(queue, REFUSED)[2] == " " * 12 + f"({REFUSED})"


def test_a_reason_too_long_to_pad_starts_the_line(queue: MailQueue) -> None:
    long_reason = "x" * 80
    assert deferred(queue, long_reason)[2] == f"({long_reason})"


def test_a_reason_shared_by_the_next_recipient_is_not_repeated(queue: MailQueue) -> None:
    lines = deferred(queue, REFUSED, REFUSED)
    assert lines[2:5] == [
        " " * 12 + f"({REFUSED})",
        f"{PAD}user0@example.net",
        f"{PAD}user1@example.net",
    ]


def test_a_recipient_without_a_reason_after_one_with_a_reason_says_so(queue: MailQueue) -> None:
    lines = deferred(queue, REFUSED, None)
    assert lines[4:6] == [" " * 58 + "(reason unavailable)", f"{PAD}user1@example.net"]


def test_a_bounce_in_the_queue_shows_mailer_daemon_as_sender(queue: MailQueue) -> None:
    queue.enqueue("<>", ["alice@example.com"], MESSAGE)
    assert queue_listing(queue.entries()).splitlines()[1].endswith("  MAILER-DAEMON")


def test_the_summary_counts_whole_kilobytes_rounded_down_and_requests(queue: MailQueue) -> None:
    for _ in range(3):
        queue.enqueue("alice@example.com", ["bob@example.org"], b"x" * 1000)
    assert queue_listing(queue.entries()).splitlines()[-1] == "-- 2 Kbytes in 3 Requests."


def test_a_reply_is_listed_with_the_host_that_said_it_and_the_command_it_answered(
    queue: MailQueue,
) -> None:
    entry = queue.enqueue("alice@example.com", ["carol@example.org"], MESSAGE)
    said = replace(
        entry.recipients[0],
        status="deferred",
        reply=GREYLISTED,
        remote_mta="mx.example.org",
        remote_address="198.51.100.25",
        in_reply_to="RCPT TO command",
    )
    queue.update(replace(entry, recipients=(said,)))
    assert queue_listing(queue.entries()).splitlines()[2] == (
        f"(host mx.example.org[198.51.100.25] said: {GREYLISTED} (in reply to RCPT TO command))"
    )
