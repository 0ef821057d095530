"""``python -m labo.reference``: install if needed, then prove every example against Postfix and
Dovecot and print the comparison with the lab (``make reference``).

``--install-only`` stops after the installation (CI, as root); ``--smoke`` runs only the smoke
check (Alice writes to Bob through both Postfix and Dovecot). Exit status 0 when everything
holds; 1 with French messages otherwise (a failing example, an undeclared difference).
"""

from __future__ import annotations

import argparse
import imaplib
import sys
import time
from pathlib import Path

from labo.reference.install import InstallError, ensure_installed
from labo.reference.servers import ReferenceServerError, ReferenceServers
from labo.reference.smoke import SmokeError, run_smoke

NB = "\u00a0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labo.reference")
    parser.add_argument("--install-only", action="store_true", help="installe, sans rien lancer")
    parser.add_argument("--smoke", action="store_true", help="vérification rapide seulement")
    args = parser.parse_args(argv)
    try:
        programs = ensure_installed()
        if args.install_only:
            print("Postfix et Dovecot sont installés.")
            return 0
        if args.smoke:
            return _smoke(programs)
        from labo.reference.proof import describe, prove
        from labo.runner.example import all_examples

        started = time.perf_counter()
        root = Path.cwd()
        verdicts = prove(
            root, all_examples(root), programs=programs, report=lambda v: print(describe(v))
        )
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
    failed = [v for v in verdicts if not v.ok]
    declared = sum(len(v.declared) for v in verdicts)
    print(
        f"{len(verdicts)} exemples contre Postfix et Dovecot en "
        f"{time.perf_counter() - started:.1f}{NB}s{NB}: {len(failed)} en échec, "
        f"{declared} différence(s) déclarée(s)."
    )
    return 1 if failed else 0


def _smoke(programs: object) -> int:
    started = time.perf_counter()
    with ReferenceServers(programs=programs) as servers:  # type: ignore[arg-type]
        print(f"Serveurs de référence démarrés en {_ms(started)}{NB}ms{NB}:")
        for (domain, service), (host, port) in servers.endpoints.items():
            print(f"  {domain} {service:<12} {host}:{port}")
        run_smoke(servers)
        started = time.perf_counter()
        servers.reset()
        print(f"Remise à zéro{NB}: {_ms(started)}{NB}ms")
        started = time.perf_counter()
    print(f"Arrêt{NB}: {_ms(started)}{NB}ms, aucun processus restant.")
    return 0


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.0f}"


if __name__ == "__main__":
    sys.exit(main())
