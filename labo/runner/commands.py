"""The commands the tools suggest in their messages, written once.

Each must work when pasted into a fresh shell at the root of the repository: ``make`` targets
use ``.venv`` by themselves, whereas a bare ``python -m labo …`` runs whichever Python comes
first in ``PATH``, which usually lacks the project's dependencies.
"""

from __future__ import annotations

import sys

NB = "\u00a0"


def run_command(relative: str) -> str:
    """Run one example and print its transcript."""
    return f"make run F={relative}"


def bless_command(relative: str, *, reference: bool = False) -> str:
    """Approve an example's transcript, the lab's or (``reference``) Postfix and Dovecot's."""
    return f"make bless F={relative}" + (" ARGS=--reference" if reference else "")


def missing_dependency(module: str) -> str:
    """Why nothing can run when the Python in use lacks one of the project's dependencies."""
    return (
        f"le Python utilisé ({sys.executable}) ne trouve pas le module «{NB}{module}{NB}», "
        f"une dépendance du projet{NB}: ce n’est pas celui de .venv. Lancez plutôt la commande "
        f"avec make (make run F=examples/…, make bless F=examples/…), ou avec "
        f".venv/bin/python -m labo …{NB}; «{NB}make .venv/.installed{NB}» crée .venv s’il "
        "manque."
    )
