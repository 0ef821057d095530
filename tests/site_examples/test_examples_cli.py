"""`python -m labo run` and `bless` on a small project: exit codes, output, approved files.

``run`` shows an example's transcript (0), or says why it failed (1); ``bless`` approves fresh
transcripts and never those of failing examples (1); a reference it cannot use is 2. The
commands run from the project root, as an author runs them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from example_projects import FAILING_ASSERT, SMTP_NOOP, write_example

from labo.cli import main

GREETING = "[1] S: 220 mx.example.org ESMTP"
SEP = r"[\u00a0 ]"  # the no-break space French wants before a colon (or, for now, a space)


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with one example that passes and one that fails; the commands run from it."""
    write_example(tmp_path, "smtp/bonjour.py", SMTP_NOOP)
    write_example(tmp_path, "smtp/faux.py", FAILING_ASSERT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def labo(project: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    def run(*argv: str) -> Outcome:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def _approved(project: Path, name: str) -> Path:
    return project / "examples" / "smtp" / f"{name}.transcription.txt"


# -- run ----------------------------------------------------------------------------------------


def test_run_prints_the_transcript_and_succeeds(labo: Callable[..., Outcome]) -> None:
    outcome = labo("run", "examples/smtp/bonjour.py")
    assert outcome.code == 0
    assert outcome.out.startswith("[1] ** ouverture")
    assert GREETING in outcome.out


def test_run_of_an_example_never_approved_says_how_to_approve_it(
    labo: Callable[..., Outcome],
) -> None:
    outcome = labo("run", "examples/smtp/bonjour.py")
    assert re.search(f"remarque{SEP}: examples/smtp/bonjour.py n'a pas encore", outcome.err)
    assert "make bless F=examples/smtp/bonjour.py" in outcome.err


def test_run_of_an_approved_example_adds_no_remark(
    labo: Callable[..., Outcome], project: Path
) -> None:
    transcript = labo("run", "examples/smtp/bonjour.py").out
    _approved(project, "bonjour").write_text(transcript, encoding="utf-8")
    outcome = labo("run", "examples/smtp/bonjour.py")
    assert (outcome.code, outcome.err) == (0, "")


def test_run_of_a_failing_example_fails_and_says_why(labo: Callable[..., Outcome]) -> None:
    outcome = labo("run", "examples/smtp/faux.py")
    assert outcome.code == 1
    assert re.search(f"erreur{SEP}: examples/smtp/faux.py a levé une exception", outcome.err)
    assert "AssertionError: le MX devait refuser" in outcome.err


def test_run_still_prints_what_the_failing_example_exchanged(
    labo: Callable[..., Outcome],
) -> None:
    assert GREETING in labo("run", "examples/smtp/faux.py").out


def test_run_of_a_missing_file_is_a_usage_error(labo: Callable[..., Outcome]) -> None:
    outcome = labo("run", "examples/smtp/absent.py")
    assert outcome.code == 2
    assert "examples/smtp/absent.py" in outcome.err and "n'existe pas" in outcome.err


def test_run_refuses_a_file_outside_examples(labo: Callable[..., Outcome]) -> None:
    outcome = labo("run", "../ailleurs.py")
    assert outcome.code == 2
    assert "en dehors du dossier examples/" in outcome.err


def test_the_module_entry_point_returns_the_exit_code(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "labo", "run", "examples/smtp/absent.py"],
        cwd=project,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr


# -- bless --------------------------------------------------------------------------------------


def test_bless_writes_the_transcript_run_prints(
    labo: Callable[..., Outcome], project: Path
) -> None:
    shown = labo("run", "examples/smtp/bonjour.py").out
    assert labo("bless", "examples/smtp/bonjour.py").code == 0
    assert _approved(project, "bonjour").read_text(encoding="utf-8") == shown


def test_bless_says_a_transcript_is_new(labo: Callable[..., Outcome]) -> None:
    outcome = labo("bless", "examples/smtp/bonjour.py")
    assert re.search(
        f"examples/smtp/bonjour.transcription.txt{SEP}: approuvée \\(nouvelle\\)", outcome.out
    )


def test_bless_says_an_approved_transcript_is_unchanged(labo: Callable[..., Outcome]) -> None:
    labo("bless", "examples/smtp/bonjour.py")
    outcome = labo("bless", "examples/smtp/bonjour.py")
    assert (outcome.code, outcome.out.split()[-1]) == (0, "inchangée")


def test_bless_replaces_a_transcript_that_changed(
    labo: Callable[..., Outcome], project: Path
) -> None:
    _approved(project, "bonjour").write_text("[1] C: ancienne version\n", encoding="utf-8")
    outcome = labo("bless", "examples/smtp/bonjour.py")
    assert "approuvée (modifiée)" in outcome.out
    assert GREETING in _approved(project, "bonjour").read_text(encoding="utf-8")


def test_bless_never_approves_a_failing_example(
    labo: Callable[..., Outcome], project: Path
) -> None:
    outcome = labo("bless", "examples/smtp/faux.py")
    assert outcome.code == 1
    assert not _approved(project, "faux").exists()
    assert re.search(f"1 exemple\\(s\\) en échec{SEP}: rien n'a été approuvé", outcome.err)


def test_bless_without_arguments_approves_every_example_that_passes(
    labo: Callable[..., Outcome], project: Path
) -> None:
    outcome = labo("bless")
    assert outcome.code == 1  # faux.py fails
    assert _approved(project, "bonjour").exists()
    assert not _approved(project, "faux").exists()


def test_bless_of_a_missing_file_is_a_usage_error(labo: Callable[..., Outcome]) -> None:
    assert labo("bless", "examples/smtp/absent.py").code == 2


def test_bless_without_arguments_reports_a_symlink_leading_out_of_examples(
    labo: Callable[..., Outcome], project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("ailleurs") / "dehors.py"
    outside.write_text('"""Dehors."""\n', encoding="utf-8")
    (project / "examples" / "smtp" / "lien.py").symlink_to(outside)
    outcome = labo("bless")
    assert outcome.code == 1
    assert re.search(f"erreur{SEP}: «.examples/smtp/lien.py.» est en dehors", outcome.err)
    assert _approved(project, "bonjour").exists()
