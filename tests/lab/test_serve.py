"""``python -m labo serve``, run as a real client would find it: a process, a JSON file, ports.

The lab runs in a subprocess with ``--ports-libres``, so this file never fights another lab (or
another test run) for the fixed ports 10025…20995; the clients learn the ports from the JSON,
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
from labo.identity import PROVIDERS, SERVICES, USERS
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


def service_entry(served: Served, domain: str, name: str) -> dict[str, Any]:
    """What the description says of service ``name`` of the provider of ``domain``."""
    entry: dict[str, Any] = served.description["providers"][domain]["services"][name]
    return entry


def read_greeting(served: Served, domain: str, name: str) -> bytes:
    """Connect where the description says, with TLS at once for implicit services."""
    entry = service_entry(served, domain, name)
    sock = socket.create_connection((entry["host"], entry["port"]), timeout=10)
    if entry["tls"] == "implicit":
        sock = client_context(served).wrap_socket(sock, server_hostname=entry["hostname"])
    with sock:
        return sock.recv(1024)


# -- the description ----------------------------------------------------------------------------


def test_description_has_exactly_the_ca_file_the_users_and_the_providers(served: Served) -> None:
    assert sorted(served.description) == ["ca_file", "providers", "users"]


def test_description_lists_each_provider_with_its_services_only(served: Served) -> None:
    providers = served.description["providers"]
    assert {domain: sorted(entry) for domain, entry in providers.items()} == {
        domain: ["services"] for domain in PROVIDERS
    }


def test_description_lists_every_user_with_login_password_and_address(served: Served) -> None:
    assert served.description["users"] == [
        {"login": user.login, "password": user.password, "address": user.address} for user in USERS
    ]


@pytest.mark.parametrize("domain", list(PROVIDERS))
def test_description_lists_the_seven_services_of_a_provider_under_its_own_names(
    served: Served, domain: str
) -> None:
    services = served.description["providers"][domain]["services"]
    shapes = {name: {**entry, "port": type(entry["port"])} for name, entry in services.items()}
    provider = PROVIDERS[domain]
    assert shapes == {
        name: {
            "host": "127.0.0.1",
            "port": int,
            "hostname": provider.hostname_for(SERVICES[name]),
            "tls": tls,
        }
        for name, tls in EXPECTED_TLS.items()
    }


def test_described_ports_are_fourteen_distinct_ports(served: Served) -> None:
    ports = {
        entry["port"]
        for provider in served.description["providers"].values()
        for entry in provider["services"].values()
    }
    assert len(ports) == len(PROVIDERS) * len(SERVICES) == 14
    assert all(0 < port < 65536 for port in ports)


def test_described_ca_file_holds_the_lab_certificate_authority(served: Served) -> None:
    (authority,) = client_context(served).get_ca_certs()
    assert (("organizationName", "Labo La messagerie"),) in authority["subject"]


@pytest.mark.parametrize("domain", list(PROVIDERS))
@pytest.mark.parametrize("name", list(EXPECTED_TLS))
def test_each_described_port_greets_with_its_protocol_and_its_host_name(
    served: Served, domain: str, name: str
) -> None:
    greeting = read_greeting(served, domain, name)
    hostname = service_entry(served, domain, name)["hostname"]
    assert greeting.startswith(GREETINGS[SERVICES[name].protocol])
    assert hostname.encode() in greeting


def test_fixed_ports_are_the_standard_ports_with_10_for_example_com_and_20_for_example_org() -> (
    None
):
    standard = {
        "smtp": 25,
        "submission": 587,
        "submissions": 465,
        "pop3": 110,
        "pop3s": 995,
        "imap": 143,
        "imaps": 993,
    }
    expected = {
        **{("example.com", name): 10000 + port for name, port in standard.items()},
        **{("example.org", name): 20000 + port for name, port in standard.items()},
    }
    assert expected == SERVE_PORTS


# -- the stdlib clients, as real clients --------------------------------------------------------


@pytest.fixture
def routed_to_served(served: Served) -> Iterator[None]:
    """Lab host names on standard ports lead to the described ports, as ``curl --resolve`` does.

    The stdlib clients check the certificate against the name they dial: dialling the described
    host name is how they present ``server_hostname`` = ``hostname``.
    """
    providers = served.description["providers"]
    with netmap.route_to(
        {
            (domain, name): (entry["host"], entry["port"])
            for domain, provider in providers.items()
            for name, entry in provider["services"].items()
        }
    ):
        yield


def idle_until_exists(imap: imaplib.IMAP4, tag: bytes) -> bytes:
    """Bob's mail program in IDLE (RFC 2177): the server says ``* n EXISTS`` when mail lands.

    The MSA answers once the message is queued; its delivery to Bob's provider comes after.
    """
    while True:
        line = imap.readline()
        if line.endswith(b" EXISTS\r\n"):
            imap.send(b"DONE\r\n")
            while not imap.readline().startswith(tag):
                pass
            return line.split()[1]


@pytest.mark.usefixtures("routed_to_served")
def test_message_submitted_to_alices_provider_is_read_at_bobs_over_imap(served: Served) -> None:
    context = client_context(served)
    submission = service_entry(served, ALICE.domain, "submission")
    with imaplib.IMAP4(service_entry(served, BOB.domain, "imap")["hostname"], 143) as imap:
        imap.starttls(ssl_context=context)
        imap.login(BOB.login, BOB.password)
        imap.select("INBOX")
        tag = imap._new_tag()
        imap.send(tag + b" IDLE\r\n")
        assert imap.readline().startswith(b"+")
        with smtplib.SMTP(
            submission["hostname"], 587, local_hostname="ordinateur.example.com"
        ) as smtp:
            smtp.starttls(context=context)
            smtp.login(ALICE.login, ALICE.password)
            smtp.sendmail(
                ALICE.address,
                [BOB.address],
                b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Servi\r\n\r\n"
                b"Bonjour\r\n",
            )
        _, data = imap.fetch(idle_until_exists(imap, tag), "(BODY.PEEK[])")
    received = email.message_from_bytes(data[0][1])
    assert (received["Subject"], received["Delivered-To"]) == ("Servi", BOB.address)


# -- what a person reads ------------------------------------------------------------------------


def banner_section(served: Served, title: str) -> list[str]:
    """The lines under ``title`` in the banner, up to the next blank line."""
    lines = served.banner.splitlines()
    start = lines.index(title) + 1
    return lines[start : lines.index("", start)]


@pytest.mark.parametrize("domain", list(PROVIDERS))
def test_banner_lists_every_service_of_a_provider_at_its_described_address(
    served: Served, domain: str
) -> None:
    section = banner_section(served, f"Fournisseur {domain}\u00a0:")
    assert [line.split()[:3] for line in section] == [
        [name, entry["hostname"], f"{entry['host']}:{entry['port']}"]
        for name, entry in served.description["providers"][domain]["services"].items()
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
