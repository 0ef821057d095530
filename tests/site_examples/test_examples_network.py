"""An example that reaches for anything but the lab is refused before a packet leaves.

The examples run in a child process set up like a build worker (a lab, names routed to it), plus
one audit hook added after the lab's own: it sees only what the lab let through, so it records
every connection actually attempted and every name actually looked up. A loopback listener
that no example should reach proves that a refused connection never arrived. Nothing here uses
an address other than loopback.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from example_projects import SMTP_NOOP, reaching, write_example

FOREIGN_NAME = "smtp.ailleurs.test"

#: Runs each example against a lab like a worker does, and prints what went through the hooks.
CHILD = r"""
import json, sys
from pathlib import Path

from labo import netmap
from labo.lab import Lab
from labo.runner.execute import run_example

root = Path(sys.argv[1])
connected, looked_up, recording = [], [], False

def record(event, args):
    if not recording:
        return
    if event == "socket.connect" and isinstance(args[1], tuple):
        connected.append([str(args[1][0]), args[1][1]])
    elif event in ("socket.getaddrinfo", "socket.gethostbyname"):
        looked_up.append(str(args[0]))

report = {}
with Lab() as lab, netmap.routed_to(lab):
    sys.addaudithook(record)  # after the lab's hook: called only for what it let through
    for relative in sys.argv[2:]:
        recording = True
        result = run_example(lab, root / relative, relative)
        recording = False
        report[relative] = {
            "error": result.error, "connected": connected[:], "looked_up": looked_up[:]
        }
        connected.clear()
        looked_up.clear()
print(json.dumps(report))
"""


@dataclass(frozen=True)
class Attempt:
    error: str | None
    connected: list[tuple[str, int]]
    looked_up: list[str]


@dataclass(frozen=True)
class Attempts:
    by_example: dict[str, Attempt]
    sentinel_port: int
    sentinel_was_reached: bool


@pytest.fixture(scope="module")
def sentinel() -> Iterator[socket.socket]:
    """A loopback listener outside the lab: nothing may ever connect to it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        yield listener


@pytest.fixture(scope="module")
def attempts(tmp_path_factory: pytest.TempPathFactory, sentinel: socket.socket) -> Attempts:
    root = tmp_path_factory.mktemp("reseau")
    port = int(sentinel.getsockname()[1])
    name_body = (
        '"""Ailleurs."""\n\nimport smtplib\n\n'
        f'smtplib.SMTP("{FOREIGN_NAME}", 587, local_hostname="client.example.com")\n'
    )
    examples = {
        "foreign_name": write_example(root, "ailleurs.py", name_body),
        "other_port": write_example(root, "sentinelle.py", reaching("127.0.0.1", port)),
        "lab": write_example(root, "bonjour.py", SMTP_NOOP),
    }
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), *examples.values()],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    by_example = {
        name: Attempt(
            report[relative]["error"],
            [(host, port) for host, port in report[relative]["connected"]],
            report[relative]["looked_up"],
        )
        for name, relative in examples.items()
    }
    try:
        sentinel.accept()[0].close()
        reached = True
    except BlockingIOError:
        reached = False
    return Attempts(by_example, port, reached)


def test_a_foreign_name_fails_with_the_labs_french_refusal(attempts: Attempts) -> None:
    error = attempts.by_example["foreign_name"].error or ""
    assert (
        f"LabNameRefused: Connexion refusée par le labo\u00a0: {FOREIGN_NAME}:587 "
        "n'est pas un serveur du labo."
    ) in error


def test_a_foreign_name_is_never_looked_up(attempts: Attempts) -> None:
    assert FOREIGN_NAME not in attempts.by_example["foreign_name"].looked_up


def test_a_foreign_name_opens_no_connection(attempts: Attempts) -> None:
    assert attempts.by_example["foreign_name"].connected == []


def test_a_loopback_port_outside_the_lab_fails_with_the_labs_french_refusal(
    attempts: Attempts,
) -> None:
    error = attempts.by_example["other_port"].error or ""
    assert (
        f"LabAddressRefused: Connexion refusée par le labo\u00a0: "
        f"127.0.0.1:{attempts.sentinel_port} n'est pas un serveur du labo."
    ) in error


def test_a_loopback_port_outside_the_lab_is_never_reached(attempts: Attempts) -> None:
    assert ("127.0.0.1", attempts.sentinel_port) not in attempts.by_example["other_port"].connected
    assert not attempts.sentinel_was_reached


def test_an_example_of_the_lab_connects_to_loopback_only(attempts: Attempts) -> None:
    lab = attempts.by_example["lab"]
    assert lab.error is None
    assert lab.connected  # the hook does see the connections the lab allows
    assert all(host in ("127.0.0.1", "::1") for host, _ in lab.connected)
