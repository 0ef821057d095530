"""A worker on a Python without the project's dependencies blames the Python, not the example."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from labo.runner.example import Example
from labo.runner.pool import WorkerPool

NB = "\u00a0"

#: A Python for which ``trustme`` (a dependency of the lab) is not installed.
WITHOUT_TRUSTME = """#!{python}
import runpy
import sys

sys.modules["trustme"] = None  # ``import trustme`` now raises ModuleNotFoundError
module = sys.argv[2]  # started as: <python> -m labo.runner.worker FD SETTINGS
sys.argv = [module, *sys.argv[3:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


@pytest.fixture
def python_without_trustme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "python-sans-trustme"
    script.write_text(WITHOUT_TRUSTME.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(script))


@pytest.fixture
def example(tmp_path: Path) -> Example:
    path = tmp_path / "examples" / "exemple.py"
    path.parent.mkdir()
    path.write_text('"""Exemple de test."""\n', encoding="utf-8")
    return Example(tmp_path, "examples/exemple.py")


def test_a_missing_dependency_names_the_module_and_the_commands_to_use(
    python_without_trustme: None, example: Example
) -> None:
    pool = WorkerPool(1, isolate=False)
    try:
        result = pool.submit(example, 10).result(timeout=60)
    finally:
        pool.close()
    assert not result.ok
    assert f"ne trouve pas le module «{NB}trustme{NB}»" in result.error
    assert "make run F=examples/" in result.error
    assert "os._exit" not in result.error
