"""Run examples against Postfix and Dovecot, approve or check their transcripts, compare.

``prove`` is what ``make reference`` and ``python -m labo run|bless --reference`` call: it
returns one ``Verdict`` per example, whose ``problems`` (in French) fail the run.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from labo.reference.compare import Difference, compare
from labo.reference.declarations import (
    FAILURE,
    DeclarationError,
    comparable,
    declarations_path,
    read_declarations,
    reference_path,
)
from labo.reference.install import Programs
from labo.reference.normalise import normalise
from labo.reference.session import EXAMPLE_TIMEOUT, reference_runner
from labo.runner.approval import approved_text
from labo.runner.commands import bless_command
from labo.runner.example import Example

NB = "\u00a0"
#: The whole reference run, every example included, must end within this time.
TOTAL_SECONDS = 300.0


@dataclass
class Verdict:
    example: Example
    transcript: str = ""
    declared: list[tuple[Difference, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def prove(
    root: Path,
    examples: Sequence[Example],
    *,
    bless: bool = False,
    programs: Programs | None = None,
    report: Callable[[Verdict], None] | None = None,
) -> list[Verdict]:
    """Run ``examples`` against the reference servers, one after another."""
    verdicts = []
    deadline = time.monotonic() + TOTAL_SECONDS
    with reference_runner(root, programs) as runner:
        for example in examples:
            remaining = deadline - time.monotonic()
            verdict = Verdict(example)
            if remaining <= 0:
                verdict.problems.append(
                    f"temps total dépassé ({TOTAL_SECONDS:g}{NB}s){NB}: exemple non exécuté"
                )
            else:
                result = runner.result(example, min(EXAMPLE_TIMEOUT, remaining))
                _judge(verdict, result.ok, result.error, result.transcript.to_text(), bless)
            verdicts.append(verdict)
            if report is not None:
                report(verdict)
    return verdicts


def _judge(verdict: Verdict, ran: bool, error: str | None, raw: str, bless: bool) -> None:
    example = verdict.example
    try:
        declarations = read_declarations(example.path)
    except DeclarationError as problem:
        verdict.problems.append(str(problem))
        return
    fresh = verdict.transcript = normalise(raw)
    failure = declarations.failure
    if not ran and failure is None:
        verdict.problems.append(f"l'exemple échoue contre Postfix et Dovecot{NB}:\n{error}")
    elif ran and failure is not None:
        verdict.problems.append(
            f"l'exemple est déclaré en échec ({failure}) mais a réussi{NB}: retirez la ligne "
            f"«{NB}{FAILURE} | …{NB}» de {declarations_path(example.path).name}."
        )
    elif failure is not None:
        verdict.notes.append(f"échec déclaré{NB}: {failure}")
    approved_path = reference_path(example.path)
    if bless:
        previous = approved_path.read_text(encoding="utf-8") if approved_path.exists() else None
        if previous != fresh:
            approved_path.write_text(fresh, encoding="utf-8")
            verdict.notes.append(f"{approved_path.name}{NB}: approuvée")
    else:
        approved = approved_path.read_text(encoding="utf-8") if approved_path.exists() else None
        if approved != fresh:
            state = "n'existe pas encore" if approved is None else "a changé"
            diff = "".join(
                difflib.unified_diff(
                    (approved or "").splitlines(keepends=True),
                    fresh.splitlines(keepends=True),
                    fromfile=f"{approved_path.name} (approuvée)",
                    tofile="obtenue maintenant",
                )
            )
            verdict.problems.append(
                f"{approved_path.name} {state}{NB}; relisez la transcription, puis approuvez-la"
                f"{NB}: {bless_command(example.relative, reference=True)}"
                + (f"\n{diff}" if approved is not None else "")
            )
    lab = approved_text(example)
    if lab is None:
        verdict.problems.append(f"{example.approved_path.name} manque{NB}: rien à comparer.")
        return
    seen = set()
    for difference in compare(lab, fresh):
        seen.add(comparable(difference.key))
        reason = declarations.reason_for(difference.key)
        if reason is not None:
            verdict.declared.append((difference, reason))
            continue
        verdict.problems.append(
            f"différence non déclarée{NB}: {difference.key}\n"
            f"    labo      {NB}: {difference.lab or '(rien)'}\n"
            f"    référence {NB}: {difference.reference or '(rien)'}"
        )
    for key in declarations.reasons:
        if key != FAILURE and key not in seen:
            verdict.notes.append(f"déclarée mais absente (à retirer){NB}: {key}")


def describe(verdict: Verdict) -> str:
    """A verdict in French, for the terminal."""
    state = "OK" if verdict.ok else "ÉCHEC"
    lines = [f"{state}  {verdict.example.relative}"]
    for difference, reason in verdict.declared:
        lines.append(f"  déclarée{NB}: {difference.key} — {reason}")
    lines += [f"  {note}" for note in verdict.notes]
    lines += ["  " + problem.replace("\n", "\n  ") for problem in verdict.problems]
    return "\n".join(lines)
