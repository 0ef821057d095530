"""MkDocs hook: French typography checked on every build, so mistakes show up under ``serve``.

Each mistake is logged with ``fichier:ligne:colonne`` and what to type; ``make typo`` fixes them.
Pages, includes and the guide are warnings (``make build`` is strict, so they fail it, as the
tests do); the titles and device labels of ``examples/`` are reported without failing the build
until ``EXAMPLES_FAIL_THE_BUILD`` is set, since fixing a label means approving its transcript
again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from labo.typography import Finding, check_project

log = logging.getLogger("mkdocs.plugins.labo.typographie")
NB = "\u00a0"
#: Once every example title and label follows the rules, their mistakes fail ``make build`` too.
EXAMPLES_FAIL_THE_BUILD = False


def _level(finding: Finding) -> int:
    if finding.path.startswith("examples/") and not EXAMPLES_FAIL_THE_BUILD:
        return logging.INFO
    return logging.WARNING


def on_pre_build(config: Any) -> None:
    root = Path(config.config_file_path).resolve().parent
    findings = check_project(root)
    for finding in findings:
        log.log(_level(finding), f"typographie{NB}: {finding}")
    if findings:
        log.info(
            f"typographie{NB}: {len(findings)} faute(s)\u00a0; «{NB}make typo{NB}» les corrige "
            "(espace insécable U+00A0, apostrophe ’)."
        )
