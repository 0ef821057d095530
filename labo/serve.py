"""``python -m labo serve``: the lab on fixed loopback ports, for curl, openssl or Thunderbird."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from pathlib import Path

from labo.context import LabOptions
from labo.identity import SERVER_NAME, SERVICES, USERS
from labo.lab import Lab

#: Fixed high ports: the standard port with a leading 10 (25 → 10025, 993 → 10993).
SERVE_PORTS = {name: 10000 + service.port for name, service in SERVICES.items()}

_TLS_LABEL = {"starttls": "en clair, puis STARTTLS/STLS", "implicit": "TLS implicite"}


def serve_forever(host: str, describe: str | None, *, pop3_plaintext: bool = False) -> int:
    """Run the lab until Ctrl-C (or SIGTERM), printing how to reach it."""
    options = LabOptions(pop3_plaintext_passwords=pop3_plaintext)
    stop = threading.Event()
    with Lab(options, listen_host=host, ports=SERVE_PORTS) as lab:
        description = lab.describe()
        if describe:
            Path(describe).write_text(json.dumps(description, indent=2, ensure_ascii=False) + "\n")
        print(banner(description, describe), flush=True)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    print("Labo arrêté.")
    return 0


def banner(description: dict, describe: str | None) -> str:
    lines = ["Le labo de messagerie est prêt.", "", "Services :"]
    for name, entry in description["services"].items():
        service = SERVICES[name]
        lines.append(
            f"  {name:<12} {entry['host']}:{entry['port']:<6} "
            f"(rôle du port {service.port}, {_TLS_LABEL[entry['tls']]})"
        )
    lines += ["", "Utilisateurs (identifiant / mot de passe) :"]
    lines += [f"  {user.login} / {user.password}" for user in USERS]
    lines += [
        "",
        f"Autorité de certification à approuver : {description['ca_file']}",
        f"Nom de serveur (certificats, --resolve) : {SERVER_NAME}",
        "",
        "Exemple : curl --ssl-reqd --cacert CA --resolve mail.example.net:10143:127.0.0.1 \\",
        "            --user alice@example.com:alice-secret imap://mail.example.net:10143/INBOX",
    ]
    if describe:
        lines.append(f"Description JSON écrite dans {describe}.")
    lines += ["", "Ctrl-C pour arrêter."]
    return "\n".join(lines)
