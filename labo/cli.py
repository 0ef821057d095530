"""Command line: run an example, approve transcripts, serve the lab to real mail clients.

.venv/bin/python -m labo run [--reference] examples/pop3/deux_appareils.py
.venv/bin/python -m labo bless [--reference] [FICHIERS…]
.venv/bin/python -m labo serve [--describe labo.json] [--ports-libres]

Everything its user reads is French, argparse's own words included (``_ARGPARSE_FRENCH``).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from labo.runner import approval
from labo.runner.example import Example, ExampleError, find_examples, resolve
from labo.runner.limits import MAX_TIMEOUT, MIN_TIMEOUT
from labo.runner.orphans import orphan_messages
from labo.runner.service import DEFAULT_TIMEOUT, ExampleService

NB = "\u00a0"
#: The program name shown in usage lines: the command as it works from a fresh shell.
PROG = ".venv/bin/python -m labo"
EXAMPLE = "examples/pop3/deux_appareils.py"

#: argparse's messages (Python 3.11), as its gettext calls them, in French.
_ARGPARSE_FRENCH = {
    "usage: ": f"utilisation{NB}: ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "affiche cette aide",
    "the following arguments are required: %s": f"il manque{NB}: %s",
    "unrecognized arguments: %s": f"arguments inconnus{NB}: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        f"%(value)r n’existe pas (au choix{NB}: %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": f"valeur invalide{NB}: %(value)r",
    "expected one argument": "une valeur est attendue",
    "argument %(argument_name)s: %(message)s": f"%(argument_name)s{NB}: %(message)s",
    "ambiguous option: %(option)s could match %(matches)s": (
        f"option ambiguë{NB}: %(option)s (%(matches)s{NB}?)"
    ),
    "%(prog)s: error: %(message)s\n": f"%(prog)s{NB}: erreur{NB}: %(message)s\n",
}


def _french(message: str) -> str:
    return _ARGPARSE_FRENCH.get(message, message)


def _timeout(text: str) -> float:
    """``--délai``: seconds, within the limits a page's block accepts."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"«{NB}{text}{NB}» n’est pas un nombre de secondes"
        ) from None
    if not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"{value:g}{NB}s est hors des limites ({MIN_TIMEOUT:g} à {MAX_TIMEOUT:g}{NB}s)"
        )
    return value


_TIMEOUT_HELP = (
    f"temps accordé à chaque exemple, en secondes ({DEFAULT_TIMEOUT:g} par défaut, "
    f"{MAX_TIMEOUT:g} au plus), comme l’option «{NB}délai{NB}» du bloc «{NB}///{NB}exemple{NB}»"
)


def main(argv: list[str] | None = None) -> int:
    argparse._ = _french  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=f"Le labo de messagerie (avec make{NB}: make run F=…, make bless F=…).",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMANDE", title="commandes"
    )
    run = commands.add_parser(
        "run",
        help="exécute des exemples et affiche leur transcription",
        description="Exécute des exemples contre le labo et affiche leur transcription.",
        epilog=f"Par exemple{NB}: {PROG} run {EXAMPLE}",
    )
    run.add_argument(
        "examples",
        nargs="*",
        metavar="EXEMPLE",
        help=f"exemples à exécuter (tous par défaut), par exemple {EXAMPLE}",
    )
    _add_run_options(run)
    bless = commands.add_parser(
        "bless",
        help="approuve les transcriptions (toutes par défaut)",
        description="Exécute des exemples et enregistre leur transcription comme approuvée.",
        epilog=f"Par exemple{NB}: {PROG} bless {EXAMPLE}",
    )
    bless.add_argument(
        "examples", nargs="*", metavar="EXEMPLE", help="exemples à approuver (tous par défaut)"
    )
    _add_run_options(bless)
    serve = commands.add_parser(
        "serve",
        help="sert le labo à de vrais clients (curl, openssl…)",
        description="Démarre le labo pour de vrais clients, jusqu’à Ctrl-C.",
    )
    serve.add_argument("--describe", metavar="FICHIER", help="écrit la description JSON du labo")
    serve.add_argument(
        "--hôte",
        dest="host",
        type=_loopback_address,
        default="127.0.0.1",
        help="adresse de bouclage où écouter (127.0.0.1 par défaut, ou ::1)",
    )
    serve.add_argument(
        "--ports-libres",
        dest="free_ports",
        action="store_true",
        help="ports choisis par le système au lieu de 10025…10995 (voir --describe)",
    )
    serve.add_argument(
        "--pop3-en-clair",
        dest="pop3_plaintext",
        action="store_true",
        help=(
            "serveur POP3 «\u00a0ancien\u00a0» qui accepte les mots de passe en clair "
            "sur le port 110"
        ),
    )
    args = parser.parse_args(argv)
    root = Path.cwd()
    try:
        if args.command in ("run", "bless") and args.reference:
            return _reference(root, args.examples, bless=args.command == "bless")
        if args.command == "run":
            return _run(root, args.examples, args.timeout)
        if args.command == "bless":
            return _bless(root, args.examples, args.timeout)
        from labo.serve import serve_forever

        return serve_forever(
            args.host,
            args.describe,
            pop3_plaintext=args.pop3_plaintext,
            free_ports=args.free_ports,
        )
    except ExampleError as problem:
        print(f"erreur\u00a0: {problem}", file=sys.stderr)
        return 2


def _run(root: Path, references: list[str], timeout: float) -> int:
    examples, failures = _selected(root, references)
    runner = ExampleService(root, use_cache=False, workers=1)
    try:
        for example in examples:
            if len(examples) > 1:
                print(f"== {example.relative}")
            result = runner.result(example, timeout)
            sys.stdout.write(result.transcript.to_text())
            if not result.ok:
                print(f"\nerreur\u00a0: {result.error}", file=sys.stderr)
                failures += 1
                continue
            fresh = result.transcript.to_text()
            problem = approval.compare_with(example, result.approved, fresh)
            if problem:
                print(f"\nremarque\u00a0: {problem}", file=sys.stderr)
    finally:
        runner.close()
    return 1 if failures else 0


def _selected(root: Path, references: list[str]) -> tuple[list[Example], int]:
    """The examples named, or all of them; those that cannot be used are reported, and counted."""
    if references:
        return [resolve(root, r) for r in references], 0
    examples: list[Example] = []
    unusable = 0
    for found in find_examples(root):
        if isinstance(found, ExampleError):
            print(f"erreur\u00a0: {found}", file=sys.stderr)
            unusable += 1
        else:
            examples.append(found)
    return examples, unusable


def _bless(root: Path, references: list[str], timeout: float) -> int:
    examples, failures = _selected(root, references)
    if not references:
        for orphan in orphan_messages(root):
            print(f"remarque{NB}: {orphan}", file=sys.stderr)
    runner = ExampleService(root, use_cache=False)
    try:
        futures = [(example, runner.submit(example, timeout)) for example in examples]
        for example, future in futures:
            result = future.result()
            if not result.ok:
                failures += 1
                print(f"échec\u00a0: {result.error}", file=sys.stderr)
                continue
            state = approval.bless(example, result.transcript.to_text())
            print(f"{example.approved_path.relative_to(root)}\u00a0: {state}")
    finally:
        runner.close()
    if failures:
        summary = f"{failures} exemple(s) en échec\u00a0: rien n'a été approuvé pour eux."
        print(summary, file=sys.stderr)
        return 1
    return 0


_REFERENCE_HELP = (
    "contre Postfix et Dovecot (serveurs de référence), transcriptions *.reference.txt"
)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options ``run`` and ``bless`` share: the time limit and the reference servers."""
    parser.add_argument(
        "--délai",
        dest="timeout",
        metavar="SECONDES",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        help=_TIMEOUT_HELP,
    )
    parser.add_argument("--reference", action="store_true", help=_REFERENCE_HELP)


def _reference(root: Path, references: list[str], *, bless: bool) -> int:
    """Run (or approve) examples against Postfix and Dovecot and compare them with the lab."""
    from labo.reference.install import InstallError
    from labo.reference.proof import describe, prove
    from labo.reference.servers import ReferenceServerError

    examples, failures = _selected(root, references)
    try:
        verdicts = prove(root, examples, bless=bless)
    except (InstallError, ReferenceServerError, OSError) as problem:
        print(f"erreur\u00a0: {problem}", file=sys.stderr)
        return 1
    for verdict in verdicts:
        if not bless or len(verdicts) == 1:
            sys.stdout.write(verdict.transcript)
        print(describe(verdict), file=sys.stderr)
    failures += sum(1 for v in verdicts if not v.ok)
    return 1 if failures else 0


def _loopback_address(text: str) -> str:
    """``--hôte``: the lab's accounts and passwords are public, so it never leaves the machine."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"«\u00a0{text}\u00a0» n'est pas une adresse IP (127.0.0.1 ou ::1 par exemple)"
        ) from None
    if not address.is_loopback:
        raise argparse.ArgumentTypeError(
            f"{text} n'est pas une adresse de bouclage\u00a0: le labo, dont les mots de passe "
            "sont publics, n'écoute que sur la machine elle-même (127.0.0.1 ou ::1)"
        )
    return address.compressed
