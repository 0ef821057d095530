"""The README's commands for real clients (curl, openssl), run as written against a lab.

The lab is started as the README says, with ``--ports-libres`` so that the test never collides
with another lab; the commands must then find every port and the CA in ``labo.json``.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

NB = "\u00a0"
SNIPPET = re.compile(r"\[start:essayer\](.*?)\[end:essayer\]", re.S)
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def readme_blocks() -> list[str]:
    """The shell blocks of the README's « essayer » section, the one that starts the lab first."""
    section = SNIPPET.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert section is not None, "README.md n’a plus de section [start:essayer]"
    return SHELL_BLOCK.findall(section[1])


@dataclass(frozen=True)
class Session:
    directory: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The client blocks run once in a fresh directory, while a lab with free ports serves."""
    for tool in ("curl", "openssl", "bash"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} n’est pas installé sur cette machine{NB}: rien à essayer")
    directory = tmp_path_factory.mktemp("clients")
    (directory / ".venv").symlink_to(REPO / ".venv")
    lab = subprocess.Popen(
        [sys.executable, "-m", "labo", "serve", "--describe", "labo.json", "--ports-libres"],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()
    drained = threading.Thread(target=_drain, args=(lab, ready), daemon=True)
    drained.start()
    try:
        # The banner follows the description: its first line means labo.json is written.
        assert ready.wait(60), "le labo n’a rien affiché en 60 s"
        assert lab.poll() is None, "le labo s’est arrêté au démarrage"
        client_blocks = readme_blocks()[1:]
        assert client_blocks, "README.md ne contient plus de commandes pour de vrais clients"
        result = subprocess.run(
            ["bash", "-e", "-c", "\n".join(client_blocks)],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        yield Session(directory, result)
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(30)
        drained.join(10)


def _drain(lab: subprocess.Popen[str], ready: threading.Event) -> None:
    """Read the lab's output (every line on the wire) so that its pipe never fills up."""
    assert lab.stdout is not None
    for _ in lab.stdout:
        ready.set()
    ready.set()


def test_the_readme_client_commands_succeed(session: Session) -> None:
    assert session.result.returncode == 0, session.result.stderr


def test_bob_reads_alices_message_over_imap_then_pop3(session: Session) -> None:
    assert session.result.stdout.count("Subject: Essai") == 2


def test_openssl_verifies_the_name_of_each_server(session: Session) -> None:
    assert "Verified peername: smtp.example.com" in session.result.stderr
    assert "Verified peername: imap.example.org" in session.result.stderr


def test_curl_shows_no_progress_meter(session: Session) -> None:
    assert "% Total" not in session.result.stderr


def test_the_commands_write_nothing_in_the_working_directory(session: Session) -> None:
    assert sorted(path.name for path in session.directory.iterdir()) == [".venv", "labo.json"]
