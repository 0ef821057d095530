"""French typography in everything a reader sees: pages, shared snippets, diagrams, the guide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from site_build import REPO
from site_config import human_titles

from labo.typography import typography_errors

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
