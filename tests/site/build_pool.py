"""Strict builds of several project copies, no more at once than the machine has cores.

Starting a dozen builds together on a busy two-core machine makes each one slow enough to hit
its time-out. Each build runs in its own process group (see ``site_build.start_build``), so a
build that times out, or a test that fails while builds run, takes its workers with it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from site_build import BuildResult, finish_build, kill_group, start_build

#: How many builds may run at once: the cores this process may use.
PARALLEL_BUILDS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


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
                running.append((name, start_build(project, site_dir), site_dir))
            name, process, site_dir = running.pop(0)
            results[name] = finish_build(process, site_dir)
    finally:
        for _, process, _ in running:  # a failure above: no build outlives the fixture
            kill_group(process)
    return {name: results[name] for name in projects}
