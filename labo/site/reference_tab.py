"""What the « Avec Postfix et Dovecot » tab shows, read from files committed next to the example.

The site build never starts Postfix or Dovecot: it shows the approved reference transcript
(``<name>.reference.txt``, written by ``python -m labo bless --reference``) and the reasons of
the differences declared in ``<name>.differences.txt``.
"""

from __future__ import annotations

from labo.reference.declarations import (
    FAILURE,
    DeclarationError,
    read_declarations,
    reference_path,
)
from labo.render.reference import ReferenceRun
from labo.runner.commands import bless_command
from labo.runner.example import Example
from labo.wire.transcript import Transcript

_NB = "\u00a0"


def missing_reference(example: Example) -> str:
    """The French problem of an example with no approved reference transcript."""
    return (
        f"{reference_path(example.path).name} manque{_NB}: l’exemple n’a pas de transcription "
        f"approuvée contre Postfix et Dovecot. Lancez «{_NB}make reference{_NB}», relisez la "
        f"transcription, puis approuvez-la{_NB}: "
        f"{bless_command(example.relative, reference=True)}"
    )


def reference_run(example: Example) -> ReferenceRun:
    """The approved reference transcript and declarations, or the problem that hides them."""
    path = reference_path(example.path)
    if not path.exists():
        return ReferenceRun(problem=missing_reference(example))
    try:
        declarations = read_declarations(example.path)
        transcript = Transcript.from_text(path.read_text(encoding="utf-8"))
    except (DeclarationError, ValueError) as problem:
        return ReferenceRun(problem=f"{path.name}{_NB}: {problem}")
    reasons = dict.fromkeys(
        reason for key, reason in declarations.reasons.items() if key != FAILURE
    )
    return ReferenceRun(transcript, tuple(reasons), declarations.failure)
