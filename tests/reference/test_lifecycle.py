"""The reference servers' life cycle: nothing survives a stop, a taken port fails at once,
``deliver`` fills a mailbox and ``reset`` empties it."""

from __future__ import annotations

import imaplib
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labo.identity import ALICE
from labo.reference.config import PortTakenError
from labo.reference.install import Programs
from labo.reference.servers import ReferenceServerError, ReferenceServers

MESSAGE = (
    b"From: Bob Durand <bob@example.org>\r\nTo: Alice Martin <alice@example.com>\r\n"
    b"Subject: Dans la boite\r\nMessage-ID: <boite@example.org>\r\n\r\nBonjour\r\n"
)


def _pgrep(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return found.stdout.split()


def _running(pid: int) -> bool:
    """True if ``ps`` shows the process, and not as a zombie waiting for init to reap it."""
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(state.stdout.strip()) and not state.stdout.startswith("Z")


def _message_count(servers: ReferenceServers, tls: ssl.SSLContext) -> int:
    host, port = servers.endpoints[("example.com", "imaps")]
    with imaplib.IMAP4_SSL(host, port, ssl_context=tls, timeout=10) as imap:
        imap.login(ALICE.login, ALICE.password)
        _, data = imap.select("INBOX", readonly=True)
        imap.logout()
    return int(data[0])


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on example.com's address on which someone else already listens."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.2", 0))
        squatter.listen()
        yield squatter.getsockname()[1]


@pytest.mark.usefixtures("servers_available")
def test_stop_leaves_no_process_and_no_directory() -> None:
    servers = ReferenceServers().start()
    root = servers.root
    processes = servers.processes()
    assert _pgrep(str(root)), "the instances should be visible by their directory"
    servers.stop()
    assert [pid for pid in processes if _running(pid)] == []
    assert _pgrep(str(root)) == []
    assert not root.exists()


@pytest.mark.usefixtures("servers_available")
def test_a_taken_port_is_reported_in_french_without_waiting(taken_port: int) -> None:
    servers = ReferenceServers(ports={("example.com", "submission"): taken_port})
    with pytest.raises(PortTakenError) as raised:
        servers.start()
    message = str(raised.value)
    assert f"127.0.0.2:{taken_port}" in message
    assert "submission de example.com" in message
    assert "déjà pris" in message


def test_delivered_message_is_in_the_mailbox(
    reference: ReferenceServers, tls: ssl.SSLContext
) -> None:
    reference.deliver(ALICE.address, MESSAGE)
    assert _message_count(reference, tls) == 1


def test_reset_empties_every_mailbox(reference: ReferenceServers, tls: ssl.SSLContext) -> None:
    reference.deliver(ALICE.address, MESSAGE)
    reference.reset()
    assert _message_count(reference, tls) == 0


@pytest.mark.usefixtures("servers_available")
def test_a_failed_start_names_the_instance_and_its_log_and_leaves_nothing() -> None:
    servers = ReferenceServers(programs=Programs(dovecot=Path("/bin/false")))
    with pytest.raises(ReferenceServerError) as raised:
        servers.start()
    message = str(raised.value)
    assert message.startswith("dovecot n’a pas démarré")
    root = Path(message.split("lisez ")[1].split("/logs/")[0])
    assert "/logs/dovecot.log" in message
    assert not root.exists()
    assert _pgrep(str(root)) == []


@pytest.mark.usefixtures("servers_available")
def test_sigterm_stops_the_instances_and_removes_the_directory() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    root = child.stdout.readline().decode().strip()
    assert root and _pgrep(root)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=10) == 128 + signal.SIGTERM
    assert _pgrep(root) == []
    assert not Path(root).exists()


#: Starts the servers, says where, then blocks until a signal comes.
SIGTERM_CHILD = """
import sys
from labo.reference.install import Programs
from labo.reference.servers import ReferenceServerError, ReferenceServers
with ReferenceServers() as servers:
    print(servers.root, flush=True)
    sys.stdin.read()
"""
