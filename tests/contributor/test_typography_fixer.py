"""`make typo`: what it fixes, and what it never touches."""

from __future__ import annotations

from pathlib import Path

import pytest

from labo import typography
from labo.typography import fix_python, fix_text

NB = "\u00a0"


@pytest.mark.parametrize(
    ("written", "fixed"),
    [
        ("Le port 25 : relais", f"Le port 25{NB}: relais"),
        ("Vraiment?", f"Vraiment{NB}?"),
        ("la note disait « non sécurisé »", f"la note disait «{NB}non sécurisé{NB}»"),
        ("la note disait «non sécurisé»", f"la note disait «{NB}non sécurisé{NB}»"),
        ("l'enveloppe", "l’enveloppe"),
    ],
)
def test_fixer_writes_what_the_checker_asks_for(written: str, fixed: str) -> None:
    assert fix_text(written) == fixed


@pytest.mark.parametrize(
    "text",
    [
        "la commande `MAIL FROM: <a@example.com> ; l'x ?` reste telle quelle",
        "```python\nprint('a : b ?')\n```",
        "voir https://example.com/a?b=1;c=2 ici",
        "[RFC](https://www.rfc-editor.org/rfc/rfc5321?a=1;b=2)",
        "---\ntitle: Accueil\n---\n",
    ],
)
def test_fixer_never_touches_code_urls_or_front_matter_keys(text: str) -> None:
    assert fix_text(text) == text


def test_fixed_text_has_no_mistake_left() -> None:
    text = "```\nx ; y\n```\nUn « essai » : c'est fait !\n| a | b |\n|---|---|\n| l'un ; | ok |\n"
    assert typography.typography_errors(fix_text(text)) == []


def test_fixer_corrects_an_example_title_and_its_device_labels_only() -> None:
    source = (
        '"""POP3 : relever."""\n\n# L\'envoi : SMTP\n'
        'with appareil("ordinateur d\'Alice"):\n    sujet = "Re : l\'objet"\n'
    )
    assert fix_python(source) == (
        f'"""POP3{NB}: relever."""\n\n# L\'envoi : SMTP\n'
        'with appareil("ordinateur d’Alice"):\n    sujet = "Re : l\'objet"\n'
    )


def test_make_typo_fixes_the_files_in_place_and_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text("Le port 25 : relais\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert typography.main(["--corriger"]) == 0
    assert page.read_text(encoding="utf-8") == f"Le port 25{NB}: relais\n"
    assert f"corrigé{NB}: docs/page.md" in capsys.readouterr().out


def test_the_check_names_file_line_and_column_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text("Titre\n\nLe port 25 : relais\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert typography.main([]) == 1
    assert f"docs/page.md:3:11{NB}: espace ordinaire devant" in capsys.readouterr().err
