"""Every example against Postfix and Dovecot: approved reference transcript, no undeclared
difference with the lab (``make reference`` runs the same proof and prints it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labo.reference.compare import compare
from labo.reference.normalise import normalise
from labo.reference.proof import Verdict, describe, prove
from labo.runner.example import all_examples

ROOT = Path(__file__).resolve().parents[2]

#: One run of every example against the reference servers: among the first units of work.
pytestmark = pytest.mark.long_setup


@pytest.fixture(scope="module")
def verdicts(servers_available: None) -> dict[str, Verdict]:
    """One reference run for the whole module: the servers start once, examples run in turn."""
    return {v.example.relative: v for v in prove(ROOT, all_examples(ROOT))}


@pytest.mark.parametrize("relative", [e.relative for e in all_examples(ROOT)])
def test_example_matches_its_reference_transcript_and_declarations(
    verdicts: dict[str, Verdict], relative: str
) -> None:
    verdict = verdicts[relative]
    assert verdict.ok, describe(verdict)


def test_a_refusal_code_that_differs_is_reported_with_both_lines() -> None:
    lab = "[1] ** ouverture\u00a0: «\u00a0a\u00a0» → smtp.example.com:587 (submission)\n"
    lab += "[1] S: 220 ok\n[1] C: MAIL FROM:<a@example.com>\n[1] S: 530 5.7.0 Auth\n"
    reference = lab.replace("530 5.7.0 Auth", "250 2.1.0 Ok")
    (difference,) = compare(lab, reference)
    assert "labo 530, référence 250" in difference.key
    assert (difference.lab, difference.reference) == ("530 5.7.0 Auth", "250 2.1.0 Ok")


def test_normalising_keeps_the_dates_an_example_wrote() -> None:
    line = "[1] C: Date: Mon, 02 Mar 2026 08:59:00 +0000\n"
    assert normalise(line) == line


def test_normalising_hides_the_queue_id_postfix_chose() -> None:
    assert normalise("[1] S: 250 2.0.0 Ok: queued as 5E43C251070\n") == (
        "[1] S: 250 2.0.0 Ok: queued as <id-file>\n"
    )


def test_normalising_hides_the_uidvalidity_dovecot_puts_in_appenduid() -> None:
    assert normalise("[3] S: A3 OK [APPENDUID 1796189858 1] Append completed.\n") == (
        "[3] S: A3 OK [APPENDUID <uidvalidity> 1] Append completed.\n"
    )
