"""Files left next to no example: a renamed or deleted example leaves its transcripts behind.

They would go on being committed and reviewed for nothing; the message names each one and the
command that removes or renames it.
"""

from __future__ import annotations

from pathlib import Path

from labo.runner.example import APPROVED_SUFFIX, EXAMPLES_DIR

NB = "\u00a0"
#: Everything kept next to ``<name>.py``: the approved transcripts (lab and Postfix/Dovecot) and
#: the declared differences.
COMPANION_SUFFIXES = (APPROVED_SUFFIX, ".reference.txt", ".differences.txt")


def orphan_files(root: Path) -> list[Path]:
    """The companion files of ``examples/`` whose example does not exist, sorted."""
    found: list[Path] = []
    for suffix in COMPANION_SUFFIXES:
        for path in (root / EXAMPLES_DIR).rglob(f"*{suffix}"):
            if not path.with_name(path.name.removesuffix(suffix) + ".py").is_file():
                found.append(path)
    return sorted(found)


def orphan_message(root: Path, path: Path) -> str:
    """What to do with one orphan, in French, with commands that work from the repository."""
    relative = path.relative_to(root).as_posix()
    suffix = next(s for s in COMPANION_SUFFIXES if relative.endswith(s))
    example = relative.removesuffix(suffix) + ".py"
    folder = relative.rsplit("/", 1)[0]
    return (
        f"{relative} n’appartient à aucun exemple ({example} n’existe pas). Si l’exemple a été "
        f"renommé, renommez ce fichier avec lui{NB}: git mv {relative} "
        f"{folder}/<nouveau_nom>{suffix}{NB}; s’il a été supprimé, supprimez ce fichier{NB}: "
        f"git rm {relative}"
    )


def orphan_messages(root: Path) -> list[str]:
    return [orphan_message(root, path) for path in orphan_files(root)]
