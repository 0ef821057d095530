"""The worker process: one lab started once, then examples run one after another against it.

Starting Python and the lab costs a few hundred milliseconds; resetting the lab costs a few.
So a build starts a handful of workers and reuses them, never one process per example, and
replaces a worker as soon as an example left something behind in it.

Started by ``labo.runner.pool`` as ``python -m labo.runner.worker FD SETTINGS`` with a minimal
environment, in its own session, in a fresh temporary directory; ``FD`` is its end of a socket
pair, ``SETTINGS`` a JSON object: ``{"protected": [paths made read-only], "isolate": bool,
"parent": pid}``; the worker ends with its parent, even one killed with SIGKILL.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labo.runner import isolation, processes

if TYPE_CHECKING:
    from labo.runner.guard import Guard


def main(argv: list[str]) -> int:
    connection = Connection(int(argv[1]))
    settings = json.loads(argv[2])
    try:
        level = _confine(settings)
        if "parent" in settings:
            processes.end_with_parent(int(settings["parent"]))
        _serve(connection, level, settings)
    except ModuleNotFoundError as missing:  # the wrong Python, not a faulty example
        connection.send(("module manquant", missing.name or str(missing)))
        return 1
    except Exception:
        connection.send(("échec", traceback.format_exc()[-4000:]))
        return 1
    return 0


def _confine(settings: dict[str, Any]) -> str:
    """Namespaces where they exist (before any thread starts), a subreaper in every case."""
    processes.become_subreaper()
    wanted = bool(settings.get("isolate", True))
    if wanted and isolation.available():
        protected = [Path(path) for path in settings.get("protected", [])]
        isolation.confine(protected)
        _scratch_in(isolation.scratch_directory())
        return isolation.NAMESPACES
    return isolation.GUARD_ONLY


def _scratch_in(directory: Path) -> None:
    """Make ``directory`` where the lab keeps its files and each example gets its own.

    A lab reset empties every Maildir and the queues (many mkdir and rmdir), and each example
    gets a directory of its own: on a private tmpfs that costs memory operations only, where a
    journaled disk costs milliseconds per directory.
    """
    os.environ["TMPDIR"] = str(directory)
    tempfile.tempdir = str(directory)


def _lab(reference: dict[str, Any] | None) -> Any:
    """The lab, or with ``reference`` (``labo.reference.description``) the reference one."""
    if reference is not None:
        from labo.reference.lab import ReferenceLab

        return ReferenceLab(reference)
    from labo.lab import Lab

    return Lab()


def _serve(connection: Connection, level: str, settings: dict[str, Any]) -> None:
    """Serve jobs ``(root, relative)`` until the pipe sends None or closes."""
    from labo.runner.execute import run_example
    from labo.runner.guard import Guard

    with _lab(settings.get("reference")) as lab:
        guard = Guard(lab)
        guard.ensure()
        connection.send(("prêt", level))
        try:
            while True:
                try:
                    job = connection.recv()
                except EOFError:
                    return
                if job is None:
                    return
                cpu_started, started = time.process_time(), time.perf_counter()
                root, relative = job
                guard.ensure()
                workdir = Path(tempfile.mkdtemp(prefix="exemple-"))
                try:
                    result = run_example(
                        lab,
                        Path(root) / relative,
                        relative,
                        workdir=workdir,
                        checks=[
                            functools.partial(_processes_left, relative),
                            functools.partial(_guard_altered, relative, guard),
                        ],
                    )
                finally:
                    shutil.rmtree(workdir, ignore_errors=True)
                result.cpu_job = time.process_time() - cpu_started
                result.busy = time.perf_counter() - started
                connection.send(result.to_json())
        finally:
            guard.release()


def _processes_left(relative: str) -> str | None:
    left = processes.descendants(os.getpid())
    processes.reap_children()
    if not left:
        return None
    names = ", ".join(processes.describe(pid) for pid in left)
    processes.kill_descendants(os.getpid())
    processes.reap_children()
    return (
        f"{relative} a laissé des processus actifs ({names})\u00a0; ils ont été arrêtés. "
        "Attendez-les (wait() ou communicate()) avant la fin de l'exemple."
    )


def _guard_altered(relative: str, guard: Guard) -> str | None:
    if not guard.altered():
        return None
    return (
        f"{relative} a désactivé ou modifié la garde réseau du labo (netmap.uninstall(), "
        "socket.getaddrinfo remplacé…). Un exemple ne doit pas y toucher."
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv))
