"""Strict builds of several project copies, as many at once as there are free build slots.

Starting a dozen builds together on a busy two-core machine makes each one slow enough to hit
its time-out; ``build_slots`` caps the builds of every test worker together at the cores. Each
build runs in its own process group (see ``site_build.start_build``), so a build that times out,
or a test that fails while builds run, takes its workers with it.
"""

from __future__ import annotations

from pathlib import Path

import build_slots
from site_build import BuildResult, RunningBuild, finish_build, kill_group, start_build


def build_all(
    projects: dict[str, tuple[Path, Path]], *, environment: dict[str, str] | None = None
) -> dict[str, BuildResult]:
    """Build each ``name: (project, site_dir)``, with ``environment`` added; results by name.

    A build starts when a slot is free; while this call already runs builds it never waits for
    another slot (that could deadlock with another worker doing the same) but for its own
    oldest build. Builds end in the order they started, which is enough: they take about as
    long as one another.
    """
    pending = list(projects.items())
    running: list[tuple[str, RunningBuild]] = []
    results: dict[str, BuildResult] = {}
    try:
        while pending or running:
            while pending:
                slot = build_slots.try_acquire() if running else build_slots.acquire()
                if slot is None:
                    break
                name, (project, site_dir) = pending.pop(0)
                running.append((name, start_build(project, site_dir, slot, environment=environment)))
            name, build = running.pop(0)
            results[name] = finish_build(build)
    finally:
        for _, build in running:  # a failure above: no build outlives the fixture
            kill_group(build.process)
            build.slot.release()
    return {name: results[name] for name in projects}
