"""Run MkDocs the way `make build` does, in a child process, so its own messages can be checked.

A child process keeps each build's plugins, Markdown extensions and logging apart, exactly as on
the command line; builds of several project copies can then run side by side.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: What a build reads: the configuration, the pages, the shared snippets, the theme overrides
#: (the 404 page), CONTRIBUTING.md and README.md (included by docs/contribuer.md and docs/labo.md).
PROJECT_FILES = (
    "mkdocs.yml",
    "docs",
    "includes",
    "hooks",
    "overrides",
    "CONTRIBUTING.md",
    "README.md",
)

#: Read by the build once pages run examples (examples and their approved transcripts).
OPTIONAL_PROJECT_FILES = ("examples",)

BUILD_TIMEOUT_S = 120


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    output: str  # stdout and stderr together, in order
    site_dir: Path


def start_build(project: Path, site_dir: Path) -> subprocess.Popen[str]:
    """Start `mkdocs build --strict` in ``project``; collect it with :func:`finish_build`."""
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
    )


def finish_build(process: subprocess.Popen[str], site_dir: Path) -> BuildResult:
    """Wait for a build started by :func:`start_build` and return what it printed."""
    try:
        output, _ = process.communicate(timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return BuildResult(process.returncode, output, site_dir)


def build(project: Path, site_dir: Path) -> BuildResult:
    return finish_build(start_build(project, site_dir), site_dir)


def copy_project(destination: Path) -> Path:
    """Copy what a build needs into ``destination`` (outside git: dates fall back to today)."""
    destination.mkdir(parents=True, exist_ok=True)
    optional = [name for name in OPTIONAL_PROJECT_FILES if (REPO / name).exists()]
    for name in (*PROJECT_FILES, *optional):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, destination / name)
    return destination


def built_page(site_dir: Path, source: str) -> Path:
    """The HTML file MkDocs writes for the Markdown page ``source`` (directory URLs)."""
    page = Path(source)
    if page.stem == "index":
        return site_dir / page.parent / "index.html"
    return site_dir / page.parent / page.stem / "index.html"
