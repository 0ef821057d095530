"""What ``labo serve`` prints of a client's line: never a terminal command, never a megabyte."""

from __future__ import annotations

import pytest

from labo.serve import terminal_safe


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # retitle the window
        ("\x1b[31mrouge", "\\x1b[31mrouge"),  # recolour
        ("a\x00b\x7fc\x9bd", "a\\x00b\\x7fc\\x9bd"),  # NUL, DEL, C1 CSI
        ("abc\u202edcba", "abc\\u202edcba"),  # bidirectional override
    ],
)
def test_control_characters_are_printed_escaped(text: str, printed: str) -> None:
    assert terminal_safe(text) == printed


def test_ordinary_french_text_is_printed_unchanged() -> None:
    text = "[1] C: Subject: Réunion à 10\u00a0h «\u00a0ordre du jour\u00a0»"
    assert terminal_safe(text) == text


def test_a_huge_line_is_cut_and_says_its_length() -> None:
    assert terminal_safe("x" * 1_000_000, limit=10) == "x" * 10 + " … tronqué (1000000 caractères)"
