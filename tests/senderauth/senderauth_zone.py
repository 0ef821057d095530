"""A dict-backed DNS for the sender checks: the only DNS these tests ever use."""

from __future__ import annotations

Zone = dict[str, list[str]]


class RecordingLookup:
    """A ``TxtLookup`` over a dict that remembers every name it was asked."""

    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.asked: list[str] = []

    def __call__(self, name: str) -> list[str] | None:
        self.asked.append(name)
        return self.zone.get(name)
