"""French typography in everything a reader sees: pages, shared snippets, diagrams, the guide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from site_build import REPO
from site_config import human_titles
from site_typography import typography_errors

NBSP = "\u00a0"

PROSE_FILES = sorted(
    [
        *(REPO / "docs").rglob("*.md"),
        *(REPO / "docs").rglob("*.svg"),
        *(REPO / "includes").rglob("*.md"),
        REPO / "CONTRIBUTING.md",
    ]
)


@pytest.mark.parametrize("path", PROSE_FILES, ids=lambda path: path.relative_to(REPO).as_posix())
def test_prose_follows_french_typography(path: Path) -> None:
    errors = typography_errors(path.read_text(encoding="utf-8"))
    assert not errors, "\n".join(f"{path.relative_to(REPO)}, {error}" for error in errors)


def test_site_and_nav_titles_follow_french_typography(config: dict[str, Any]) -> None:
    errors = [
        f"{title!r}: {error}"
        for title in human_titles(config)
        for error in typography_errors(title)
    ]
    assert errors == []


# --- the checker itself -----------------------------------------------------------------------


@pytest.mark.parametrize("sign", [":", ";", "?", "!"])
def test_checker_flags_an_ordinary_space_before(sign: str) -> None:
    assert len(typography_errors(f"Le port 25 {sign} relais")) == 1


@pytest.mark.parametrize("sign", [":", ";", "?", "!"])
def test_checker_accepts_a_no_break_space_before(sign: str) -> None:
    assert typography_errors(f"Le port 25{NBSP}{sign} relais") == []


@pytest.mark.parametrize("sign", [";", "?", "!"])
def test_checker_flags_a_missing_space_before(sign: str) -> None:
    assert len(typography_errors(f"Vraiment{sign}")) == 1


def test_checker_flags_guillemets_without_no_break_spaces() -> None:
    assert len(typography_errors("la note disait « non sécurisé »")) == 2


def test_checker_accepts_guillemets_with_no_break_spaces() -> None:
    assert typography_errors(f"la note disait «{NBSP}non sécurisé{NBSP}»") == []


def test_checker_flags_a_straight_apostrophe() -> None:
    assert len(typography_errors("l'enveloppe")) == 1


def test_checker_accepts_a_typographic_apostrophe() -> None:
    assert typography_errors("l’enveloppe") == []


def test_checker_flags_an_ordinary_space_right_after_inline_code() -> None:
    assert len(typography_errors("puis `STARTTLS` ; enfin")) == 1


@pytest.mark.parametrize(
    "text",
    [
        "la commande `MAIL FROM: <a@example.com> ; x ?` reste telle quelle",
        "```\nS: 220 mail.example.net ESMTP ; prêt ?\n```",
        "[RFC 5321](https://www.rfc-editor.org/rfc/rfc5321?a=1;b=2)",
        "<!-- exemple: examples/pop3/x.py — A : B ? -->",
        '<text x="1" y="2">POP3</text>',
        "| Port | Service |\n| :--- | ---: |",
    ],
)
def test_checker_ignores_what_is_not_prose(text: str) -> None:
    assert typography_errors(text) == []


def test_checker_reports_the_line_of_the_mistake() -> None:
    [error] = typography_errors("Première ligne.\n\nTroisième ligne : la faute.")
    assert error.line == 3
