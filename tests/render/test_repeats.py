"""A queue retried for days asks the DNS the same questions a hundred times: the transcript and
the diagram keep the first and last lookups in view and fold the others, losing none."""

from __future__ import annotations

import html
import re

from labo.render.diagram.steps import build_diagram
from labo.render.repeats import FOLD_AFTER, KEPT_AT_EACH_END, FoldedQueries, folded_queries
from labo.render.transcript import render_transcript
from labo.wire.transcript import Recorder, Transcript

MTA = "MTA d’example.com"


def lookups(recorder: Recorder, count: int) -> None:
    for _ in range(count):
        number = recorder.open_query(MTA, "résolveur du labo", "udp")
        recorder.line(number, "client", b"example.net. IN MX ?")
        recorder.line(number, "server", b"example.net. 3600 IN MX 10 mail.example.net.")


def retried(count: int) -> Transcript:
    """A submission, then ``count`` lookups in a row, as the retries of a queued message."""
    recorder = Recorder()
    number = recorder.open("submission", "ordinateur d’Alice", "smtp.example.com", 587)
    recorder.line(number, "server", b"220 smtp.example.com ESMTP")
    recorder.close(number)
    lookups(recorder, count)
    return recorder.snapshot()


def test_a_long_run_keeps_its_first_and_last_lookups_in_view() -> None:
    transcript = retried(FOLD_AFTER + 3)
    marks = folded_queries(transcript.events)
    folded = {transcript.events[i].connection for i, mark in enumerate(marks) if mark is not None}
    first_lookup = 2  # connection 1 is the submission
    shown = {
        *range(first_lookup, first_lookup + KEPT_AT_EACH_END),
        *range(first_lookup + FOLD_AFTER + 3 - KEPT_AT_EACH_END, first_lookup + FOLD_AFTER + 3),
    }
    assert folded == set(range(first_lookup, first_lookup + FOLD_AFTER + 3)) - shown


def test_the_fold_counts_its_lookups_and_names_their_connections() -> None:
    marks = folded_queries(retried(FOLD_AFTER + 3).events)
    [fold] = {mark for mark in marks if mark is not None}
    assert fold == FoldedQueries(FOLD_AFTER + 3 - 2 * KEPT_AT_EACH_END, 4, 8)
    assert fold.summary() == "5 requêtes DNS de plus ([4] à [8])"


def test_a_run_no_longer_than_the_limit_is_not_folded() -> None:
    assert set(folded_queries(retried(FOLD_AFTER).events)) == {None}


def test_lookups_separated_by_another_connection_are_separate_runs() -> None:
    recorder = Recorder()
    lookups(recorder, FOLD_AFTER)
    number = recorder.open("smtp", MTA, "mx.example.org", 25)
    recorder.close(number)
    lookups(recorder, FOLD_AFTER)
    assert set(folded_queries(recorder.snapshot().events)) == {None}


def test_the_transcript_folds_the_middle_in_details_and_keeps_every_line() -> None:
    transcript = retried(FOLD_AFTER + 3)
    page = render_transcript(transcript, block_id="essai")
    assert page.count("<details") == 2  # the fold and the lexicon of explanations
    assert "5 requêtes DNS de plus ([4] à [8])" in page
    assert page.count("mail.example.net.") >= FOLD_AFTER + 3


def test_the_copied_text_is_the_whole_transcript() -> None:
    transcript = retried(FOLD_AFTER + 3)
    page = render_transcript(transcript, block_id="essai")
    copied = html.unescape(re.search(r'data-copy="([^"]*)"', page)[1])  # type: ignore[index]
    assert copied == transcript.to_text()
    assert copied.count("IN MX ?") == FOLD_AFTER + 3


def test_the_diagram_shows_a_folded_run_as_one_note_row() -> None:
    long = build_diagram(retried(FOLD_AFTER + 3))
    notes = [step for step in long.steps if step.kind == "note"]
    assert [note.label for note in notes] == ["5 requêtes DNS de plus ([4] à [8])"]
    short = build_diagram(retried(2 * KEPT_AT_EACH_END))
    assert len(long.steps) == len(short.steps) + 1
