"""Strict builds of several project copies, no more at once than the machine has cores.

Starting a dozen builds together on a busy two-core machine makes each one slow enough to hit
its time-out. Each build runs in its own process group (its session), so a build that times out,
or a test that fails while builds run, kills the build with every process it started (workers,
multiprocessing's resource tracker) rather than leaving them behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from site_build import BUILD_TIMEOUT_S, BuildResult

#: How many builds may run at once: the cores this process may use.
PARALLEL_BUILDS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` and everything in its process group, if any is still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def group_killed_on_exit(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """Whatever happens in the block, ``process``'s group does not outlive it."""
    try:
        yield process
    finally:
        kill_group(process)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def start_build_group(project: Path, site_dir: Path) -> subprocess.Popen[str]:
    """`mkdocs build --strict` in ``project``, leader of a process group of its own."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")  # drop Material's banner from the output
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)]
    return subprocess.Popen(
        command,
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )


def _finish(process: subprocess.Popen[str], site_dir: Path) -> BuildResult:
    with group_killed_on_exit(process):
        try:
            output, _ = process.communicate(timeout=BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            kill_group(process)
            output, _ = process.communicate()
    return BuildResult(process.returncode, output, site_dir)


def build_all(
    projects: dict[str, tuple[Path, Path]], parallel: int = PARALLEL_BUILDS
) -> dict[str, BuildResult]:
    """Build each ``name: (project, site_dir)``, ``parallel`` at a time; results by name.

    Builds end in the order they started (each is waited for in turn), which is enough: they
    take about as long as one another.
    """
    pending = list(projects.items())
    running: list[tuple[str, subprocess.Popen[str], Path]] = []
    results: dict[str, BuildResult] = {}
    try:
        while pending or running:
            while pending and len(running) < parallel:
                name, (project, site_dir) = pending.pop(0)
                running.append((name, start_build_group(project, site_dir), site_dir))
            name, process, site_dir = running.pop(0)
            results[name] = _finish(process, site_dir)
    finally:
        for _, process, _ in running:  # a failure above: no build outlives the fixture
            kill_group(process)
    return {name: results[name] for name in projects}
