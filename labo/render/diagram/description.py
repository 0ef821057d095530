"""The diagram in words: its title, a one-sentence summary, and every step as a list item.

Screen readers announce the SVG by its title and summary, then read the list, which says
everything the drawing shows (who speaks to whom, and what); sighted readers never see the list.
"""

from __future__ import annotations

from labo.render.diagram.steps import Diagram, Step, lines_word, number_of

_NB = "\u00a0"
TITLE = "Schéma de séquence de l’exemple"


def _count(number: int, one: str, many: str) -> str:
    return f"{number}{_NB}{one if number == 1 else many}"


def summary(diagram: Diagram) -> str:
    """One sentence: how many participants, which ones, and how many steps."""
    names = ", ".join(lifeline.name for lifeline in diagram.lifelines)
    connections = len({step.connection for step in diagram.steps})
    return (
        f"{_count(len(diagram.lifelines), 'participant', 'participants')}{_NB}: {names}{_NB}; "
        f"{_count(connections, 'échange numéroté', 'échanges numérotés')}, "
        f"{_count(len(diagram.steps), 'étape', 'étapes')}, détaillées dans la liste qui suit."
    )


def sentence(diagram: Diagram, step: Step) -> str:
    """One step as the list says it, its connection number first when the drawing shows it."""
    number = number_of(diagram, step)
    return f"{number} {_sentence(step)}" if number else _sentence(step)


def _sentence(step: Step) -> str:
    source, target = step.source.name, step.target.name
    if step.kind in ("command", "reply", "message"):
        several = step.kind == "reply" and len(step.lines) > 1
        more = f" ({lines_word(len(step.lines))})" if several else ""
        return f"{source} → {target}{_NB}: {step.label}{more}"
    return step.lines[0] if step.kind == "open" else f"{step.lines[0]} ({source} – {target})"
