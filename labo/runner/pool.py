"""A small pool of worker processes with a per-example time limit.

``concurrent.futures.ProcessPoolExecutor`` cannot stop one hung task, so each worker is driven by
its own dispatcher thread, which kills and replaces the process when an example overruns.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from labo.runner import processes
from labo.runner.approval import approved_text
from labo.runner.commands import missing_dependency, run_command
from labo.runner.environment import worker_environment
from labo.runner.example import Example
from labo.runner.isolation import GUARD_ONLY
from labo.runner.limits import MAX_TIMEOUT
from labo.runner.result import RunResult

#: How long a fresh worker may take to import everything and start its lab.
STARTUP_SECONDS = 60.0
#: How long ``close`` lets dispatchers end before it kills whatever they still hold.
CLOSE_SECONDS = 30.0
#: The smallest time limit the message about a hung example suggests.
SUGGESTED_TIMEOUT = 20.0


@dataclass
class _Job:
    example: Example
    timeout: float
    future: Future[RunResult]
    #: Read when the job is submitted, before any example runs (see ``RunResult.approved``).
    approved: str | None


class _Worker:
    """One process (``labo.runner.worker``) and the parent's end of its socket pair.

    A subprocess rather than ``multiprocessing``: it starts with a minimal environment (the build's
    variables are not in its ``/proc/self/environ`` either), in a fresh temporary directory, as
    the leader of its own session, so that it and everything below it can be killed together.
    """

    def __init__(
        self,
        protected: Sequence[Path],
        isolate: bool,
        reference: dict[str, Any] | None = None,
        *,
        started: Callable[[_Worker], None] = lambda worker: None,
        ended: Callable[[_Worker], None] = lambda worker: None,
    ) -> None:
        """Start the process; ``started`` is told as soon as it exists (before it is ready),
        ``ended`` once it has been reaped."""
        #: True while the worker starts or runs an example: at close, the pool kills it then
        #: rather than wait for it.
        self.busy = True
        self._ended = ended
        self._ending = threading.Lock()
        self._reaped = False
        self.directory = Path(tempfile.mkdtemp(prefix="labo-worker-"))
        ours, theirs = socket.socketpair()
        settings = {
            "protected": [str(path) for path in protected],
            "isolate": isolate,
            "reference": reference,
            "parent": os.getpid(),
        }
        with theirs:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "labo.runner.worker",
                    str(theirs.fileno()),
                    json.dumps(settings),
                ],
                pass_fds=[theirs.fileno()],
                env=worker_environment(self.directory),
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.connection = Connection(ours.detach())
        started(self)
        self.isolation = self._wait_until_ready()
        self.busy = False

    def _wait_until_ready(self) -> str:
        try:
            if not self.connection.poll(STARTUP_SECONDS):
                raise WorkerStartFailed(
                    "le processus d'exécution des exemples n'a pas démarré à temps"
                )
            state, detail = self.connection.recv()
        except (EOFError, OSError) as problem:
            self.kill()
            raise WorkerStartFailed(
                f"le processus d'exécution s'est arrêté au démarrage ({problem})"
            ) from None
        except BaseException:
            self.kill()
            raise
        if state == "module manquant":
            self.kill()
            raise WorkerStartFailed(missing_dependency(str(detail)))
        if state != "prêt":
            self.kill()
            raise WorkerStartFailed(f"le processus d'exécution n'a pas démarré\u00a0:\n{detail}")
        return str(detail)

    def run(self, job: _Job) -> RunResult:
        example = job.example
        self.busy = True
        try:
            self.connection.send((str(example.root), example.relative))
            if not self.connection.poll(job.timeout):
                raise TimeoutError
            answer = self.connection.recv()
        finally:
            self.busy = False
        if isinstance(answer, tuple | list) and answer and answer[0] == "module manquant":
            raise WorkerStartFailed(missing_dependency(str(answer[1])))
        if isinstance(answer, tuple | list) and answer and answer[0] == "échec":
            raise WorkerFailed(str(answer[1]))  # the worker's own failure, not the example's
        return RunResult.from_json(answer)

    def kill(self) -> None:
        """Kill the worker and every process below it (an example's children included).

        Safe from any thread and more than once: a reaped worker's pid may already be another
        process's, so it is never signalled again.
        """
        with self._ending:
            if self._reaped:
                return
            processes.kill_tree(self.process.pid)
            self._reap()

    def stop(self) -> float:
        """End the worker after its example; return the CPU seconds it used (``make bench``)."""
        cpu = processes.cpu_seconds(self.process.pid)
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.kill()
        return cpu

    def _reap(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self._reaped = self.process.returncode is not None
        self.connection.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        if self._reaped:
            self._ended(self)


class WorkerPool:
    """Run examples on ``size`` workers; ``submit`` returns a future of the ``RunResult``.

    ``protected`` paths (the project the examples come from) are read-only to the examples where
    the system allows it (``labo.runner.isolation``); there, the shared temporary directories
    (``/tmp``…) are private to the worker, so an example read from a path below them must be
    under a ``protected`` one. ``isolate=False`` keeps the in-process guard only. With
    ``reference`` (``labo.reference.description``), the workers run the examples against the
    reference servers, outside a network namespace since those listen on the host's loopback.
    """

    def __init__(
        self,
        size: int,
        protected: Sequence[Path] = (),
        *,
        isolate: bool = True,
        reference: dict[str, Any] | None = None,
    ) -> None:
        self._protected = tuple(protected)
        self._isolate = isolate and reference is None
        self._reference = reference
        self._levels: set[str] = set()
        #: Workers started, and the CPU seconds of those stopped at the end (``make bench``).
        self.started = 0
        self.worker_cpu = 0.0
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._closing = False
        self._threads = [
            threading.Thread(target=self._dispatch, name=f"labo-dispatch-{n}", daemon=True)
            for n in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, example: Example, timeout: float) -> Future[RunResult]:
        future: Future[RunResult] = Future()
        self._jobs.put(_Job(example, timeout, future, approved_text(example)))
        return future

    def isolation(self) -> str | None:
        """The isolation the workers had (the weakest, if they differed); None before any."""
        if not self._levels:
            return None
        return GUARD_ONLY if GUARD_ONLY in self._levels else self._levels.pop()

    def close(self) -> None:
        """Stop every worker, and reap it, before returning: nothing the pool started survives.

        Examples not started yet are dropped (the service cancels their futures first). One
        still running has nobody left to wait for it: its worker is killed, not waited for, and
        its future cancelled; idle workers end their lab cleanly.
        """
        with self._lock:
            self._closing = True
        for _ in self._threads:
            self._jobs.put(None)
        deadline = time.monotonic() + CLOSE_SECONDS
        while any(thread.is_alive() for thread in self._threads):
            with self._lock:
                busy = [worker for worker in self._live if worker.busy]
            for worker in busy:
                worker.kill()
            if time.monotonic() > deadline:
                break
            for thread in self._threads:
                thread.join(0.1)
        with self._lock:
            left = list(self._live)
        for worker in left:  # a dispatcher stuck past the deadline: its worker goes anyway
            worker.kill()

    def _started(self, worker: _Worker) -> None:
        with self._lock:
            self._live.add(worker)
            self.started += 1
            closing = self._closing
        if closing:  # too late to run anything: its start fails, and says so
            worker.kill()

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)

    def _dispatch(self) -> None:
        worker: _Worker | None = None
        try:
            while (job := self._jobs.get()) is not None:
                if not job.future.set_running_or_notify_cancel():
                    continue
                try:
                    if worker is None:
                        worker = _Worker(
                            self._protected,
                            self._isolate,
                            self._reference,
                            started=self._started,
                            ended=self._forget,
                        )
                        self._levels.add(worker.isolation)
                    result = worker.run(job)
                    if result.leaked:  # nothing else may run where it left something behind
                        worker.kill()
                        worker = None
                    result.approved = job.approved
                    job.future.set_result(result)
                except WorkerStartFailed as problem:  # the project's fault, not the example's
                    worker = None
                    if self._closing:  # killed by ``close`` while it started
                        job.future.set_exception(CancelledError())
                        continue
                    job.future.set_result(_not_started(job, str(problem)))
                except TimeoutError:
                    if worker is not None:
                        worker.kill()
                    worker = None
                    job.future.set_result(_hung(job))
                except Exception as exc:  # the future must get a result, or the build waits forever
                    if self._closing:  # killed by ``close``: nobody waits for this result
                        if worker is not None:
                            worker.kill()
                        worker = None
                        job.future.set_exception(CancelledError())
                        continue
                    exit_code = None
                    if worker is not None:
                        worker.kill()
                        exit_code = worker.process.returncode
                    worker = None
                    job.future.set_result(_crashed(job, exc, exit_code))
        finally:
            if worker is not None:
                cpu = worker.stop()
                with self._lock:
                    self.worker_cpu += cpu


class WorkerFailed(Exception):
    """The worker process failed outside the example; the message is its traceback's end."""


class WorkerStartFailed(Exception):
    """The worker could not start its lab: no example ran, the message says why in French."""


def _not_started(job: _Job, problem: str) -> RunResult:
    return RunResult(
        relative=job.example.relative,
        source=_source_or_empty(job.example.path),
        status="error",
        error=f"{job.example.relative} n'a pas pu être exécuté\u00a0: {problem}",
    )


def _hung(job: _Job) -> RunResult:
    source = _source_or_empty(job.example.path)
    if job.timeout < MAX_TIMEOUT:
        longer = min(MAX_TIMEOUT, max(SUGGESTED_TIMEOUT, 2 * job.timeout))
        advice = (
            "s'il est lent par nature, augmentez le délai du bloc\u00a0: ajoutez (ou modifiez) "
            f"la ligne «\u00a0délai: {longer:g}\u00a0», indentée de quatre espaces, sous "
            "«\u00a0/// exemple | …\u00a0»."
        )
    else:
        advice = (
            f"puisque son délai est déjà au maximum ({MAX_TIMEOUT:g}\u00a0s), raccourcissez-le."
        )
    return RunResult(
        relative=job.example.relative,
        source=source,
        status="hung",
        error=(
            f"{job.example.relative} ne s'est pas terminé en {job.timeout:g}\u00a0s\u00a0: "
            "il attend probablement une réponse qui ne vient pas (IDLE sans fin, lecture "
            f"bloquante…). Corrigez l'exemple, ou, {advice}"
        ),
        duration=job.timeout,
    )


def _crashed(job: _Job, exc: Exception, exit_code: int | None) -> RunResult:
    if isinstance(exc, EOFError) and exit_code is not None:
        cause = (
            f"tué par le signal {-exit_code}" if exit_code < 0 else f"code de sortie {exit_code}"
        )
    else:
        cause = str(exc) or type(exc).__name__
    return RunResult(
        relative=job.example.relative,
        source=_source_or_empty(job.example.path),
        status="error",
        error=(
            f"le processus qui exécutait {job.example.relative} s'est arrêté brutalement "
            f"({cause}). Un exemple ne doit ni appeler os._exit() ni tuer son processus. "
            "Si ce n'est pas le cas, relancez la construction\u00a0; si cela se reproduit, "
            f"exécutez «\u00a0{run_command(job.example.relative)}\u00a0» pour voir "
            "l'erreur."
        ),
    )


def _source_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
