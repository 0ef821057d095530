"""``python -m labo serve``: the lab on fixed loopback ports, for curl, openssl or Thunderbird."""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import threading
import unicodedata
from pathlib import Path
from typing import Any

from labo.context import LabOptions
from labo.identity import PROVIDERS, SERVICES, USERS, user_by_address
from labo.lab import Lab
from labo.wire.transcript import Event, Recorder

#: Fixed high ports: the standard port with a leading 10 for example.com (587 → 10587) and 20 for
#: example.org (993 → 20993).
_PORT_BASES = {"example.com": 10000, "example.org": 20000}
SERVE_PORTS = {
    (domain, name): base + service.port
    for domain, base in _PORT_BASES.items()
    for name, service in SERVICES.items()
}

_TLS_LABEL = {"starttls": "en clair, puis STARTTLS/STLS", "implicit": "TLS implicite"}
_NB = "\u00a0"  # before « : ; ? ! » and inside guillemets (French typography)


def serve_forever(
    host: str, describe: str | None, *, pop3_plaintext: bool = False, free_ports: bool = False
) -> int:
    """Run the lab until Ctrl-C (or SIGTERM), printing how to reach it.

    ``free_ports`` lets the system pick the ports (``--describe`` tells which): two labs, or a
    lab and a test suite, can then run side by side.
    """
    options = LabOptions(pop3_plaintext_passwords=pop3_plaintext)
    ports = None if free_ports else SERVE_PORTS
    stop = threading.Event()
    # Both signals only set ``stop``, and from before the lab starts: one that arrives while it
    # starts, or right after the description appears, still ends in a clean stop. SIGINT gets a
    # handler too because a shell starts background jobs with SIGINT ignored, and Python then
    # never raises KeyboardInterrupt: ``kill -INT`` would do nothing.
    previous = {
        number: signal.signal(number, lambda *_: stop.set())
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        # Every line crossing the wire scrolls in the terminal, as it happens; none is kept.
        recorder = Recorder(sink=_print_event, keep=False)
        lab = Lab(options, listen_host=host, ports=ports, recorder=recorder)
        return _serve(lab, describe, stop)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _serve(lab: Lab, describe: str | None, stop: threading.Event) -> int:
    try:
        lab.start()
    except OSError as problem:
        print(_start_failure(problem), file=sys.stderr)
        return 1
    description_file = Path(describe) if describe else None
    try:
        description = lab.describe()
        if description_file is not None:
            _write_description(description_file, description)
        print(banner(description, describe), flush=True)
        stop.wait()
    finally:
        lab.stop()
        if description_file is not None:
            description_file.unlink(missing_ok=True)  # it names a CA and ports that are gone
    print("Labo arrêté.", flush=True)
    return 0


#: The longest event line printed whole; a client may send megabytes on one line.
PRINTED_LINE_LIMIT = 2000

#: Characters a terminal obeys instead of showing: C0 and C1 controls, DEL, and the bidirectional
#: overrides and isolates that reorder what follows (Trojan Source, CVE-2021-42574).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, limit: int = PRINTED_LINE_LIMIT) -> str:
    """``text`` as a terminal can print it: controls escaped (a client cannot retitle,
    recolour or clear the terminal), and cut after ``limit`` characters with its real length."""
    size = len(text)
    if size > limit:
        text = text[:limit]
    safe = "".join(
        _escape(c) if unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS else c for c in text
    )
    if size > limit:
        safe += f" … tronqué ({size} caractères)"
    return safe


def _print_event(event: Event) -> None:
    print(terminal_safe(event.render()), flush=True)


def _write_description(path: Path, description: dict[str, Any]) -> None:
    """Write the JSON whole or not at all: a script waiting for the file never reads half."""
    temporary = path.with_name(f".{path.name}.tmp")
    text = json.dumps(description, indent=2, ensure_ascii=False) + "\n"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _start_failure(problem: OSError) -> str:
    message = f"erreur{_NB}: le labo n'a pas pu démarrer{_NB}: {problem}"
    if problem.errno == errno.EADDRINUSE:
        ports = ", ".join(str(port) for port in SERVE_PORTS.values())
        message += (
            f"\nUn de ses ports ({ports}) est déjà pris{_NB}: un autre labo tourne-t-il déjà{_NB}? "
            "Avec --ports-libres, le système en choisit d'autres."
        )
    return message


def banner(description: dict[str, Any], describe: str | None) -> str:
    """What a person reads at start: services, accounts, the CA to trust, a command to try."""
    lines = ["Le labo de messagerie est prêt."]
    for domain, provider in description["providers"].items():
        lines += ["", f"Fournisseur {domain}{_NB}:"]
        for name, entry in provider["services"].items():
            service = SERVICES[name]
            lines.append(
                f"  {name:<12} {entry['hostname']:<18} {entry['host']}:{entry['port']:<6} "
                f"(rôle du port {service.port}, {_TLS_LABEL[entry['tls']]})"
            )
    lines += ["", f"Utilisateurs (identifiant / mot de passe){_NB}:"]
    lines += [f"  {user.login} / {user.password}" for user in USERS]
    bob = user_by_address("bob@example.org")
    assert bob is not None
    imap = description["providers"][bob.domain]["services"]["imap"]
    address = f"[{imap['host']}]" if ":" in imap["host"] else imap["host"]
    name = PROVIDERS[bob.domain].host("imap").name
    lines += [
        "",
        f"Autorité de certification à approuver{_NB}: {description['ca_file']}",
        "Chaque serveur présente un certificat à son nom (colonne du milieu)"
        f"{_NB}: --resolve dit à curl de trouver ce nom sur {imap['host']}.",
        "",
        f"Exemple{_NB}: curl --ssl-reqd --cacert {description['ca_file']} \\",
        f"            --resolve {name}:{imap['port']}:{address} \\",
        f"            --user {bob.login}:{bob.password} imap://{name}:{imap['port']}/INBOX",
    ]
    if describe:
        lines.append(f"Description JSON écrite dans {describe} (effacée à l'arrêt).")
    lines += [
        "",
        "Chaque connexion s’affiche ci-dessous, ligne à ligne (C : client, S : serveur).",
        "Ctrl-C pour arrêter.",
    ]
    return "\n".join(lines)
