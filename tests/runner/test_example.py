"""Resolving an example reference and reading its title."""

from pathlib import Path

import pytest

from labo.runner.example import ExampleError, resolve, title_of


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "examples" / "pop3").mkdir(parents=True)
    (tmp_path / "examples" / "pop3" / "relever.py").write_text('"""Relever."""\n')
    (tmp_path / "ailleurs.py").write_text('"""Hors du dossier."""\n')
    return tmp_path


def test_a_reference_inside_examples_resolves(project: Path):
    example = resolve(project, "examples/pop3/relever.py")
    assert example.relative == "examples/pop3/relever.py"
    assert example.approved_path.name == "relever.transcription.txt"


def test_the_anchor_is_derived_from_the_path(project: Path):
    assert resolve(project, "examples/pop3/relever.py").anchor == "exemple-pop3-relever"


def test_a_missing_file_is_reported_in_french(project: Path):
    with pytest.raises(ExampleError, match="n'existe pas"):
        resolve(project, "examples/pop3/absent.py")


def test_a_file_outside_examples_is_refused(project: Path):
    with pytest.raises(ExampleError, match="en dehors du dossier examples/"):
        resolve(project, "ailleurs.py")


def test_climbing_out_of_examples_is_refused(project: Path):
    with pytest.raises(ExampleError, match="en dehors"):
        resolve(project, "examples/../ailleurs.py")


def test_a_non_python_file_is_refused(project: Path):
    (project / "examples" / "notes.txt").write_text("x")
    with pytest.raises(ExampleError, match="pas un fichier Python"):
        resolve(project, "examples/notes.txt")


def test_the_title_is_the_first_docstring_line():
    assert title_of('"""Alice envoie.\n\nDétails."""\nx = 1\n', "examples/a.py") == "Alice envoie."


def test_an_example_without_docstring_is_refused():
    with pytest.raises(ExampleError, match="docstring"):
        title_of("x = 1\n", "examples/a.py")
