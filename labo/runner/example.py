"""An example: a plain Python file under ``examples/`` whose module docstring is its title."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = "examples"
APPROVED_SUFFIX = ".transcription.txt"


class ExampleError(Exception):
    """A problem with an example reference, with a French message that says what to do."""


@dataclass(frozen=True)
class Example:
    """A validated reference to ``examples/…/name.py`` inside the project ``root``."""

    root: Path
    relative: str  # always with forward slashes, e.g. examples/pop3/deux_appareils.py

    @property
    def path(self) -> Path:
        return self.root / self.relative

    @property
    def approved_path(self) -> Path:
        """The approved transcript, committed next to the example."""
        return self.path.with_name(self.path.stem + APPROVED_SUFFIX)

    @property
    def anchor(self) -> str:
        """A stable HTML id for the example's permalink: ``exemple-pop3-deux-appareils``."""
        stem = self.relative.removeprefix(EXAMPLES_DIR + "/").removesuffix(".py")
        return "exemple-" + stem.replace("/", "-").replace("_", "-").lower()

    def read_source(self) -> str:
        return read_source(self.path, self.relative)


def read_source(path: Path, relative: str) -> str:
    """The example's text; an unreadable file becomes an ``ExampleError`` that says what to do."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise ExampleError(
            f"{relative} ne peut pas être lu ({problem}). "
            "Enregistrez-le en UTF-8 et vérifiez ses droits de lecture."
        ) from problem


def resolve(root: Path, reference: str) -> Example:
    """Validate ``reference`` (as written in a page) and return the example it names."""
    reference = reference.strip()
    if not reference:
        raise ExampleError(
            "le bloc «\u00a0exemple\u00a0» ne nomme aucun fichier. "
            "Écrivez par exemple\u00a0: /// exemple | examples/pop3/deux_appareils.py"
        )
    root = root.resolve()
    examples = (root / EXAMPLES_DIR).resolve()
    candidate = (root / reference).resolve()
    if not candidate.is_relative_to(examples):
        raise ExampleError(
            f"«\u00a0{reference}\u00a0» est en dehors du dossier {EXAMPLES_DIR}/. "
            f"Placez le fichier dans {EXAMPLES_DIR}/<protocole>/ et référencez-le depuis là."
        )
    if candidate.suffix != ".py":
        raise ExampleError(f"«\u00a0{reference}\u00a0» n'est pas un fichier Python (.py).")
    if not candidate.is_file():
        raise ExampleError(
            f"le fichier «\u00a0{reference}\u00a0» n'existe pas. Vérifiez le chemin "
            f"(relatif à la racine du dépôt, par exemple {EXAMPLES_DIR}/smtp/soumission.py)."
        )
    return Example(root, candidate.relative_to(root).as_posix())


def title_of(source: str, relative: str) -> str:
    """The first line of the module docstring: the example's French title."""
    try:
        docstring = ast.get_docstring(ast.parse(source))
    except SyntaxError as error:  # say so, rather than complain about the docstring
        raise ExampleError(
            f"{relative} contient une erreur de syntaxe ligne {error.lineno}\u00a0: {error.msg}\n"
            f"  {(error.text or '').rstrip()}"
        ) from None
    if not docstring:
        raise ExampleError(
            f"{relative} n'a pas de docstring de module. Commencez le fichier par une phrase "
            "entre triples guillemets qui dit ce que l'exemple montre, par exemple\u00a0: "
            '"""Le téléphone relève le courrier en POP3 et le supprime du serveur."""'
        )
    return docstring.strip().splitlines()[0].strip()


def all_examples(root: Path) -> list[Example]:
    """Every usable example file of the project, sorted (see ``find_examples`` for the rest)."""
    return [found for found in find_examples(root) if isinstance(found, Example)]


def find_examples(root: Path) -> list[Example | ExampleError]:
    """Every ``*.py`` under ``examples/``, sorted, validated as a page block validates it.

    A symbolic link leading out of ``examples/``, a broken one or a file that is not a regular
    file becomes the ``ExampleError`` the page block would show, not a crash.
    """
    found: list[Example | ExampleError] = []
    for path in sorted((root / EXAMPLES_DIR).rglob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            found.append(resolve(root, path.relative_to(root).as_posix()))
        except ExampleError as problem:
            found.append(problem)
    return found
