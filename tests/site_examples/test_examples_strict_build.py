"""`mkdocs build --strict` refuses a page whose example is broken, and tells the author what to do.

The defects are injected into one copy of the project reduced to one page per defect (a title
and the defect; the unapproved change on an example the site shows), built once: each page must
give exactly one warning, and the build as many as there are defects. A one-page copy without
defect is built too, so that a failure can only come from the injected defects, and an untouched
copy of the whole site, whose pages are compared byte for byte with those of the repository's
own build. Every warning must name the page, the file line of the block and the example.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from build_pool import build_all
from example_projects import (
    FAILING_ASSERT,
    FAILING_LINE,
    SLEEPER,
    append_to_page,
    block,
    closed_loopback_port,
    line_of,
    processes_working_in,
    reaching,
    warnings_of,
    write_example,
)
from serve_process import ServeProcess
from shared_site import SITE_URL, shared_site
from site_build import BuildResult, built_page, copy_project, one_page_project

from labo.runner.example import resolve
from labo.site.references import scan_docs

NB = "\u00a0"

#: The module's fixture runs four builds, a core's worth at a time; each has its own time-out
#: (``BUILD_TIMEOUT_S``), so the first test may wait longer than the suite's default allows.
pytestmark = [pytest.mark.timeout(900), pytest.mark.long_setup]
PAGE = "docs/smtp.md"
#: An example the page already shows, with its approved transcript.
SHOWN = "examples/smtp/relais_port_25.py"
#: Another one, named by the malformed blocks (the defects' copy changes the first one's
#: transcript: no other page may run it).
OTHER = "examples/smtp/soumission_587.py"
#: The SMTP page of the one-page copies: a title and the example above.
ONE_PAGE = f"# SMTP\n\nUne page réduite à un exemple.\n\n{block(SHOWN)}"
#: The page of one defect, before the defect is appended.
DEFECT_PAGE = "# Défaut\n\nUne page réduite à un défaut.\n"
#: MkDocs' exit status when ``--strict`` turns warnings into a failure (a killed build is < 0).
STRICT_FAILURE = 1
#: How long the child processes of finished builds get to disappear before they count as leaks.
EXIT_GRACE_S = 10.0


@dataclass(frozen=True)
class Defect:
    """Where the injected defect is, as the warning must name it."""

    page: str  # "docs/<defect>.md"
    line: int
    subject: str  # "exemple examples/…" or "bloc « exemple »"


def _add_block(project: Path, page: str, text: str, subject: str) -> Defect:
    return Defect(page, append_to_page(project / page, text), subject)


def _example_that_raises(project: Path, page: str) -> Defect:
    reference = write_example(project, "smtp/affirmation_fausse.py", FAILING_ASSERT)
    return _add_block(project, page, block(reference), f"exemple {reference}")


def _example_that_hangs(project: Path, page: str) -> Defect:
    reference = write_example(project, "smtp/sans_fin.py", SLEEPER)
    return _add_block(project, page, block(reference, "délai: 2"), f"exemple {reference}")


def _transcript_changed_without_approval(project: Path, page: str) -> Defect:
    approved = resolve(project, SHOWN).approved_path
    text = approved.read_text(encoding="utf-8")
    assert "Relay access denied" in text
    approved.write_text(text.replace("Relay access denied", "Relaying denied"), encoding="utf-8")
    append_to_page(project / page, block(SHOWN))
    return Defect(page, line_of(project / page, f"/// exemple | {SHOWN}"), f"exemple {SHOWN}")


def _example_never_approved(project: Path, page: str) -> Defect:
    reference = write_example(project, "smtp/nouveau.py", '"""Nouveau."""\n\nprint("rien")\n')
    return _add_block(project, page, block(reference), f"exemple {reference}")


def _missing_file(project: Path, page: str) -> Defect:
    return _add_block(
        project, page, block("examples/smtp/absent.py"), "exemple examples/smtp/absent.py"
    )


def _file_outside_examples(project: Path, page: str) -> Defect:
    return _add_block(project, page, block("../mkdocs.yml"), "exemple ../mkdocs.yml")


def _name_outside_the_lab(project: Path, page: str) -> Defect:
    body = (
        '"""Soumet à un autre fournisseur."""\n\nimport smtplib\n\n'
        'smtplib.SMTP("smtp.ailleurs.test", 587, local_hostname="client.example.com")\n'
    )
    reference = write_example(project, "smtp/ailleurs.py", body)
    return _add_block(project, page, block(reference), f"exemple {reference}")


#: Chosen once, so that the test can look for it in the message.
CLOSED_PORT = closed_loopback_port()


def _closed_loopback_port(project: Path, page: str) -> Defect:
    reference = write_example(project, "smtp/port_ferme.py", reaching("127.0.0.1", CLOSED_PORT))
    return _add_block(project, page, block(reference), f"exemple {reference}")


BLOCK = f"bloc «{NB}exemple{NB}»"


def _block_without_path(project: Path, page: str) -> Defect:
    return _add_block(project, page, "/// exemple\nLégende.\n///\n", BLOCK)


def _block_with_unknown_option(project: Path, page: str) -> Defect:
    return _add_block(project, page, block(OTHER, "auteur: Alice"), BLOCK)


def _block_never_closed(project: Path, page: str) -> Defect:
    return _add_block(project, page, f"/// exemple | {OTHER}\nLégende sans fin.\n", BLOCK)


DEFECTS: dict[str, Callable[[Path, str], Defect]] = {
    "raises": _example_that_raises,
    "hangs": _example_that_hangs,
    "unapproved_change": _transcript_changed_without_approval,
    "never_approved": _example_never_approved,
    "missing_file": _missing_file,
    "outside_examples": _file_outside_examples,
    "foreign_name": _name_outside_the_lab,
    "closed_port": _closed_loopback_port,
    "no_path": _block_without_path,
    "unknown_option": _block_with_unknown_option,
    "unclosed": _block_never_closed,
}
CLEAN = "clean"
ONE_PAGE_CLEAN = "one_page"
WITH_DEFECTS = "defects"


def _one_page_copy(destination: Path) -> Path:
    return one_page_project(destination, {"smtp.md": ONE_PAGE})


@dataclass(frozen=True)
class Built:
    """A defect and the build of the copy that holds it."""

    result: BuildResult
    defect: Defect

    def page_html(self) -> str:
        page = self.defect.page.removeprefix("docs/")
        return built_page(self.result.site_dir, page).read_text(encoding="utf-8")

    def warning(self) -> str:
        """The only warning about the defect's page (the test fails if there are others)."""
        [warning] = [
            warning
            for warning in warnings_of(self.result.output)
            if warning.startswith(f"WARNING -  {self.defect.page}, ")
        ]
        return warning


@dataclass(frozen=True)
class Served:
    """`mkdocs serve` on a copy whose page shows a failing example."""

    page: str | None  # the page as served, None if the server never answered
    output: str


@dataclass(frozen=True)
class Builds:
    results: dict[str, BuildResult]  # the copies' builds: clean, one page, with the defects
    defects: dict[str, Defect]
    served: Served
    survivors: list[int]  # processes still working in the copies once every build has ended


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    base = tmp_path_factory.mktemp("copies")
    serving = _one_page_copy(base / "serve")
    _example_that_raises(serving, PAGE)
    # The server builds the site once, alone, before the builds: never more builds than cores.
    served = Served(*ServeProcess(serving).fetch_then_stop("/smtp/"))
    pages = {f"{name}.md": DEFECT_PAGE for name in DEFECTS}
    with_defects = one_page_project(base / WITH_DEFECTS, pages)
    defects = {name: inject(with_defects, f"docs/{name}.md") for name, inject in DEFECTS.items()}
    projects = {
        CLEAN: copy_project(base / CLEAN),
        ONE_PAGE_CLEAN: _one_page_copy(base / ONE_PAGE_CLEAN),
        WITH_DEFECTS: with_defects,
    }
    # The clean copy is built for the repository site's address, so that their pages compare.
    results = build_all(
        {name: (project, project / "site") for name, project in projects.items()},
        environment={"SITE_URL": SITE_URL},
    )
    deadline = time.monotonic() + EXIT_GRACE_S
    while (survivors := processes_working_in(base)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return Builds(results, defects, served, survivors)


@pytest.fixture(scope="module")
def repository_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own build, shared by the run (``shared_site``), asked for only once the
    copies are built: the worker builds them meanwhile, rather than wait for it."""
    return shared_site(tmp_path_factory)


def _defect(builds: Builds, name: str) -> Built:
    return Built(builds.results[WITH_DEFECTS], builds.defects[name])


# -- what every defect must do ------------------------------------------------------------------


def test_the_strict_build_ends_by_itself_and_refuses_the_copy(builds: Builds) -> None:
    result = builds.results[WITH_DEFECTS]
    assert result.returncode == STRICT_FAILURE, result.output
    assert f"Aborted with {len(DEFECTS)} warnings in strict mode!" in result.output


def test_every_warning_is_about_one_of_the_defects(builds: Builds) -> None:
    warnings = warnings_of(builds.results[WITH_DEFECTS].output)
    pages = sorted(warning.split(",", 1)[0].removeprefix("WARNING -  ") for warning in warnings)
    assert pages == sorted(defect.page for defect in builds.defects.values())


@pytest.mark.parametrize("name", DEFECTS)
def test_the_only_warning_names_the_page_the_line_and_the_example(
    builds: Builds, name: str
) -> None:
    built = _defect(builds, name)
    expected = (
        f"WARNING -  {built.defect.page}, ligne {built.defect.line}, {built.defect.subject}{NB}: "
    )
    assert built.warning().startswith(expected), built.result.output


@pytest.mark.parametrize("name", DEFECTS)
def test_the_page_shows_an_error_box_with_the_same_explanation(builds: Builds, name: str) -> None:
    built = _defect(builds, name)
    page = built.page_html()
    assert 'class="admonition failure labo-error"' in page
    first_words = built.warning().split(f"{NB}: ", 1)[1].split("\n")[0][:40]
    assert _escaped(first_words) in page


def _escaped(text: str) -> str:
    return html.escape(text, quote=True)


# -- what each defect must say ------------------------------------------------------------------


def test_a_failing_assert_is_quoted_with_its_own_line(builds: Builds) -> None:
    warning = _defect(builds, "raises").warning()
    assert f"ligne {FAILING_LINE}{NB}: assert smtp.noop()[0] == 421" in warning
    assert "AssertionError: le MX devait refuser" in warning


def test_a_failing_assert_is_explained_in_french(builds: Builds) -> None:
    warning = _defect(builds, "raises").warning()
    assert "Une assertion de l'exemple est fausse" in warning


def test_a_hang_is_reported_as_not_finished_within_its_time_limit(builds: Builds) -> None:
    warning = _defect(builds, "hangs").warning()
    assert f"ne s'est pas terminé en 2{NB}s" in warning


def test_a_hang_comes_with_the_advice_to_raise_the_delai_option(builds: Builds) -> None:
    warning = _defect(builds, "hangs").warning()
    assert f"augmentez le délai du bloc{NB}: ajoutez (ou modifiez) la ligne «{NB}délai: 20" in (
        warning
    )


def test_an_unapproved_change_shows_the_unified_diff(builds: Builds) -> None:
    warning = _defect(builds, "unapproved_change").warning()
    assert "--- relais_port_25.transcription.txt (approuvée)\n+++ obtenue maintenant\n" in warning
    assert "-[1] S: 554 5.7.1 <dave@ailleurs.test>: Relaying denied" in warning
    assert "+[1] S: 554 5.7.1 <dave@ailleurs.test>: Relay access denied" in warning


def test_an_unapproved_change_gives_the_bless_command(builds: Builds) -> None:
    warning = _defect(builds, "unapproved_change").warning()
    assert warning.endswith(f"approuvez-le{NB}: make bless F={SHOWN}")


#: The defects whose example runs, and fails or awaits approval: the summary counts each.
COUNTED = ("raises", "hangs", "unapproved_change", "never_approved", "foreign_name", "closed_port")


def test_the_summary_counts_every_hang_failure_and_unapproved_transcript(builds: Builds) -> None:
    output = builds.results[WITH_DEFECTS].output
    assert f"exemples{NB}: {len(COUNTED)} exécutés, 0 repris du cache, {len(COUNTED)} en échec" in (
        output
    )


def test_a_new_example_asks_for_review_and_gives_the_bless_command(builds: Builds) -> None:
    warning = _defect(builds, "never_approved").warning()
    assert "n'a pas encore de transcription approuvée (nouveau.transcription.txt)" in warning
    assert warning.endswith(f"approuvez-la{NB}: make bless F=examples/smtp/nouveau.py")


def test_a_missing_file_is_reported_with_the_path_to_check(builds: Builds) -> None:
    warning = _defect(builds, "missing_file").warning()
    assert f"le fichier «{NB}examples/smtp/absent.py{NB}» n'existe pas. Vérifiez le chemin" in (
        warning
    )


def test_a_file_outside_examples_is_refused_with_where_to_put_it(builds: Builds) -> None:
    warning = _defect(builds, "outside_examples").warning()
    assert f"«{NB}../mkdocs.yml{NB}» est en dehors du dossier examples/" in warning
    assert "Placez le fichier dans examples/<protocole>/" in warning


def test_a_name_the_lab_does_not_serve_is_refused_in_french(builds: Builds) -> None:
    warning = _defect(builds, "foreign_name").warning()
    assert (
        f"labo.netmap.LabNameRefused: Connexion refusée par le labo{NB}: "
        "smtp.ailleurs.test:587 n'est pas un serveur du labo."
    ) in warning


def test_a_closed_loopback_port_is_refused_by_the_lab_not_by_the_system(builds: Builds) -> None:
    warning = _defect(builds, "closed_port").warning()
    assert (
        f"labo.netmap.LabAddressRefused: Connexion refusée par le labo{NB}: "
        f"127.0.0.1:{CLOSED_PORT} n'est pas un serveur du labo."
    ) in warning
    assert "Errno" not in warning


def test_a_block_without_path_shows_how_to_name_the_file(builds: Builds) -> None:
    warning = _defect(builds, "no_path").warning()
    assert f"doit nommer un fichier après une barre verticale{NB}: /// exemple | examples/" in (
        warning
    )


def test_an_unknown_option_is_named_with_the_only_one_accepted(builds: Builds) -> None:
    warning = _defect(builds, "unknown_option").warning()
    assert f"option «{NB}auteur{NB}» inconnue" in warning
    assert f"Seule «{NB}délai{NB}» (en secondes) est reconnue." in warning


def test_an_unclosed_block_asks_for_the_closing_fence(builds: Builds) -> None:
    built = _defect(builds, "unclosed")
    assert (
        f"ouvert ligne {built.defect.line} n'est jamais fermé{NB}: "
        f"ajoutez une ligne «{NB}///{NB}» après la légende."
    ) in built.warning()


# -- clean copies -------------------------------------------------------------------------------


def test_the_one_page_copy_builds_without_warning(builds: Builds) -> None:
    result = builds.results[ONE_PAGE_CLEAN]
    assert result.returncode == 0, result.output
    assert warnings_of(result.output) == []


def test_a_clean_copy_builds_without_warning(builds: Builds) -> None:
    result = builds.results[CLEAN]
    assert result.returncode == 0, result.output
    assert warnings_of(result.output) == []


def test_a_clean_build_shows_every_example_its_pages_name(builds: Builds) -> None:
    result = builds.results[CLEAN]
    project = result.site_dir.parent
    missing = [
        f"{page}:{reference.line}"
        for page, references in scan_docs(project / "docs").items()
        for reference in references
        if f'id="{resolve(project, reference.path).anchor}"'
        not in built_page(result.site_dir, page).read_text(encoding="utf-8")
    ]
    assert missing == []


#: The page date from git-revision-date-localized: the last commit's date in the repository;
#: outside git (as the copy is) the build time, to the second, in its ``title``: the one thing
#: the two builds may differ by.
BUILD_DATE = re.compile(
    r'<span class="git-revision-date-localized-plugin git-revision-date-localized-plugin-date"'
    r' title="[^"]*">[^<]*</span>'
)


def _pages(site_dir: Path) -> dict[str, str]:
    return {
        path.relative_to(site_dir).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(site_dir.rglob("*.html"))
    }


def test_a_clean_copy_gives_the_repository_s_html_pages_but_for_the_page_dates(
    builds: Builds, repository_site: Path
) -> None:
    copy = _pages(builds.results[CLEAN].site_dir)
    repository = _pages(repository_site)
    assert sorted(copy) == sorted(repository)
    differing = [
        page
        for page in copy
        if BUILD_DATE.sub("", copy[page]) != BUILD_DATE.sub("", repository[page])
    ]
    assert differing == []


def test_the_page_date_masked_in_that_comparison_is_on_the_pages(builds: Builds) -> None:
    pages = _pages(builds.results[CLEAN].site_dir)
    assert len(BUILD_DATE.findall(pages["smtp/index.html"])) == 1


# -- mkdocs serve -------------------------------------------------------------------------------


def test_serve_shows_a_failing_example_as_an_error_box(builds: Builds) -> None:
    page = builds.served.page
    assert page is not None, builds.served.output
    assert 'class="admonition failure labo-error"' in page
    assert "AssertionError: le MX devait refuser" in page


def test_serve_warns_about_a_failing_example_without_aborting(builds: Builds) -> None:
    output = builds.served.output
    assert "WARNING -  docs/smtp.md, ligne " in output
    assert "Aborted" not in output


# -- the workers --------------------------------------------------------------------------------


def test_no_process_survives_the_builds(builds: Builds) -> None:
    assert builds.survivors == []
