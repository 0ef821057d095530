"""Run MkDocs the way `make build` does, in a child process, so its own messages can be checked.

A child process keeps each build's plugins, Markdown extensions and logging apart, exactly as on
the command line; builds of several project copies can then run side by side.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import build_slots
from build_slots import BuildSlot

from labo.site import project as site_project

REPO = Path(__file__).resolve().parents[2]

BUILD_TIMEOUT_S = 120


@dataclass(frozen=True)
class RunningBuild:
    """A build started by :func:`start_build`, with the build slot it holds."""

    process: subprocess.Popen[str]
    site_dir: Path
    slot: BuildSlot


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    output: str  # stdout and stderr together, in order
    site_dir: Path


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` and everything in its process group, if any is still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def start_build(
    project: Path,
    site_dir: Path,
    slot: BuildSlot | None = None,
    *,
    environment: dict[str, str] | None = None,
) -> RunningBuild:
    """Start `mkdocs build --strict` in ``project``, leader of a process group of its own.

    The build runs in ``slot`` (one is waited for when none is given), with ``environment``
    added to the test's own. Collect it with
    :func:`finish_build`, which kills the group whatever happens, so that a build that times
    out, or a test that fails meanwhile, leaves no worker behind.
    """
    slot = slot or build_slots.acquire()
    # NO_MKDOCS_2_WARNING drops Material's banner from the output.
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **(environment or {}))
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)]
    try:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            start_new_session=True,
        )
    except BaseException:
        slot.release()
        raise
    return RunningBuild(process, site_dir, slot)


def finish_build(build: RunningBuild) -> BuildResult:
    """Wait for a build started by :func:`start_build`, free its slot; return what it printed."""
    process = build.process
    try:
        output, _ = process.communicate(timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        kill_group(process)
        output, _ = process.communicate()
    finally:
        kill_group(process)
        build.slot.release()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    return BuildResult(process.returncode, output, build.site_dir)


def build(
    project: Path, site_dir: Path, *, environment: dict[str, str] | None = None
) -> BuildResult:
    return finish_build(start_build(project, site_dir, environment=environment))


def copy_project(destination: Path) -> Path:
    """Copy what a build needs into ``destination`` (outside git: dates fall back to today)."""
    return site_project.copy_project(REPO, destination)


#: The ``nav:`` section of mkdocs.yml, up to the next top-level key or the end of the file.
NAV_SECTION = re.compile(r"^nav:\n(?:[ #].*\n|\n)*", re.MULTILINE)


def one_page_project(destination: Path, pages: dict[str, str]) -> Path:
    """A copy whose site has only ``pages`` (name: Markdown), in that order in the nav.

    Most defects concern one page; building the whole site around it would only repeat, for each
    defect, the work of the full build that other tests already check.
    """
    project = copy_project(destination)
    docs = project / "docs"
    for page in docs.glob("*.md"):
        page.unlink()
    for name, text in pages.items():
        (docs / name).write_text(text, encoding="utf-8")
    config = project / "mkdocs.yml"
    nav = "nav:\n" + "".join(f"  - {Path(name).stem}: {name}\n" for name in pages)
    text, count = NAV_SECTION.subn(lambda _: nav, config.read_text(encoding="utf-8"))
    assert count == 1, "mkdocs.yml has no nav section"
    config.write_text(text, encoding="utf-8")
    return project


def built_page(site_dir: Path, source: str) -> Path:
    """The HTML file MkDocs writes for the Markdown page ``source`` (directory URLs)."""
    page = Path(source)
    if page.stem == "index":
        return site_dir / page.parent / "index.html"
    return site_dir / page.parent / page.stem / "index.html"
