"""MkDocs hook: French typography checked on every build, so mistakes show up under ``serve``.

Each mistake is logged with ``fichier:ligne:colonne`` and what to type; ``make typo`` fixes them.
They are warnings, in pages, includes, the guide and the titles and device labels of
``examples/`` alike: ``make build`` is strict, so they fail it, as the tests do.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from labo.typography import check_project

log = logging.getLogger("mkdocs.plugins.labo.typographie")
NB = "\u00a0"


def on_pre_build(config: Any) -> None:
    root = Path(config.config_file_path).resolve().parent
    findings = check_project(root)
    for finding in findings:
        log.warning(f"typographie{NB}: {finding}")
    if findings:
        log.info(
            f"typographie{NB}: {len(findings)} faute(s)\u00a0; «{NB}make typo{NB}» les corrige "
            "(espace insécable U+00A0, apostrophe ’)."
        )
