"""Under MkDocs, a page's Markdown converts without waiting for its examples.

The block leaves a placeholder; the example is awaited when its page is filled, the search index
gets its code and transcript as plain text, and the written page gets the full HTML.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import markdown
import pytest
from example_projects import SLEEPER, SMTP_NOOP, block

from labo.runner import approval, service
from labo.runner.example import resolve
from labo.site import context, deferred
from labo.site.extension import ExempleExtension

#: Far longer than converting a page may take.
LONG_LIMIT_S = 60.0


@pytest.fixture
def convert(project: Path, no_current_service: None) -> Iterator[Callable[[str], str]]:
    """Convert a page as MkDocs does once the hook has started deferring."""
    deferred.start()

    def run(page: str) -> str:
        md = markdown.Markdown(extensions=[ExempleExtension(root=str(project))])
        return md.convert(page)

    yield run
    deferred.stop()
    context.set_page(None)


@pytest.fixture
def approved(project: Path, example_file: Callable[[str, str], str]) -> str:
    """An SMTP example with its approved transcript, produced by the lab as ``bless`` does."""
    reference = example_file("smtp/bonjour.py", SMTP_NOOP)
    runner = service.ExampleService(project, use_cache=False, workers=1)
    try:
        result = runner.result(resolve(project, reference))
    finally:
        runner.close()
    assert result.ok, result.error
    approval.bless(resolve(project, reference), result.transcript.to_text())
    return reference


def test_a_page_converts_without_waiting_for_its_example(
    convert: Callable[[str], str], example_file: Callable[[str, str], str]
) -> None:
    reference = example_file("lent.py", SLEEPER)
    started = time.monotonic()
    convert(block(reference, f"délai: {LONG_LIMIT_S:g}"))
    assert time.monotonic() - started < LONG_LIMIT_S / 2


def test_the_search_index_gets_the_code_and_transcript_as_plain_text(
    convert: Callable[[str], str], approved: str
) -> None:
    searched = deferred.fill_for_search(convert(block(approved)))
    assert "smtp.noop()" in searched
    assert "2.0.0 Bye" in searched  # the transcript
    assert "tabbed-set" not in searched


def test_the_written_page_gets_the_full_html_in_place_of_the_light_version(
    convert: Callable[[str], str], approved: str
) -> None:
    searched = deferred.fill_for_search(convert(block(approved)))
    written = deferred.fill_for_page(f"<html><body>{searched}</body></html>")
    assert "tabbed-set" in written
    assert "labo-exemple__recherche" not in written
