"""Long runs of DNS lookups, as a queue's retries make them: their ends shown, the middle folded.

A message that waits five days in the queue is retried about a hundred times, and each attempt
asks the DNS the same questions again: hundreds of lines that say nothing new after the first
few. The « Transcription » tab and the « Schéma » tab keep the first and last lookups of such a
run in view and fold the others (every line stays in the page, inside ``<details>``, and in the
copied text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labo.wire.transcript import Event

#: A run of more lookups than this is folded.
FOLD_AFTER = 6
#: How many lookups stay in view at each end of a folded run.
KEPT_AT_EACH_END = 2

_QUERY_OPENING = "requête DNS"


@dataclass(frozen=True)
class FoldedQueries:
    """The folded middle of one run: how many lookups, and their first and last connections."""

    count: int
    first: int
    last: int

    def summary(self) -> str:
        """« 220 requêtes DNS de plus ([5] à [224]) », in the page's French."""
        return f"{self.count} requêtes DNS de plus ([{self.first}] à [{self.last}])"


def _lookups(events: Sequence[Event]) -> list[list[list[int]]]:
    """Runs of consecutive lookups, each lookup as the indexes of its events."""
    runs: list[list[list[int]]] = []
    current: list[list[int]] = []
    lookup_connection: int | None = None
    for index, event in enumerate(events):
        if event.kind == "open" and event.text.startswith(_QUERY_OPENING):
            current.append([index])
            lookup_connection = event.connection
        elif lookup_connection is not None and event.connection == lookup_connection:
            current[-1].append(index)
        else:
            if current:
                runs.append(current)
            current, lookup_connection = [], None
    if current:
        runs.append(current)
    return runs


def folded_queries(events: Sequence[Event]) -> list[FoldedQueries | None]:
    """For each event, the folded run it belongs to, or None when it stays in view."""
    marks: list[FoldedQueries | None] = [None] * len(events)
    for run in _lookups(events):
        if len(run) <= FOLD_AFTER:
            continue
        middle = run[KEPT_AT_EACH_END:-KEPT_AT_EACH_END]
        fold = FoldedQueries(
            len(middle), events[middle[0][0]].connection, events[middle[-1][0]].connection
        )
        for lookup in middle:
            for index in lookup:
                marks[index] = fold
    return marks
