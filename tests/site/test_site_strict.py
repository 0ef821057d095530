"""A strict build refuses a broken site: each test builds a copy with one defect injected.

The copies are two-page sites with the project's configuration, theme and hooks (the defects
concern MkDocs' own checks, which do not depend on the rest of the pages); an untouched copy is
built too, so that a failure can only come from the injected defect. They are built a core's
worth at a time, each in its own process group.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from build_pool import build_all
from site_build import BuildResult, one_page_project

PAGES = {
    "index.md": "# Accueil\n\nVoir [le trajet](trajet.md).\n",
    "trajet.md": "# Le trajet\n\nAlice écrit à Bob.\n",
}


def _no_defect(project: Path) -> None:
    return None


def _broken_link(project: Path) -> None:
    with (project / "docs" / "index.md").open("a", encoding="utf-8") as page:
        page.write("\nVoir la [page absente](page-absente.md).\n")


def _page_missing_from_nav(project: Path) -> None:
    (project / "docs" / "orpheline.md").write_text("# Orpheline\n", encoding="utf-8")


def _missing_snippet(project: Path) -> None:
    with (project / "docs" / "trajet.md").open("a", encoding="utf-8") as page:
        page.write('\n--8<-- "inclusion-absente.md"\n')


DEFECTS: dict[str, Callable[[Path], None]] = {
    "none": _no_defect,
    "broken_link": _broken_link,
    "page_missing_from_nav": _page_missing_from_nav,
    "missing_snippet": _missing_snippet,
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    projects = {}
    for name, inject in DEFECTS.items():
        project = one_page_project(tmp_path_factory.mktemp(name) / "projet", PAGES)
        inject(project)
        projects[name] = (project, project / "site")
    return build_all(projects)


def test_copy_without_defect_builds(builds: dict[str, BuildResult]) -> None:
    result = builds["none"]
    assert result.returncode == 0, result.output


def test_strict_build_fails_on_a_broken_internal_link(builds: dict[str, BuildResult]) -> None:
    result = builds["broken_link"]
    assert result.returncode != 0
    assert (
        "Doc file 'index.md' contains a link 'page-absente.md', "
        "but the target is not found among documentation files."
    ) in result.output


def test_strict_build_fails_on_a_page_missing_from_the_nav(
    builds: dict[str, BuildResult],
) -> None:
    result = builds["page_missing_from_nav"]
    assert result.returncode != 0
    assert (
        'The following pages exist in the docs directory, but are not included in the "nav" '
        "configuration:\n  - orpheline.md"
    ) in result.output


def test_strict_build_fails_on_a_snippet_pointing_nowhere(builds: dict[str, BuildResult]) -> None:
    result = builds["missing_snippet"]
    assert result.returncode != 0
    assert "Snippet at path 'inclusion-absente.md' could not be found" in result.output
