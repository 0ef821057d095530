"""``SOURCE_DATE_EPOCH`` dates a page git does not know yet, so two builds are identical."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

#: 2001-09-09 01:46:40 UTC.
EPOCH = "1000000000"

CONFIG = f"""site_name: Essai
theme:
  name: material
  language: fr
plugins:
  - git-revision-date-localized:
      type: date
      locale: fr
      fallback_to_build_date: true
      strict: false
hooks:
  - {REPO / "hooks" / "date_reproductible.py"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository whose only page is not committed yet."""
    (tmp_path / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    git = ["git", "-c", "user.name=Essai", "-c", "user.email=essai@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "mkdocs.yml"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "config"], cwd=tmp_path, check=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Nouvelle page\n", encoding="utf-8")
    return tmp_path


def build(project: Path, site: str) -> str:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", site],
        cwd=project,
        env=environment,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return (project / site / "index.html").read_text(encoding="utf-8")


def test_an_uncommitted_page_is_dated_by_source_date_epoch(project: Path) -> None:
    assert "9 septembre 2001" in build(project, "site")


def test_two_builds_of_an_uncommitted_page_are_identical(project: Path) -> None:
    assert build(project, "premier") == build(project, "second")
