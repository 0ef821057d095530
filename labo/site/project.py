"""What a build of the site reads, and how to copy it: one list for every tool that copies it.

The Zensical comparison builds a fresh copy (its page cache must not see an old one), and the
tests build copies with defects injected; both must copy the same files as a real build reads.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: The configuration, the pages, the shared snippets, the hooks, the theme overrides (the 404
#: page, the search's French language file), the examples and their approved transcripts, and
#: CONTRIBUTING.md and README.md (included by docs/contribuer.md and docs/labo.md).
PROJECT_FILES = (
    "mkdocs.yml",
    "docs",
    "includes",
    "hooks",
    "overrides",
    "examples",
    "CONTRIBUTING.md",
    "README.md",
)


def copy_project(root: Path, destination: Path) -> Path:
    """The files of ``root`` a build reads, copied into ``destination`` (made if missing)."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = root / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, destination / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, destination / name)
    return destination
