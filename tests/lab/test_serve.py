"""``python -m labo serve``, run as a real client would find it: a process, a JSON file, ports.

The lab runs in a subprocess with ``--ports-libres``, so this file never fights another lab (or
another test run) for the fixed ports 10025…10995; the clients learn the ports from the JSON,
exactly as a script driving curl or Thunderbird does. Everything stays on loopback.
"""

from __future__ import annotations

import email
import imaplib
import json
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labo import netmap
from labo.identity import SERVICES, USERS
from labo.serve import SERVE_PORTS

ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB = USERS

#: The ``tls`` value each service must have in the description.
EXPECTED_TLS = {
    "smtp": "starttls",
    "submission": "starttls",
    "submissions": "implicit",
    "pop3": "starttls",
    "pop3s": "implicit",
    "imap": "starttls",
    "imaps": "implicit",
}

#: How each protocol's greeting starts.
GREETINGS = {"smtp": b"220 ", "pop3": b"+OK ", "imap": b"* OK "}

#: Generous: a cold Python start with every import, on a loaded CI machine.
STARTUP_SECONDS = 30.0


@dataclass
class Served:
    """A running ``python -m labo serve`` and what it wrote."""

    process: subprocess.Popen[str]
    describe: Path
    description: dict[str, Any]
    banner: str


def start_serving(describe: Path, *, as_background_job: bool = False) -> Served:
    """Start the command, wait for its JSON file, then read its banner to the last line.

    ``as_background_job`` starts it with SIGINT ignored, as a shell starts ``make lab &``.
    """
    previous = signal.getsignal(signal.SIGINT)
    if as_background_job:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "labo", "serve", "--describe", str(describe), "--ports-libres"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
    finally:
        if as_background_job and previous is not None:
            signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not describe.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, errors = process.communicate()
            pytest.fail(f"python -m labo serve n'a pas écrit {describe}\u00a0:\n{errors}")
        time.sleep(0.02)
    description = json.loads(describe.read_text(encoding="utf-8"))
    assert process.stdout is not None
    banner = []
    for line in process.stdout:  # the banner ends with this line, printed before waiting
        banner.append(line)
        if line.startswith("Ctrl-C"):
            break
    return Served(process, describe, description, "".join(banner))


def stop_serving(served: Served, number: signal.Signals) -> tuple[int, str, str]:
    """Send ``number`` and wait: (exit status, what it printed after the banner, stderr)."""
    served.process.send_signal(number)
    output, errors = served.process.communicate(timeout=STARTUP_SECONDS)
    return served.process.returncode, output, errors


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One lab served for the module's read-mostly tests."""
    running = start_serving(tmp_path_factory.mktemp("serve") / "labo.json")
    yield running
    if running.process.poll() is None:
        stop_serving(running, signal.SIGTERM)


@pytest.fixture
def served_once(tmp_path: Path) -> Iterator[Served]:
    """A lab of its own, for a test that stops it."""
    running = start_serving(tmp_path / "labo.json")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.communicate()


def client_context(served: Served) -> ssl.SSLContext:
    """What a real client is told to do: trust the CA file the description names."""
    return ssl.create_default_context(cafile=served.description["ca_file"])


def read_greeting(served: Served, name: str) -> bytes:
    """Connect where the description says, with TLS at once for implicit services."""
    entry = served.description["services"][name]
    sock = socket.create_connection((entry["host"], entry["port"]), timeout=10)
    if entry["tls"] == "implicit":
        sock = client_context(served).wrap_socket(sock, server_hostname=entry["hostname"])
    with sock:
        return sock.recv(1024)


# -- the description ----------------------------------------------------------------------------


def test_description_has_exactly_the_ca_file_the_users_and_the_services(served: Served) -> None:
    assert sorted(served.description) == ["ca_file", "services", "users"]


def test_description_lists_every_user_with_login_password_and_address(served: Served) -> None:
    assert served.description["users"] == [
        {"login": user.login, "password": user.password, "address": user.address} for user in USERS
    ]


def test_description_lists_the_seven_services_on_loopback_with_their_tls(served: Served) -> None:
    services = served.description["services"]
    shapes = {name: {**entry, "port": type(entry["port"])} for name, entry in services.items()}
    assert shapes == {
        name: {"host": "127.0.0.1", "port": int, "hostname": SERVER_NAME, "tls": tls}
        for name, tls in EXPECTED_TLS.items()
    }


def test_described_ports_are_seven_distinct_ports(served: Served) -> None:
    ports = {entry["port"] for entry in served.description["services"].values()}
    assert len(ports) == len(SERVICES) and all(0 < port < 65536 for port in ports)


def test_described_ca_file_holds_the_lab_certificate_authority(served: Served) -> None:
    (authority,) = client_context(served).get_ca_certs()
    assert (("organizationName", "Labo La messagerie"),) in authority["subject"]


@pytest.mark.parametrize("name", list(EXPECTED_TLS))
def test_each_described_port_greets_with_its_protocol(served: Served, name: str) -> None:
    assert read_greeting(served, name).startswith(GREETINGS[SERVICES[name].protocol])


def test_fixed_ports_are_the_standard_ports_with_a_leading_10() -> None:
    assert SERVE_PORTS == {
        "smtp": 10025,
        "submission": 10587,
        "submissions": 10465,
        "pop3": 10110,
        "pop3s": 10995,
        "imap": 10143,
        "imaps": 10993,
    }


# -- the stdlib clients, as real clients --------------------------------------------------------


@pytest.fixture
def routed_to_served(served: Served) -> Iterator[None]:
    """Lab host names on standard ports lead to the described ports, as ``curl --resolve`` does.

    The stdlib clients check the certificate against the name they dial: dialling the described
    host name is how they present ``server_hostname`` = ``hostname``.
    """
    services = served.description["services"]
    with netmap.route_to(
        {name: (entry["host"], entry["port"]) for name, entry in services.items()}
    ):
        yield


@pytest.mark.usefixtures("routed_to_served")
def test_message_submitted_on_the_described_ports_is_read_over_imap(served: Served) -> None:
    services, context = served.description["services"], client_context(served)
    with smtplib.SMTP(
        services["submission"]["hostname"], 587, local_hostname="ordinateur.example.com"
    ) as smtp:
        smtp.starttls(context=context)
        smtp.login(ALICE.login, ALICE.password)
        smtp.sendmail(
            ALICE.address,
            [BOB.address],
            b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Servi\r\n\r\nBonjour\r\n",
        )
    with imaplib.IMAP4(services["imap"]["hostname"], 143) as imap:
        imap.starttls(ssl_context=context)
        imap.login(BOB.login, BOB.password)
        _, count = imap.select("INBOX", readonly=True)
        _, data = imap.fetch(count[0], "(BODY.PEEK[])")
    received = email.message_from_bytes(data[0][1])
    assert (received["Subject"], received["Delivered-To"]) == ("Servi", BOB.address)


# -- what a person reads ------------------------------------------------------------------------


def banner_section(served: Served, title: str) -> list[str]:
    """The lines under ``title`` in the banner, up to the next blank line."""
    lines = served.banner.splitlines()
    start = lines.index(title) + 1
    return lines[start : lines.index("", start)]


def test_banner_lists_every_service_at_its_described_address(served: Served) -> None:
    listed = [line.split()[:2] for line in banner_section(served, "Services\u00a0:")]
    assert listed == [
        [name, f"{entry['host']}:{entry['port']}"]
        for name, entry in served.description["services"].items()
    ]


def test_banner_lists_every_user_with_login_and_password(served: Served) -> None:
    title = "Utilisateurs (identifiant / mot de passe)\u00a0:"
    assert banner_section(served, title) == [f"  {u.login} / {u.password}" for u in USERS]


def test_banner_names_the_ca_file_to_trust(served: Served) -> None:
    ca_file = served.description["ca_file"]
    assert f"Autorité de certification à approuver\u00a0: {ca_file}" in served.banner.splitlines()


def test_banner_puts_a_no_break_space_before_double_punctuation(served: Served) -> None:
    assert re.findall(r".{0,20} [:;?!]", served.banner) == []


# -- stopping -----------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_the_lab_cleanly_and_says_so(
    served_once: Served, number: signal.Signals
) -> None:
    assert stop_serving(served_once, number) == (0, "Labo arrêté.\n", "")


def test_sigint_stops_a_lab_started_as_a_background_job(tmp_path: Path) -> None:
    served = start_serving(tmp_path / "labo.json", as_background_job=True)
    try:
        assert stop_serving(served, signal.SIGINT) == (0, "Labo arrêté.\n", "")
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.communicate()


def test_description_file_is_removed_when_the_lab_stops(served_once: Served) -> None:
    stop_serving(served_once, signal.SIGTERM)
    assert not served_once.describe.exists()
