"""Run one example's code against a lab that the caller has started, and collect the result.

The example is compiled from the source read here, so the code shown on the page is exactly the
code that ran. Each run starts from a reset lab and a seeded ``random`` (imaplib draws its command
tag prefix from it), which makes transcripts repeatable.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path

from labo.lab import Lab
from labo.runner.example import ExampleError, read_source
from labo.runner.output import CappedOutput, truncated
from labo.runner.result import RunResult

#: How long to wait for the proxies to see the example's connections close.
SETTLE_SECONDS = 2.0


def run_example(
    lab: Lab,
    path: Path,
    relative: str,
    *,
    workdir: Path | None = None,
    lab_threads: Collection[threading.Thread] = (),
    checks: Sequence[Callable[[], str | None]] = (),
) -> RunResult:
    """Execute ``path`` as ``__main__`` against ``lab``; never raises for the example's faults.

    The example runs in ``workdir`` when given. A thread it leaves (daemon or not, but not one of
    ``lab_threads``) or a problem reported by one of ``checks`` (run once it ended) fails it and
    marks the result ``leaked``: its worker must not run anything else.
    """
    try:
        source = read_source(path, relative)
    except ExampleError as problem:
        return RunResult(relative=relative, source="", status="error", error=str(problem))
    lab.reset()
    random.seed(0)
    output = CappedOutput()
    started = time.perf_counter()
    cpu_started = time.process_time()
    error: str | None = None
    threads_before = set(threading.enumerate())
    try:
        code = compile(source, str(path), "exec")
        namespace = {"__name__": "__main__", "__file__": str(path), "__builtins__": __builtins__}
        with (
            _process_state_restored(workdir),
            contextlib.redirect_stdout(output),
            contextlib.redirect_stderr(output),
        ):
            exec(code, namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            error = f"{relative} s'est arrêté avec sys.exit({exc.code!r})."
    except BaseException as exc:
        error = describe_failure(exc, str(path), relative)
    lab.settle(SETTLE_SECONDS)
    cpu_run = time.process_time() - cpu_started
    leaks = [_leftover_threads(threads_before, set(lab_threads) | lab.threads, relative)]
    leaks += [check() for check in checks]
    found = [leak for leak in leaks if leak]
    error = "\n".join([truncated(error), *found]) if error else "\n".join(found) or None
    transcript = lab.transcript()
    duration = time.perf_counter() - started
    if error and output.total:
        error += "\nSortie de l'exemple\u00a0:\n" + output.getvalue()
    return RunResult(
        relative=relative,
        source=source,
        transcript=transcript,
        status="error" if error else "ok",
        error=error,
        duration=duration,
        leaked=bool(found),
        cpu_run=cpu_run,
    )


@contextlib.contextmanager
def _process_state_restored(workdir: Path | None) -> Iterator[None]:
    """Examples share a worker: what one changes in the process must not leak to the next."""
    environment = dict(os.environ)
    timeout = socket.getdefaulttimeout()
    directory = os.getcwd()
    if workdir is not None:
        os.chdir(workdir)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environment)
        socket.setdefaulttimeout(timeout)
        os.chdir(directory)


def _leftover_threads(
    before: set[threading.Thread], lab_threads: set[threading.Thread], relative: str
) -> str | None:
    """A thread the example started and left running would act during the next example."""
    left = [
        t
        for t in threading.enumerate()
        if t not in before and t not in lab_threads and t.is_alive()
    ]
    if not left:
        return None
    names = ", ".join(sorted(t.name for t in left))
    return (
        f"{relative} a laissé des fils d'exécution actifs ({names}). "
        "Attendez-les avec join() avant la fin de l'exemple."
    )


def describe_failure(exc: BaseException, filename: str, relative: str) -> str:
    """A French account of an exception, keeping only the traceback lines of the example file."""
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return (
            f"{relative} contient une erreur de syntaxe ligne {exc.lineno}\u00a0: {exc.msg}\n"
            f"  {(exc.text or '').rstrip()}"
        )
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    lines = [f"{relative} a levé une exception\u00a0:"]
    for frame in frames:
        lines.append(f"  ligne {frame.lineno}\u00a0: {(frame.line or '').strip()}")
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    lines.append(summary)
    if isinstance(exc, AssertionError):
        lines.append(
            "Une assertion de l'exemple est fausse\u00a0: ce que la page affirme n'est plus vrai, "
            "ou l'exemple doit être corrigé."
        )
    return "\n".join(lines)
