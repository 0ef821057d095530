"""The hook submits the examples in the order MkDocs renders the pages, before the first renders.

Workers run the examples in submission order: a page rendered first whose examples were queued
last would wait for all the others.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from example_projects import SMTP_NOOP, block, write_example
from mkdocs.structure.files import File, Files

from labo.runner import service

HOOK = Path(__file__).resolve().parents[2] / "hooks" / "exemples.py"


@pytest.fixture
def hook(no_current_service: None) -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("exemples_hook_order", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    module.on_shutdown()


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The examples submitted to the service, in order (none of them runs)."""
    order: list[str] = []

    def record(self: service.ExampleService, example: Any, timeout: float = 0.0) -> None:
        order.append(example.relative)

    monkeypatch.setattr(service.ExampleService, "submit", record)
    return order


def test_examples_are_submitted_in_the_order_pages_render(
    hook: ModuleType, project: Path, submitted: list[str]
) -> None:
    docs = project / "docs"
    # Sorted by name, « accueil » would come first; MkDocs renders index.md first.
    for page, name in (("accueil.md", "deux"), ("index.md", "un")):
        reference = write_example(project, f"{name}.py", SMTP_NOOP)
        (docs / page).write_text(f"# Page\n\n{block(reference)}", encoding="utf-8")
    config = SimpleNamespace(
        config_file_path=str(project / "mkdocs.yml"),
        docs_dir=str(docs),
        site_dir=str(project / "site"),
        use_directory_urls=True,
    )
    files = Files(
        [File(page, str(docs), str(project / "site"), True) for page in ("index.md", "accueil.md")]
    )
    hook.on_pre_build(config)
    hook.on_files(files, config)
    assert submitted == ["examples/un.py", "examples/deux.py"]
