"""``python -m labo.reference``: install if needed, start, run the smoke check, stop.

Exit status 0 when the message went from Alice to Bob through Postfix and Dovecot; 1 with a
French message otherwise.
"""

from __future__ import annotations

import imaplib
import sys
import time

from labo.reference.install import InstallError, ensure_installed
from labo.reference.servers import ReferenceServerError, ReferenceServers
from labo.reference.smoke import SmokeError, run_smoke

NB = "\u00a0"


def main() -> int:
    try:
        programs = ensure_installed()
        started = time.perf_counter()
        servers = ReferenceServers(programs=programs)
        with servers:
            print(f"Serveurs de référence démarrés en {_ms(started)}{NB}ms{NB}:")
            for (domain, service), (host, port) in servers.endpoints.items():
                print(f"  {domain} {service:<12} {host}:{port}")
            run_smoke(servers)
            started = time.perf_counter()
            servers.reset()
            print(f"Remise à zéro{NB}: {_ms(started)}{NB}ms")
            started = time.perf_counter()
        print(f"Arrêt{NB}: {_ms(started)}{NB}ms, aucun processus restant.")
    except (
        InstallError,
        ReferenceServerError,
        SmokeError,
        TimeoutError,
        OSError,
        imaplib.IMAP4.error,
    ) as error:
        print(f"erreur{NB}: {error}", file=sys.stderr)
        return 1
    return 0


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.0f}"


if __name__ == "__main__":
    sys.exit(main())
