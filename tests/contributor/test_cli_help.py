"""``python -m labo --help``: French throughout, with commands that work from a fresh shell."""

from __future__ import annotations

import pytest

from labo import cli

NB = "\u00a0"


def help_of(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    with pytest.raises(SystemExit):
        cli.main([*arguments, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("english", ["usage:", "positional arguments", "show this help"])
def test_run_help_has_no_english_left(capsys: pytest.CaptureFixture[str], english: str) -> None:
    assert english not in help_of(capsys, "run")


def test_run_help_explains_the_timeout_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--délai SECONDES  temps accordé à chaque exemple" in help_of(capsys, "run")


def test_the_example_path_in_the_help_exists(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.EXAMPLE in help_of(capsys, "run")
    assert (cli.Path(__file__).parents[2] / cli.EXAMPLE).is_file()


def test_usage_names_the_command_that_works_from_a_fresh_shell(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert help_of(capsys, "bless").startswith(f"utilisation{NB}: .venv/bin/python -m labo bless")


def test_a_timeout_out_of_bounds_is_refused_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--délai", "500", "examples/pop3/deux_appareils.py"])
    assert f"erreur{NB}: --délai{NB}: 500{NB}s est hors des limites" in capsys.readouterr().err
