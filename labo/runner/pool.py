"""A small pool of worker processes with a per-example time limit.

``concurrent.futures.ProcessPoolExecutor`` cannot stop one hung task, so each worker is driven by
its own dispatcher thread, which kills and replaces the process when an example overruns.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from labo.runner.example import Example
from labo.runner.limits import MAX_TIMEOUT
from labo.runner.result import RunResult
from labo.runner.worker import main as worker_main

#: How long a fresh worker may take to import everything and start its lab.
STARTUP_SECONDS = 60.0
#: The smallest time limit the message about a hung example suggests.
SUGGESTED_TIMEOUT = 20.0


@dataclass
class _Job:
    example: Example
    timeout: float
    future: Future[RunResult]


class _Worker:
    """One process and the parent's end of its pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=worker_main, args=(child,), name="labo-worker", daemon=True
        )
        self.process.start()
        child.close()
        if not self.connection.poll(STARTUP_SECONDS):
            self.kill()
            raise RuntimeError("le processus d'exécution des exemples n'a pas démarré à temps")
        ready = self.connection.recv()
        if ready != "ready":
            self.kill()
            raise RuntimeError(f"le processus d'exécution a répondu {ready!r} au démarrage")

    def run(self, job: _Job) -> RunResult:
        example = job.example
        self.connection.send((str(example.root), example.relative))
        if not self.connection.poll(job.timeout):
            raise TimeoutError
        return RunResult.from_json(self.connection.recv())

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.connection.close()


class WorkerPool:
    """Run examples on ``size`` workers; ``submit`` returns a future of the ``RunResult``."""

    def __init__(self, size: int) -> None:
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._dispatch, name=f"labo-dispatch-{n}", daemon=True)
            for n in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, example: Example, timeout: float) -> Future[RunResult]:
        future: Future[RunResult] = Future()
        self._jobs.put(_Job(example, timeout, future))
        return future

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(30)

    def _dispatch(self) -> None:
        worker: _Worker | None = None
        try:
            while (job := self._jobs.get()) is not None:
                if not job.future.set_running_or_notify_cancel():
                    continue
                try:
                    worker = worker or _Worker()
                    job.future.set_result(worker.run(job))
                except TimeoutError:
                    if worker is not None:
                        worker.kill()
                    worker = None
                    job.future.set_result(_hung(job))
                except Exception as exc:  # the future must get a result, or the build waits forever
                    exit_code = None
                    if worker is not None:
                        worker.kill()
                        exit_code = worker.process.exitcode
                    worker = None
                    job.future.set_result(_crashed(job, exc, exit_code))
        finally:
            if worker is not None:
                worker.stop()


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
            f"exécutez «\u00a0python -m labo run {job.example.relative}\u00a0» pour voir "
            "l'erreur."
        ),
    )


def _source_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
