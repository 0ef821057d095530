"""Comparing a fresh transcript with the approved one."""

from pathlib import Path

import pytest

from labo.runner.approval import bless, compare
from labo.runner.example import Example


@pytest.fixture
def example(tmp_path: Path) -> Example:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "x.py").write_text('"""X."""\n')
    return Example(tmp_path, "examples/x.py")


def test_an_identical_transcript_passes(example: Example):
    bless(example, "[1] C: NOOP\n")
    assert compare(example, "[1] C: NOOP\n") is None


def test_a_changed_transcript_gives_a_diff_and_the_bless_command(example: Example):
    bless(example, "[1] C: NOOP\n")
    problem = compare(example, "[1] C: QUIT\n") or ""
    assert "-[1] C: NOOP" in problem and "+[1] C: QUIT" in problem
    assert "make bless F=examples/x.py" in problem


def test_a_never_approved_example_asks_for_approval(example: Example):
    problem = compare(example, "[1] C: NOOP\n") or ""
    assert "pas encore de transcription approuvée" in problem
    assert "make bless F=examples/x.py" in problem


def test_blessing_reports_a_new_a_changed_and_an_unchanged_transcript(example: Example):
    assert bless(example, "a\n") == "approuvée (nouvelle)"
    assert bless(example, "b\n") == "approuvée (modifiée)"
    assert bless(example, "b\n") == "inchangée"
