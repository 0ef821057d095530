"""The typography checker: what it flags, what it leaves alone, where it says the mistake is."""

from __future__ import annotations

import pytest

from labo.typography import python_errors, typography_errors

NBSP = "\u00a0"


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
        "voir https://www.rfc-editor.org/rfc/rfc5321?a=1;b=2 ici",
        "<!-- exemple: examples/pop3/x.py — A : B ? -->",
        '<text x="1" y="2">POP3</text>',
        "| Port | Service |\n| :--- | ---: |",
        "---\ntitle: Accueil\n---\n\nTexte.",
        "Un courrier :material-email: arrive",
    ],
)
def test_checker_ignores_what_is_not_prose(text: str) -> None:
    assert typography_errors(text) == []


def test_checker_reads_front_matter_values_as_prose() -> None:
    [error] = typography_errors("---\ndescription: SMTP : envoyer\n---\n")
    assert (error.line, error.column) == (2, 18)


def test_checker_reports_the_line_of_the_mistake() -> None:
    [error] = typography_errors("Première ligne.\n\nTroisième ligne : la faute.")
    assert error.line == 3


def test_checker_reports_the_column_after_a_code_block() -> None:
    [error] = typography_errors("```\nun bloc de code assez long\n```\nVoilà : fin")
    assert (error.line, error.column) == (4, 6)


def test_checker_flags_an_example_title_at_its_line_and_column() -> None:
    [error] = python_errors('"""POP3 : relever."""\n\nimport poplib\n')
    assert (error.line, error.column) == (1, 8)


def test_checker_flags_a_device_label_at_its_line_and_column() -> None:
    [error] = python_errors('"""Titre."""\n\nwith appareil("ordinateur d\'Alice"):\n    pass\n')
    assert (error.line, error.column) == (3, 28)


def test_checker_leaves_other_strings_and_comments_of_an_example_alone() -> None:
    source = '"""Titre."""\n\n# L\'envoi : SMTP\nsujet = "Re : l\'objet"\n'
    assert python_errors(source) == []
