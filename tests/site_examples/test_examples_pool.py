"""The worker pool survives the examples that break it, and leaves no process behind.

One worker runs, in order: an example that hangs, a normal one, one that kills its own process,
and a normal one again. Each failure costs that worker its process; the next example must still
run, on a fresh process with a fresh lab.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from example_projects import SELF_KILLER, SLEEPER, SMTP_NOOP, write_example

from labo.runner import service
from labo.runner.example import resolve
from labo.runner.pool import WorkerPool
from labo.runner.result import RunResult

#: Long enough for the lab's greeting, far shorter than the sleeper's minute.
HANG_LIMIT_S = 1.0
LIMIT_S = 10.0
#: How often the test looks at the worker processes while the pool runs.
SAMPLE_S = 0.02


def _worker_pids() -> set[int]:
    """This process's children running labo.runner.worker (the workers),
    and its zombie children whatever they were."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == os.getpid() and (state == "Z" or b"labo.runner.worker" in command):
            found.add(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    """No process, not even a zombie, has this pid any more."""
    return not Path(f"/proc/{pid}").exists()


@dataclass(frozen=True)
class Session:
    results: dict[str, RunResult]
    workers_seen: set[int]  # worker pids seen while the pool was running


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs Linux /proc to see processes")
    root = tmp_path_factory.mktemp("pool")
    jobs = {
        "hang": (write_example(root, "lent.py", SLEEPER), HANG_LIMIT_S),
        "after_hang": (write_example(root, "bonjour.py", SMTP_NOOP), LIMIT_S),
        "crash": (write_example(root, "suicide.py", SELF_KILLER), LIMIT_S),
        "after_crash": (write_example(root, "encore.py", SMTP_NOOP), LIMIT_S),
    }
    pool = WorkerPool(1, [root])
    try:
        futures = {
            name: pool.submit(resolve(root, reference), limit)
            for name, (reference, limit) in jobs.items()
        }
        workers_seen: set[int] = set()
        while not all(future.done() for future in futures.values()):
            workers_seen |= _worker_pids()  # each worker lives a few hundred ms at least
            time.sleep(SAMPLE_S)
        results = {name: future.result() for name, future in futures.items()}
    finally:
        pool.close()
    return Session(results, workers_seen)


def test_a_hung_example_is_stopped_at_its_time_limit(session: Session) -> None:
    result = session.results["hang"]
    assert result.status == "hung"
    assert f"ne s'est pas terminé en {HANG_LIMIT_S:g}\u00a0s" in (result.error or "")


def test_the_example_after_a_hang_still_runs_against_a_lab(session: Session) -> None:
    result = session.results["after_hang"]
    assert result.ok, result.error
    assert "[1] S: 220 mx.example.org ESMTP" in result.transcript.to_text()


def test_a_worker_that_dies_is_reported_with_its_exit_code(session: Session) -> None:
    result = session.results["crash"]
    assert result.status == "error"
    assert "s'est arrêté brutalement (code de sortie 3)" in (result.error or "")


def test_the_example_after_a_crash_still_runs(session: Session) -> None:
    result = session.results["after_crash"]
    assert result.ok, result.error


def test_each_failure_cost_its_worker_and_a_new_one_took_over(session: Session) -> None:
    assert len(session.workers_seen) == 3  # the first, one after the hang, one after the crash


def test_no_worker_survives_the_pool(session: Session) -> None:
    assert session.workers_seen
    assert [pid for pid in session.workers_seen if not _gone(pid)] == []


def test_no_worker_survives_the_build_service(tmp_path: Path, no_current_service: None) -> None:
    reference = write_example(tmp_path, "bonjour.py", SMTP_NOOP)
    examples = service.start(tmp_path, use_cache=False)
    assert examples.result(resolve(tmp_path, reference)).ok
    running = _worker_pids()
    service.stop()
    assert running
    assert [pid for pid in running if not _gone(pid)] == []


def test_stopping_the_service_cancels_examples_not_started(
    tmp_path: Path, no_current_service: None
) -> None:
    sleeper = resolve(tmp_path, write_example(tmp_path, "lent.py", SLEEPER))
    waiting = resolve(tmp_path, write_example(tmp_path, "bonjour.py", SMTP_NOOP))
    examples = service.ExampleService(tmp_path, use_cache=False, workers=1)
    examples.submit(sleeper, HANG_LIMIT_S)
    queued = examples.submit(waiting, LIMIT_S)
    examples.close()
    assert queued.cancelled()


@dataclass(frozen=True)
class Interrupted:
    workers: set[int]  # the worker pids seen running the example
    closing_s: float  # how long closing the service took
    future_done: bool


@pytest.fixture
def interrupted(tmp_path: Path, no_current_service: None) -> Interrupted:
    """A service closed while its worker runs an example with a long time limit."""
    sleeper = resolve(tmp_path, write_example(tmp_path, "lent.py", SLEEPER))
    examples = service.ExampleService(tmp_path, use_cache=False, workers=1)
    running = examples.submit(sleeper, LONG_LIMIT_S)
    deadline = time.monotonic() + LONG_LIMIT_S
    while not (workers := _worker_pids()) and time.monotonic() < deadline:
        time.sleep(SAMPLE_S)
    started = time.monotonic()
    examples.close()
    return Interrupted(workers, time.monotonic() - started, running.done())


#: Far longer than closing a service may take.
LONG_LIMIT_S = 120.0


def test_closing_the_service_mid_example_kills_and_reaps_its_worker(
    interrupted: Interrupted,
) -> None:
    assert interrupted.workers
    assert [pid for pid in interrupted.workers if not _gone(pid)] == []


def test_closing_the_service_does_not_wait_for_a_running_example(
    interrupted: Interrupted,
) -> None:
    assert interrupted.closing_s < 10.0
    assert interrupted.future_done
