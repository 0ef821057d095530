"""Approved transcripts: what a reviewer accepted, compared with what the lab just produced."""

from __future__ import annotations

import difflib

from labo.runner.commands import bless_command
from labo.runner.example import Example


def approved_text(example: Example) -> str | None:
    """The committed transcript, or None when the example was never approved."""
    try:
        return example.approved_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def bless_hint(example: Example) -> str:
    return bless_command(example.relative)


def compare(example: Example, fresh: str) -> str | None:
    """None when ``fresh`` matches the approved transcript; otherwise a French explanation."""
    return compare_with(example, approved_text(example), fresh)


def compare_with(example: Example, approved: str | None, fresh: str) -> str | None:
    """``compare`` against ``approved`` as read before the example ran (``RunResult.approved``)."""
    if approved is None:
        return (
            f"{example.relative} n'a pas encore de transcription approuvée "
            f"({example.approved_path.name}). Relisez la transcription produite, puis "
            f"approuvez-la\u00a0: {bless_hint(example)}"
        )
    if approved == fresh:
        return None
    diff = "".join(
        difflib.unified_diff(
            approved.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            fromfile=f"{example.approved_path.name} (approuvée)",
            tofile="obtenue maintenant",
        )
    )
    return (
        f"la transcription de {example.relative} a changé\u00a0:\n{diff}"
        f"Si ce changement est voulu, approuvez-le\u00a0: {bless_hint(example)}"
    )


def bless(example: Example, fresh: str) -> str:
    """Write ``fresh`` as the approved transcript; say what happened, in French."""
    previous = approved_text(example)
    if previous == fresh:
        return "inchangée"
    example.approved_path.write_text(fresh, encoding="utf-8")
    return "approuvée (nouvelle)" if previous is None else "approuvée (modifiée)"
