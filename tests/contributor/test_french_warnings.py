"""MkDocs' own warnings said in French, with page and line, and boxed in the page under serve."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from conftest import REPO

NB = "\u00a0"
HOOK = REPO / "hooks" / "avertissements.py"
PAGE = "# Titre\n\nUn texte.\n\nVoir [la page](perdue.md).\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose index links to a missing page, with a page missing from the nav."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "docs" / "orpheline.md").write_text("# Orpheline\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Essai\nnav:\n  - index.md\n"
        "validation:\n  nav:\n    omitted_files: warn\n"
        f"hooks:\n  - {HOOK}\n",
        encoding="utf-8",
    )
    return tmp_path


def build_output(project: Path) -> str:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stderr


def test_a_broken_link_is_repeated_in_french_with_its_page_and_line(project: Path) -> None:
    expected = f"docs/index.md:5{NB}: le lien «{NB}perdue.md{NB}» ne mène à aucun fichier de docs/"
    assert expected in build_output(project)


def test_a_page_missing_from_the_nav_is_named_in_french(project: Path) -> None:
    expected = f"docs/orpheline.md{NB}: cette page n’est pas dans la navigation"
    assert expected in build_output(project)


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The hook module, loaded as MkDocs loads it; its log listener is removed afterwards."""
    spec = importlib.util.spec_from_file_location("avertissements", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "avertissements", module)
    spec.loader.exec_module(module)
    yield module
    mkdocs_logger = logging.getLogger("mkdocs")
    for handler in list(mkdocs_logger.handlers):
        if type(handler).__name__ == "_Listener":
            mkdocs_logger.removeHandler(handler)


def serve_build(hook: ModuleType, project: Path) -> str:
    """What ``mkdocs serve`` does around one page with a broken link; the page's HTML after it."""
    site = project / "site"
    site.mkdir()
    (site / "index.html").write_text("<body><article class='md-content'><h1>Titre</h1>", "utf-8")
    config = SimpleNamespace(
        config_file_path=str(project / "mkdocs.yml"),
        docs_dir=str(project / "docs"),
        site_dir=str(site),
        use_directory_urls=True,
    )
    hook.on_startup("serve", False)
    hook.on_config(config)
    logging.getLogger("mkdocs.structure.pages").warning(
        "Doc file 'index.md' contains a link 'perdue.md', but the target is not found among "
        "documentation files."
    )
    hook.on_post_build(config)
    return (site / "index.html").read_text(encoding="utf-8")


def test_under_serve_the_page_shows_the_warning_in_an_error_box(
    hook: ModuleType, project: Path
) -> None:
    page = serve_build(hook, project)
    assert '<div class="admonition failure labo-avertissements">' in page
    assert f"docs/index.md:5{NB}: le lien «{NB}perdue.md{NB}»" in page
