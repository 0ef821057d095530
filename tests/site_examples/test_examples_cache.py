"""The serve cache: an unchanged example is not run again; any change that matters is a new key."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from example_projects import SMTP_NOOP, write_example

from labo.runner.cache import PACKAGE, ResultCache
from labo.runner.example import resolve
from labo.runner.result import RunResult
from labo.runner.service import CACHE_DIR, ExampleService

EDITED = SMTP_NOOP + "# Une ligne de plus.\n"


@dataclass(frozen=True)
class Runs:
    first: RunResult
    again: RunResult  # unchanged source, a new service (a new build of `mkdocs serve`)
    edited: RunResult  # the source changed, a new service


def _run_once(root: Path, reference: str) -> RunResult:
    runner = ExampleService(root, use_cache=True, workers=1)
    try:
        return runner.result(resolve(root, reference))
    finally:
        runner.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("cache")
    reference = write_example(root, "smtp/bonjour.py", SMTP_NOOP)
    first = _run_once(root, reference)
    again = _run_once(root, reference)
    write_example(root, "smtp/bonjour.py", EDITED)
    edited = _run_once(root, reference)
    return Runs(first, again, edited)


def test_the_first_run_is_not_from_the_cache(runs: Runs) -> None:
    assert runs.first.ok, runs.first.error
    assert not runs.first.from_cache


def test_a_second_service_reuses_the_result_of_an_unchanged_example(runs: Runs) -> None:
    assert runs.again.from_cache


def test_the_reused_result_has_the_same_transcript(runs: Runs) -> None:
    assert runs.again.transcript.to_text() == runs.first.transcript.to_text()


def test_a_changed_source_is_run_again(runs: Runs) -> None:
    assert not runs.edited.from_cache
    assert runs.edited.source == EDITED


def test_a_changed_source_changes_the_key(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / CACHE_DIR)
    assert cache.key(SMTP_NOOP) != cache.key(EDITED)


def test_the_key_of_a_source_is_stable(tmp_path: Path) -> None:
    assert ResultCache(tmp_path / "a").key(SMTP_NOOP) == ResultCache(tmp_path / "b").key(SMTP_NOOP)


@pytest.fixture
def lab_code(tmp_path: Path) -> Path:
    """A copy of the ``labo`` package, free to edit."""
    copy = tmp_path / "labo"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_changed_labo_file_changes_the_key(tmp_path: Path, lab_code: Path) -> None:
    before = ResultCache(tmp_path / CACHE_DIR, package=lab_code).key(SMTP_NOOP)
    with (lab_code / "smtp" / "handler.py").open("a", encoding="utf-8") as code:
        code.write("\n# A change in the MDA may change every transcript.\n")
    after = ResultCache(tmp_path / CACHE_DIR, package=lab_code).key(SMTP_NOOP)
    assert before != after


def test_a_new_labo_file_changes_the_key(tmp_path: Path, lab_code: Path) -> None:
    before = ResultCache(tmp_path / CACHE_DIR, package=lab_code).key(SMTP_NOOP)
    (lab_code / "wire" / "extra.py").write_text('"""New."""\n', encoding="utf-8")
    after = ResultCache(tmp_path / CACHE_DIR, package=lab_code).key(SMTP_NOOP)
    assert before != after


def test_a_failed_result_is_not_kept(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / CACHE_DIR)
    cache.put(RunResult("examples/a.py", SMTP_NOOP, status="error", error="échec"))
    assert cache.get(SMTP_NOOP) is None


def test_a_damaged_cache_file_is_ignored(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / CACHE_DIR)
    cache.directory.mkdir(parents=True)
    (cache.directory / f"{cache.key(SMTP_NOOP)}.json").write_text("{", encoding="utf-8")
    assert cache.get(SMTP_NOOP) is None
