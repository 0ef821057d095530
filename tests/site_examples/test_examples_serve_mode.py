"""Under `mkdocs serve`, or any generator without strict mode, a broken example never stops a page.

The extension runs here inside a plain Python-Markdown conversion, the way a generator that knows
nothing of MkDocs uses it: every problem becomes an error box in the page and a warning in the
log, never an exception. The MkDocs hook's serve lifecycle (no strict mode, results cached in
``.cache/exemples``) is driven the way MkDocs drives it.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import markdown
import pytest
from example_projects import FAILING_ASSERT, FAILING_LINE, SMTP_NOOP, block, write_example

from labo.reference.declarations import declarations_path, reference_path
from labo.runner import approval, service
from labo.runner.example import resolve
from labo.site import context
from labo.site.extension import ExempleExtension

NB = "\u00a0"
LOGGER = "mkdocs.plugins.labo.exemples"
HOOK = Path(__file__).resolve().parents[2] / "hooks" / "exemples.py"
ERROR_BOX = 'class="admonition failure labo-error"'
MALFORMED = f"Bloc «{NB}exemple{NB}» mal formé"
NOT_FOUND = "Exemple introuvable"


@pytest.fixture
def convert(project: Path, no_current_service: None) -> Iterator[Callable[[str], str]]:
    """Convert a page the way a generator without MkDocs hooks would."""

    def run(page: str) -> str:
        md = markdown.Markdown(
            extensions=[ExempleExtension(root=str(project)), "admonition", "pymdownx.superfences"]
        )
        return md.convert(page)

    yield run
    context.set_page(None)


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.INFO, logger=LOGGER)

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    return messages


# -- failures become boxes and warnings ---------------------------------------------------------


def test_a_failing_example_becomes_an_error_box_not_an_exception(
    convert: Callable[[str], str], example_file: Callable[[str, str], str]
) -> None:
    reference = example_file("smtp/faux.py", FAILING_ASSERT)
    html = convert(block(reference))
    assert ERROR_BOX in html
    assert "AssertionError: le MX devait refuser" in html


def test_a_failing_example_is_logged_as_a_warning_naming_page_and_file_line(
    convert: Callable[[str], str],
    example_file: Callable[[str, str], str],
    warnings: Callable[[], list[str]],
) -> None:
    reference = example_file("smtp/faux.py", FAILING_ASSERT)
    context.set_page("docs/essai.md", first_line=5)  # as the hook does after a front matter
    convert("# Essai\n\n" + block(reference))
    [warning] = warnings()
    assert warning.startswith(f"docs/essai.md, ligne 7, exemple {reference}{NB}: ")
    assert f"ligne {FAILING_LINE}{NB}: assert smtp.noop()[0] == 421" in warning


def test_without_a_hook_the_page_is_named_as_unknown(
    convert: Callable[[str], str], warnings: Callable[[], list[str]]
) -> None:
    convert(block("examples/absent.py"))
    [warning] = warnings()
    assert warning.startswith(f"(page inconnue), ligne 1, exemple examples/absent.py{NB}: ")


def test_a_malformed_block_becomes_an_error_box_not_a_placeholder(
    convert: Callable[[str], str],
) -> None:
    html = convert("Avant.\n\n/// exemple\nLégende.\n///\n\nAprès.\n")
    assert MALFORMED in html
    assert "wzxhzdk" not in html  # Python-Markdown's marker for stashed HTML


def test_a_malformed_block_is_not_shown_as_text(convert: Callable[[str], str]) -> None:
    html = convert("/// exemple\nLégende.\n///\n")
    assert "<p>/// exemple" not in html  # pymdownx shows a block it refuses as a paragraph


def test_a_file_inside_docs_is_refused(
    convert: Callable[[str], str], project: Path, warnings: Callable[[], list[str]]
) -> None:
    (project / "docs" / "index.md").write_text("# Accueil\n", encoding="utf-8")
    html = convert(block("docs/index.md"))
    assert NOT_FOUND in html
    [warning] = warnings()
    assert f"«{NB}docs/index.md{NB}» est en dehors du dossier examples/" in warning


def test_a_syntax_error_is_reported_as_such_not_as_a_missing_docstring(
    convert: Callable[[str], str],
    example_file: Callable[[str, str], str],
    warnings: Callable[[], list[str]],
) -> None:
    reference = example_file("smtp/casse.py", '"""Cassé."""\n\nif True\n    pass\n')
    convert(block(reference))
    [warning] = warnings()
    assert f"contient une erreur de syntaxe ligne 3{NB}: " in warning
    assert "docstring" not in warning


# -- blocks inside containers -------------------------------------------------------------------

IN_A_NOTE = """# Titre

!!! note "Dans une note"
    {block}

Fin.
"""


def _in_a_note(text: str) -> str:
    return IN_A_NOTE.format(block=text.rstrip("\n").replace("\n", "\n    "))


def test_a_block_inside_a_note_is_reported_with_its_own_line(
    convert: Callable[[str], str], warnings: Callable[[], list[str]]
) -> None:
    convert("/// exemple | examples/premier.py\n///\n\n" + _in_a_note(block("examples/second.py")))
    assert [w.split(f"{NB}: ")[0] for w in warnings()] == [
        "(page inconnue), ligne 1, exemple examples/premier.py",
        "(page inconnue), ligne 7, exemple examples/second.py",
    ]


def test_a_malformed_block_inside_a_note_becomes_an_error_box_inside_it(
    convert: Callable[[str], str],
) -> None:
    html = convert(_in_a_note(block("examples/a.py", "auteur: Alice")))
    note = html.split('<div class="admonition note">', 1)[1]
    assert MALFORMED in note
    assert "auteur: Alice" not in html


def test_a_block_in_an_indented_code_block_is_left_alone(
    convert: Callable[[str], str], warnings: Callable[[], list[str]]
) -> None:
    html = convert("Pour montrer la syntaxe :\n\n    /// exemple\n    ///\n")
    assert "<pre><code>/// exemple" in html
    assert warnings() == []


# -- options: what the scanner accepts is exactly what pymdownx runs ---------------------------


@pytest.mark.parametrize(
    "option",
    ["délai: 0.5", "délai: 121", "délai: 1e1", "délai: true", "délai:20", "délai: vingt"],
)
def test_a_delai_pymdownx_would_refuse_is_reported(
    convert: Callable[[str], str], option: str
) -> None:
    html = convert(block("examples/absent.py", option))
    assert MALFORMED in html
    assert "<p>/// exemple" not in html  # pymdownx shows a block it refuses as a paragraph


def test_a_delai_indented_too_little_is_reported(convert: Callable[[str], str]) -> None:
    html = convert("/// exemple | examples/absent.py\n  délai: 20\n\nLégende.\n///\n")
    assert "doit être indentée de quatre espaces" in html


@pytest.mark.parametrize("option", ["délai: 1", "délai: 2.5", "délai: 120"])
def test_a_delai_in_range_lets_the_block_run(convert: Callable[[str], str], option: str) -> None:
    html = convert(block("examples/absent.py", option))
    assert NOT_FOUND in html  # pymdownx accepted the block and asked for the example


def test_a_misspelt_block_name_is_reported(convert: Callable[[str], str]) -> None:
    html = convert("/// exemples | examples/a.py\n///\n")
    assert f"bloc «{NB}exemples{NB}» inconnu" in html


# -- a passing example --------------------------------------------------------------------------


#: What the test's "Postfix" says instead of the lab's greeting, in the approved reference.
POSTFIX_GREETING = "220 mx.example.org ESMTP Postfix (Debian/GNU)"
BONJOUR = "smtp/bonjour.py"


@pytest.fixture(scope="module")
def bonjour_transcript(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The lab transcript of ``SMTP_NOOP``, produced once for the module as ``bless`` does."""
    project = tmp_path_factory.mktemp("bonjour")
    (project / "docs").mkdir()
    reference = write_example(project, BONJOUR, SMTP_NOOP)
    runner = service.ExampleService(project, use_cache=False, workers=1)
    try:
        result = runner.result(resolve(project, reference))
    finally:
        runner.close()
    assert result.ok, result.error
    return result.transcript.to_text()


@pytest.fixture
def lab_approved_example(
    project: Path, example_file: Callable[[str, str], str], bonjour_transcript: str
) -> str:
    """An SMTP example with its approved lab transcript (``bonjour_transcript``)."""
    reference = example_file(BONJOUR, SMTP_NOOP)
    approval.bless(resolve(project, reference), bonjour_transcript)
    return reference


@pytest.fixture
def approved_example(project: Path, lab_approved_example: str) -> str:
    """The same example with an approved reference transcript and one declared difference."""
    example = resolve(project, lab_approved_example)
    lab = example.approved_path.read_text(encoding="utf-8")
    greeting = next(line for line in lab.splitlines() if "S: 220 " in line)
    reference = lab.replace(greeting, greeting.split("S: ")[0] + "S: " + POSTFIX_GREETING)
    reference_path(example.path).write_text(reference, encoding="utf-8")
    declarations_path(example.path).write_text(
        "capacités (smtp) seulement côté référence : VRFY | Postfix annonce aussi VRFY\n",
        encoding="utf-8",
    )
    return lab_approved_example


def test_a_passing_example_shows_its_code_and_its_transcript(
    convert: Callable[[str], str], approved_example: str, warnings: Callable[[], list[str]]
) -> None:
    html = convert(block(approved_example))
    assert 'id="exemple-smtp-bonjour"' in html
    assert "220 mx.example.org ESMTP" in html
    assert "local_hostname" in html
    assert warnings() == []


def test_a_passing_example_shows_what_postfix_said_in_a_third_tab(
    convert: Callable[[str], str], approved_example: str
) -> None:
    html = convert(block(approved_example))
    assert ">Avec Postfix et Dovecot</label>" in html
    assert POSTFIX_GREETING in html
    assert f"Différences déclarées avec le labo{NB}: Postfix annonce aussi VRFY." in html


def test_an_example_without_reference_transcript_names_page_example_and_command(
    convert: Callable[[str], str],
    lab_approved_example: str,
    warnings: Callable[[], list[str]],
) -> None:
    context.set_page("docs/essai.md", first_line=1)
    html = convert(block(lab_approved_example))
    [warning] = warnings()
    assert warning.startswith(f"docs/essai.md, ligne 1, exemple {lab_approved_example}{NB}: ")
    assert f"make bless F={lab_approved_example} ARGS=--reference" in warning
    assert "bonjour.reference.txt manque" in html


# -- the hook under `mkdocs serve` --------------------------------------------------------------


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("exemples_hook_under_test", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hook(no_current_service: None) -> Iterator[ModuleType]:
    module = _load_hook()
    yield module
    module.on_shutdown()


@pytest.fixture
def site_config(project: Path, approved_example: str) -> Any:
    """What the hook reads from MkDocs' configuration, for a one-page site."""
    (project / "mkdocs.yml").write_text("site_name: Essai\n", encoding="utf-8")
    page = "---\ntitle: Essai\n---\n\n# Essai\n\n" + block(approved_example)
    (project / "docs" / "essai.md").write_text(page, encoding="utf-8")
    return SimpleNamespace(
        config_file_path=str(project / "mkdocs.yml"),
        docs_dir=str(project / "docs"),
        site_dir=str(project / "site"),
        strict=True,
        mdx_configs={},
    )


def _build(hook: ModuleType, config: Any, project: Path, reference: str) -> None:
    """One build as MkDocs runs it: pre-build, the page's example rendered, post-build."""
    hook.on_pre_build(config)
    service.current(project).result(resolve(project, reference))
    hook.on_post_build(config)


def test_serve_turns_strict_mode_off(hook: ModuleType, site_config: Any) -> None:
    hook.on_startup(command="serve", dirty=False)
    assert hook.on_config(site_config).strict is False


def test_build_keeps_strict_mode(hook: ModuleType, site_config: Any) -> None:
    hook.on_startup(command="build", dirty=False)
    assert hook.on_config(site_config).strict is True


def test_the_hook_points_the_extension_at_the_project(
    hook: ModuleType, site_config: Any, project: Path
) -> None:
    hook.on_startup(command="build", dirty=False)
    options = hook.on_config(site_config).mdx_configs["labo.site.extension"]
    assert Path(options["root"]) == project.resolve()


def test_serve_reuses_unchanged_results_on_the_next_build(
    hook: ModuleType,
    site_config: Any,
    project: Path,
    approved_example: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    hook.on_startup(command="serve", dirty=False)
    hook.on_config(site_config)
    _build(hook, site_config, project, approved_example)
    _build(hook, site_config, project, approved_example)
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("exemples")]
    assert [s.split(", ")[:3] for s in summaries] == [
        [f"exemples{NB}: 1 exécutés", "0 repris du cache", "0 en échec"],
        [f"exemples{NB}: 0 exécutés", "1 repris du cache", "0 en échec"],
    ]


def test_serve_keeps_its_cache_outside_docs(
    hook: ModuleType, site_config: Any, project: Path, approved_example: str
) -> None:
    hook.on_startup(command="serve", dirty=False)
    hook.on_config(site_config)
    _build(hook, site_config, project, approved_example)
    assert list((project / ".cache" / "exemples").glob("*.json")) != []


def test_a_strict_build_does_not_use_the_cache(
    hook: ModuleType, site_config: Any, project: Path, approved_example: str
) -> None:
    hook.on_startup(command="build", dirty=False)
    hook.on_config(site_config)
    _build(hook, site_config, project, approved_example)
    assert not (project / ".cache").exists()


def test_the_hook_counts_page_lines_from_the_top_of_the_file(
    hook: ModuleType, site_config: Any
) -> None:
    source = "---\ntitle: Essai\n---\n\n# Essai\n"
    page = SimpleNamespace(file=SimpleNamespace(src_uri="essai.md", content_string=source))
    hook.on_page_markdown("# Essai\n", page=page, config=site_config, files=None)
    try:
        assert (context.page(), context.first_line()) == ("docs/essai.md", 5)
    finally:
        hook.on_page_content("", page=page, config=site_config, files=None)
