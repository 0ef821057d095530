"""Retries follow Postfix's backoff on the lab clock; five days in the queue is the limit."""

from __future__ import annotations

from datetime import timedelta

from labo.clock import EPOCH
from labo.queue import RetryPolicy


def test_the_first_retry_comes_five_minutes_after_the_first_failure() -> None:
    assert RetryPolicy().next_attempt(EPOCH, 1) == EPOCH + timedelta(minutes=5)


def test_each_retry_waits_twice_as_long_as_the_one_before() -> None:
    waits = [RetryPolicy().backoff(n) for n in (1, 2, 3, 4)]
    assert waits == [timedelta(minutes=m) for m in (5, 10, 20, 40)]


def test_the_wait_never_exceeds_sixty_six_minutes_forty() -> None:
    assert RetryPolicy().backoff(5) == timedelta(minutes=66, seconds=40)
    assert RetryPolicy().backoff(500) == timedelta(minutes=66, seconds=40)


def test_a_message_expires_after_five_days_in_the_queue() -> None:
    policy = RetryPolicy()
    assert not policy.expired(EPOCH, EPOCH + timedelta(days=5) - timedelta(seconds=1))
    assert policy.expired(EPOCH, EPOCH + timedelta(days=5))
