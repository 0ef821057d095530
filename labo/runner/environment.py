"""The environment a worker starts with: what Python and the lab need, nothing of the build's.

A variable set for the build (a token, a path) must not show up in an example's error box, and an
example must not behave differently because of the author's shell.
"""

from __future__ import annotations

from pathlib import Path

import labo

#: Where the ``labo`` package is imported from, so a worker finds it from any directory.
_PACKAGE_PARENT = Path(labo.__file__).resolve().parents[1]
#: Where ``subprocess`` looks for programs (the build's own ``PATH`` is not passed on).
_PATH = "/usr/local/bin:/usr/bin:/bin"


def worker_environment(directory: Path) -> dict[str, str]:
    """A minimal, fixed environment; ``directory`` is the worker's home and temporary folder."""
    return {
        "PATH": _PATH,
        "HOME": str(directory),
        "TMPDIR": str(directory),
        "TZ": "UTC",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(_PACKAGE_PARENT),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUTF8": "1",
    }
