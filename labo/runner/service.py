"""The examples of one build: submitted early, run in parallel, reused from cache under serve.

The MkDocs hook configures the service and submits every example it finds before pages render;
the Markdown extension only waits for results. Without the hook (another site generator that runs
Markdown extensions but no MkDocs hooks), the extension starts the service on first use.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labo.runner.approval import approved_text
from labo.runner.cache import ResultCache
from labo.runner.example import Example, ExampleError
from labo.runner.limits import DEFAULT_TIMEOUT
from labo.runner.pool import WorkerPool
from labo.runner.result import RunResult

CACHE_DIR = ".cache/exemples"


@dataclass
class BuildStats:
    """What the build summary line reports."""

    ran: int = 0
    cached: int = 0
    failed: int = 0  # examples that did not run to the end
    started: float = field(default_factory=time.perf_counter)
    #: Examples that ran to the end but whose transcript is not the approved one.
    unapproved: set[str] = field(default_factory=set)

    #: The isolation the workers ran under (``labo.runner.isolation``); None if none ran.
    isolation: str | None = None

    # What the examples cost (``make bench``): sums over the examples that ran in a worker.
    #: CPU seconds of the examples themselves (with the lab answering them).
    cpu_run: float = 0.0
    #: CPU seconds of their whole jobs in the workers (reset, checks, transcript included).
    cpu_job: float = 0.0
    #: Wall-clock seconds the workers spent on jobs.
    busy: float = 0.0
    #: Workers started, and the CPU seconds they used in all (start and lab included).
    workers: int = 0
    worker_cpu: float = 0.0
    #: ``time.perf_counter()`` when the first example was submitted and the last result came.
    first_submit: float = 0.0
    last_result: float = 0.0

    def summary(self) -> str:
        elapsed = time.perf_counter() - self.started
        isolation = f", isolation\u00a0: {self.isolation}" if self.isolation else ""
        return (
            f"exemples\u00a0: {self.ran} exécutés, {self.cached} repris du cache, "
            f"{self.failed + len(self.unapproved)} en échec, {elapsed:.1f}\u00a0s{isolation}"
        )


class ExampleService:
    """Owns the worker pool and the futures of one build."""

    def __init__(
        self,
        root: Path,
        *,
        use_cache: bool,
        workers: int | None = None,
        protected: Sequence[Path] = (),
        reference: dict[str, Any] | None = None,
    ) -> None:
        self.root = root
        #: The reference servers' description: examples then run against them, one at a time.
        self.reference = reference
        #: Read-only to the examples: the project, the site being built, the Python they run on.
        self.protected = _existing([root, *protected, Path(sys.prefix)])
        self.cache = ResultCache(root / CACHE_DIR) if use_cache else None
        self._workers = 1 if reference else workers or max(1, min(4, os.cpu_count() or 1))
        self._pool: WorkerPool | None = None
        self._futures: dict[tuple[str, float], Future[RunResult]] = {}
        self._lock = threading.Lock()
        self.stats = BuildStats()

    def submit(self, example: Example, timeout: float = DEFAULT_TIMEOUT) -> Future[RunResult]:
        """Start running ``example`` (once per build and time limit) and return its future."""
        key = (example.relative, timeout)
        with self._lock:
            future = self._futures.get(key)
            if future is not None:
                return future
            if not self.stats.first_submit:
                self.stats.first_submit = time.perf_counter()
            cached = self._cached(example)
            if cached is not None:
                future = Future()
                future.set_result(cached)
            else:
                if self._pool is None:
                    self._pool = WorkerPool(self._workers, self.protected, reference=self.reference)
                future = self._pool.submit(example, timeout)
            self._futures[key] = future
        # Outside the lock: a future already done runs the callback here, and it takes the lock.
        future.add_done_callback(self._account)
        return future

    def _cached(self, example: Example) -> RunResult | None:
        if self.cache is None:
            return None
        try:
            source = example.read_source()
        except ExampleError:
            return None  # the worker will fail to read it too, and say so
        result = self.cache.get(source)
        if result is not None:
            result.approved = approved_text(example)
        return result

    def result(self, example: Example, timeout: float = DEFAULT_TIMEOUT) -> RunResult:
        return self.submit(example, timeout).result()

    def note_unapproved(self, example: Example) -> None:
        """Count ``example`` as failed in the summary: its transcript is not the approved one."""
        with self._lock:
            self.stats.unapproved.add(example.relative)

    def _account(self, future: Future[RunResult]) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # dropped when the service closed
        result = future.result()
        with self._lock:
            if result.from_cache:
                self.stats.cached += 1
            else:
                self.stats.ran += 1
                self.stats.cpu_run += result.cpu_run
                self.stats.cpu_job += result.cpu_job
                self.stats.busy += result.busy
                self.stats.last_result = time.perf_counter()
            if not result.ok:
                self.stats.failed += 1
        if self.cache is not None and not result.from_cache:
            self.cache.put(result)

    def close(self) -> None:
        """Stop the workers; examples still waiting for one are cancelled, not run."""
        with self._lock:
            pool, self._pool = self._pool, None
            for future in self._futures.values():
                future.cancel()  # only those not started yet
        if pool is not None:
            pool.close()
            self.stats.isolation = pool.isolation()
            self.stats.workers = pool.started
            self.stats.worker_cpu = pool.worker_cpu


def _existing(paths: Sequence[Path]) -> tuple[Path, ...]:
    """Resolved, each once; a missing site directory is created (the build writes it anyway)."""
    found: list[Path] = []
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)
        resolved = path.resolve()
        if resolved not in found:
            found.append(resolved)
    return tuple(found)


_current: ExampleService | None = None
#: The figures of the last service stopped, for the benchmark (``bench/build_once.py``).
last_stats: BuildStats | None = None
_current_lock = threading.Lock()


def start(root: Path, *, use_cache: bool, protected: Sequence[Path] = ()) -> ExampleService:
    """Start this build's service (the hook calls it once per build, with the site directory)."""
    global _current
    with _current_lock:
        if _current is not None:
            _current.close()
        _current = ExampleService(root, use_cache=use_cache, protected=protected)
        return _current


def current(root: Path) -> ExampleService:
    """The running service, or a fresh one when no hook started it."""
    global _current
    replaced = None
    with _current_lock:
        if _current is None or _current.root != root:
            replaced, _current = _current, ExampleService(root, use_cache=False)
        service = _current
    if replaced is not None:
        replaced.close()
    return service


def stop() -> ExampleService | None:
    global _current, last_stats
    with _current_lock:
        service, _current = _current, None
    if service is not None:
        service.close()
        last_stats = service.stats
    return service


atexit.register(stop)
