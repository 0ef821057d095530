"""A content-addressed cache of example results, for ``mkdocs serve`` only.

The key covers everything that can change a transcript: the example's source, every file of the
``labo`` package, and the versions of Python, OpenSSL and the server libraries. It lives in
``.cache/exemples/`` at the project root, outside ``docs/``, so writing it never triggers a rebuild.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from labo.runner.result import RunResult

_LIBRARIES = ("aiosmtpd", "pymap", "pysasl", "proxy-protocol", "trustme", "cryptography")

#: The lab's own code: every byte of it is part of the key.
PACKAGE = Path(__file__).resolve().parents[1]


@cache
def _versions_digest() -> str:
    """Python, OpenSSL and the server libraries: they cannot change while the process runs."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    digest.update(ssl.OPENSSL_VERSION.encode())
    for name in _LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}".encode())
    return digest.hexdigest()


def _code_digest(package: Path) -> str:
    """Every Python file of ``package``, read again for each cache: ``mkdocs serve`` runs for
    hours, and its workers, started afresh for each build, run the code as it is now."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


class ResultCache:
    """Successful results stored as JSON files named after their key."""

    def __init__(self, directory: Path, package: Path = PACKAGE) -> None:
        self.directory = directory
        self._environment = _versions_digest() + _code_digest(package)

    def key(self, source: str) -> str:
        return hashlib.sha256((self._environment + "\0" + source).encode()).hexdigest()

    def get(self, source: str) -> RunResult | None:
        path = self.directory / f"{self.key(source)}.json"
        try:
            result = RunResult.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        result.from_cache = True
        return result

    def put(self, result: RunResult) -> None:
        if not result.ok:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.key(result.source)}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(result.to_json(), ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)
