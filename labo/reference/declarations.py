"""Declared differences: ``<exemple>.differences.txt``, next to the example, one per line.

Each line is ``<clé> | <raison>``, the key exactly as the comparison prints it; ``échec | …``
declares that the example cannot run unchanged against Postfix and Dovecot, and why. Blank lines
and lines starting with ``#`` are comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SUFFIX = ".differences.txt"
REFERENCE_SUFFIX = ".reference.txt"
#: The key that declares an example failing against the reference servers.
FAILURE = "échec"


class DeclarationError(ValueError):
    """A declaration file that cannot be read (French message naming the line)."""


@dataclass
class Declarations:
    reasons: dict[str, str] = field(default_factory=dict)  # comparable key → reason

    def reason_for(self, key: str) -> str | None:
        return self.reasons.get(comparable(key))

    @property
    def failure(self) -> str | None:
        return self.reasons.get(FAILURE)


def declarations_path(example: Path) -> Path:
    return example.with_name(example.stem + SUFFIX)


def reference_path(example: Path) -> Path:
    """The approved reference transcript, committed next to the example."""
    return example.with_name(example.stem + REFERENCE_SUFFIX)


def read_declarations(example: Path) -> Declarations:
    path = declarations_path(example)
    declarations = Declarations()
    if not path.exists():
        return declarations
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, separator, reason = line.rpartition(" | ")
        if not separator or not key.strip() or not reason.strip():
            raise DeclarationError(
                f"{path.name}, ligne {number}\u00a0: écrivez «\u00a0<différence> | <raison>\u00a0»."
            )
        declarations.reasons[comparable(key)] = reason.strip()
    return declarations


def comparable(key: str) -> str:
    """A key with no-break spaces as plain ones: authors need not type them to declare it."""
    return " ".join(key.replace("\u00a0", " ").split())
