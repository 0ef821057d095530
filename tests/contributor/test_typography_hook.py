"""A typography mistake is reported by the build itself, with file, line and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

NB = "\u00a0"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A one-page MkDocs project with the typography hook, strict like the site."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "examples").mkdir()
    hook = REPO / "hooks" / "typographie.py"
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: Essai\nstrict: true\nhooks:\n  - {hook}\n", encoding="utf-8"
    )
    return tmp_path


def build(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_typo_in_a_page_fails_the_strict_build_with_its_place(project: Path) -> None:
    (project / "docs" / "index.md").write_text("# Titre\n\nLe port 25 : relais\n", "utf-8")
    result = build(project)
    assert result.returncode != 0
    assert f"typographie{NB}: docs/index.md:3:11{NB}: espace ordinaire devant" in result.stderr


def test_a_typo_in_an_example_title_fails_the_strict_build_with_its_place(project: Path) -> None:
    (project / "docs" / "index.md").write_text("# Titre\n", "utf-8")
    (project / "examples" / "essai.py").write_text('"""POP3 : relever."""\n', "utf-8")
    result = build(project)
    assert result.returncode != 0
    assert f"examples/essai.py:1:8{NB}: espace ordinaire devant" in result.stderr


def test_a_clean_page_builds_without_a_typography_message(project: Path) -> None:
    (project / "docs" / "index.md").write_text(f"# Titre\n\nLe port 25{NB}: relais\n", "utf-8")
    result = build(project)
    assert result.returncode == 0, result.stderr
    assert "typographie" not in result.stderr
