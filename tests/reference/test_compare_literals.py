"""The comparison reads IMAP literals as data: a message sent with APPEND is no command."""

from __future__ import annotations

from labo.reference.compare import compare

OPEN = "[1] ** ouverture\u00a0: «\u00a0a\u00a0» → imap.example.com:993 (imaps)\n"


def _session(*lines: str) -> str:
    return OPEN + "".join(f"[1] {line}\n" for line in lines)


def test_lines_of_an_append_literal_are_not_taken_for_commands() -> None:
    lab = _session(
        "C: A1 APPEND Sent {20}",  # "ALICE data\r\n" (12) + "line two" (8)
        "S: + Literal string",
        "C: ALICE data",
        "C: line two",
        "S: A1 OK APPEND completed.",
    )
    reference = _session("C: A1 APPEND Sent {20}", "S: + OK", "S: A1 OK Append completed.")
    assert compare(lab, reference) == []


def test_a_non_synchronising_literal_is_data_too() -> None:
    lab = _session("C: A1 APPEND Sent {7+}", "C: RENAME", "S: A1 OK done")
    reference = _session("C: A1 APPEND Sent {7+}", "C: CHECK", "S: A1 OK done")
    assert compare(lab, reference) == []


def test_the_command_goes_on_after_a_literal_that_ends_inside_a_line() -> None:
    lab = _session("C: A1 LOGIN {5}", "C: alice {6}", "C: secret", "C: A2 NOOP", "S: A1 OK")
    reference = _session("C: A1 LOGIN {5}", "C: alice {6}", "C: secret", "S: A1 OK")
    (difference,) = compare(lab, reference)
    assert difference.key.startswith("commande NOOP seulement côté labo")
