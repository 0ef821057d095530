"""Examples and pages written by the tests: what an author would commit, in a few lines each.

Every example talks to the lab only through its names (``mx.example.org``…), as real examples do.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

#: A short real exchange with the lab's MX: greeting, EHLO, NOOP, QUIT.
SMTP_NOOP = '''"""Un MTA dit bonjour au MX, puis s'en va."""

import smtplib

with smtplib.SMTP("mx.example.org", 25, local_hostname="client.example.com") as smtp:
    smtp.noop()
'''

#: An assertion that no longer holds, on line 6.
FAILING_ASSERT = '''"""Une affirmation devenue fausse."""

import smtplib

with smtplib.SMTP("mx.example.org", 25, local_hostname="client.example.com") as smtp:
    assert smtp.noop()[0] == 421, "le MX devait refuser"
'''
FAILING_LINE = 6

#: Waits far longer than any time limit a test gives it.
SLEEPER = '''"""Attend une réponse qui ne vient jamais."""

import time

time.sleep(60)
'''

#: Kills its own worker process.
SELF_KILLER = '''"""Quitte son processus sans prévenir."""

import os

os._exit(3)
'''


def write_example(root: Path, relative: str, body: str) -> str:
    """Write ``examples/<relative>`` under ``root``; return the reference a page would use."""
    path = root / "examples" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return f"examples/{relative}"


def reaching(host: str, port: int) -> str:
    """An example that opens a plain TCP connection to ``(host, port)``."""
    return (
        f'"""Tente de joindre {host}:{port}."""\n\n'
        "import socket\n\n"
        f"socket.create_connection(({host!r}, {port}), timeout=5).close()\n"
    )


def block(reference: str, *options: str, caption: str = "Légende.") -> str:
    """A well-formed ``exemple`` block, as a page writes it."""
    lines = [f"/// exemple | {reference}", *(f"    {option}" for option in options)]
    if options:
        lines.append("")
    return "\n".join([*lines, caption, "///", ""])


def append_to_page(page: Path, text: str) -> int:
    """Append ``text`` after a blank line; return the file line where it starts."""
    existing = page.read_text(encoding="utf-8")
    if not existing.endswith("\n"):
        existing += "\n"
    page.write_text(existing + "\n" + text, encoding="utf-8")
    return existing.count("\n") + 2


def line_of(page: Path, text: str) -> int:
    """The 1-based file line of the only line of ``page`` equal to ``text``."""
    lines = page.read_text(encoding="utf-8").split("\n")
    [number] = [index + 1 for index, line in enumerate(lines) if line == text]
    return number


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (the kernel just handed it out, then it was closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def warnings_of(output: str) -> list[str]:
    """The build's warnings, each with its continuation lines (a traceback, a diff…)."""
    entries = re.split(r"^(?=(?:INFO|WARNING|ERROR|DEBUG) +-  |Aborted )", output, flags=re.M)
    return [entry.rstrip("\n") for entry in entries if entry.startswith("WARNING")]


def processes_working_in(directory: Path) -> list[int]:
    """Live processes whose working directory is ``directory`` or below it (Linux ``/proc``)."""
    found = []
    resolved = directory.resolve()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue  # gone, a zombie, or not ours to look at
        if cwd == resolved or resolved in cwd.parents:
            found.append(int(entry.name))
    return found
