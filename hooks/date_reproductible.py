"""MkDocs hook: ``SOURCE_DATE_EPOCH`` dates the pages git does not know yet.

git-revision-date-localized dates a page by its last commit; a page not committed yet (the new
page of a pull request) gets ``time.time()``, to the second, so two builds of the same sources
differ. The plugin has no option for ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention
MkDocs itself honours for its build date), so when it is set this hook gives the plugin a clock
stopped at that instant. Committed pages keep the date of their commit.
"""

from __future__ import annotations

import logging
import os
import time
from types import ModuleType
from typing import Any

log = logging.getLogger("mkdocs.plugins.labo.date_reproductible")


class _StoppedClock:
    """The ``time`` module, except that ``time()`` always returns the same instant."""

    def __init__(self, epoch: int) -> None:
        self._epoch = epoch

    def time(self) -> float:
        return float(self._epoch)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _plugin_modules() -> list[ModuleType]:
    try:
        from mkdocs_git_revision_date_localized_plugin import plugin, util
    except ImportError:
        return []
    return [plugin, util]


def on_config(config: Any) -> Any:
    clock: Any = time
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        try:
            clock = _StoppedClock(int(value))
        except ValueError:
            log.warning(
                f"SOURCE_DATE_EPOCH\u00a0= «\u00a0{value}\u00a0» n’est pas un nombre de secondes "
                "depuis 1970 (par exemple «\u00a0$(git log -1 --format=%ct)\u00a0»)\u00a0: ignoré."
            )
    for module in _plugin_modules():
        if getattr(module, "time", None) is time or isinstance(module.time, _StoppedClock):
            module.time = clock  # type: ignore[attr-defined]
    return config
