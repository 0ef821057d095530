"""The reference queue listing names the third party's MX as the reader knows it."""

from __future__ import annotations

from pathlib import Path

from labo.reference.config import ReferenceConfig
from labo.reference.listing import as_seen_by_reader

LOOPBACK = "connect to 127.0.0.9[127.0.0.9]:40025: Connection refused"
REAL = "connect to mail.example.net[203.0.113.25]:25: Connection refused"


def config() -> ReferenceConfig:
    root = Path("/nonexistent")
    return ReferenceConfig(
        root,
        root,
        {},
        {},
        None,
        root,
        {},
        outsider=("127.0.0.9", 40025),  # type: ignore[arg-type]
    )


def test_the_reason_names_the_outsider_and_is_aligned_again_as_postqueue_aligns_it() -> None:
    listing = " " * (76 - len(LOOPBACK)) + f"({LOOPBACK})\n" + " " * 41 + "dave@example.net\n"
    assert as_seen_by_reader(listing, config()) == (
        " " * 12 + f"({REAL})\n" + " " * 41 + "dave@example.net\n"
    )
