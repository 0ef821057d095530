"""A transcript whose example was renamed or deleted is named, with the command that fixes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from labo.runner.orphans import orphan_messages

NB = "\u00a0"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "examples" / "pop3"
    folder.mkdir(parents=True)
    (folder / "garde.py").write_text('"""Titre."""\n', encoding="utf-8")
    (folder / "garde.transcription.txt").write_text("", encoding="utf-8")
    return tmp_path


def test_a_transcript_next_to_its_example_is_not_an_orphan(root: Path) -> None:
    assert orphan_messages(root) == []


def test_an_orphan_is_named_with_the_commands_to_rename_or_delete_it(root: Path) -> None:
    (root / "examples" / "pop3" / "ancien.transcription.txt").write_text("", encoding="utf-8")
    [message] = orphan_messages(root)
    assert message.startswith("examples/pop3/ancien.transcription.txt n’appartient à aucun exemple")
    assert (
        "git mv examples/pop3/ancien.transcription.txt "
        "examples/pop3/<nouveau_nom>.transcription.txt"
    ) in message
    assert "git rm examples/pop3/ancien.transcription.txt" in message


def test_reference_transcripts_and_declared_differences_can_be_orphans_too(root: Path) -> None:
    for name in ("ancien.reference.txt", "ancien.differences.txt"):
        (root / "examples" / "pop3" / name).write_text("", encoding="utf-8")
    assert len(orphan_messages(root)) == 2
