"""The lab clock can be read without ticking and moved ahead, for the queue's schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from labo.clock import EPOCH, LabClock


def test_peek_reads_the_time_without_moving_the_clock() -> None:
    clock = LabClock()
    assert clock.peek() == EPOCH
    assert clock.peek() == EPOCH
    assert clock.now() == EPOCH


def test_now_still_ticks_one_second_per_call() -> None:
    clock = LabClock()
    clock.now()
    assert clock.now() == EPOCH + timedelta(seconds=1)


def test_advance_moves_the_clock_ahead() -> None:
    clock = LabClock()
    clock.advance(timedelta(minutes=5))
    assert clock.now() == EPOCH + timedelta(minutes=5)


def test_reset_forgets_the_advance() -> None:
    clock = LabClock()
    clock.advance(timedelta(days=1))
    clock.reset()
    assert clock.now() == EPOCH


def test_the_clock_refuses_to_go_back() -> None:
    with pytest.raises(ValueError, match="ne recule pas"):
        LabClock().advance(timedelta(seconds=-1))
