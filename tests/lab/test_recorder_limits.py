"""A kept transcript stops growing: a flood of short lines cannot exhaust the build's memory."""

from __future__ import annotations

from labo.wire import transcript
from labo.wire.transcript import MAX_KEPT_CHARACTERS, Recorder


def _flood(recorder: Recorder, lines: int, line: bytes) -> int:
    number = recorder.open("smtp", "client", "mx.example.org", 25)
    for _ in range(lines):
        recorder.line(number, "client", line)
    return number


def test_a_flood_of_short_lines_is_cut_at_the_limit_with_a_note() -> None:
    recorder = Recorder()
    line = b"NOOP" * 25  # 100 characters
    _flood(recorder, MAX_KEPT_CHARACTERS // 100 + 1000, line)
    events = recorder.snapshot().events
    kept = sum(len(event.text) for event in events)
    assert kept <= MAX_KEPT_CHARACTERS + 1000
    assert events[-1].kind == "note"
    assert events[-1].text == transcript.truncation_note(MAX_KEPT_CHARACTERS)


def test_the_note_names_the_limit_in_french() -> None:
    assert "transcription tronquée\u00a0: plus de 4\u202f000\u202f000 caractères" in (
        transcript.truncation_note(4_000_000)
    )


def test_clearing_the_recorder_lifts_the_limit_again() -> None:
    recorder = Recorder()
    _flood(recorder, MAX_KEPT_CHARACTERS // 100 + 10, b"x" * 100)
    recorder.clear()
    number = _flood(recorder, 1, b"NOOP")
    assert [e.text for e in recorder.snapshot().events if e.connection == number][-1] == "NOOP"


def test_a_sink_still_sees_every_event_past_the_limit() -> None:
    seen: list[str] = []
    recorder = Recorder(sink=lambda event: seen.append(event.kind))
    _flood(recorder, MAX_KEPT_CHARACTERS // 100 + 5, b"x" * 100)
    assert seen.count("client") == MAX_KEPT_CHARACTERS // 100 + 5
