"""Every example runs against the lab, through the build's own runner, and matches its approval."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labo.runner import approval
from labo.runner.example import Example, all_examples, resolve
from labo.runner.orphans import orphan_messages
from labo.runner.service import ExampleService
from labo.site.references import scan_docs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = all_examples(ROOT)
REFERENCES = {
    (page, reference.line): reference
    for page, references in scan_docs(ROOT / "docs").items()
    for reference in references
}


@pytest.fixture(scope="module")
def runner() -> Iterator[ExampleService]:
    service = ExampleService(ROOT, use_cache=False)
    futures = [service.submit(example) for example in EXAMPLES]  # all at once: in parallel
    yield service
    for future in futures:
        future.cancel()
    service.close()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.relative)
def test_the_example_runs_and_matches_its_approved_transcript(
    runner: ExampleService, example: Example
) -> None:
    result = runner.result(example)
    assert result.ok, result.error
    problem = approval.compare(example, result.transcript.to_text())
    assert problem is None, problem


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.relative)
def test_the_example_is_shown_by_at_least_one_page(example: Example) -> None:
    used = {resolve(ROOT, reference.path).relative for reference in REFERENCES.values()}
    assert example.relative in used, f"{example.relative} n'est utilisé par aucune page de docs/"


@pytest.mark.parametrize("where", sorted(REFERENCES), ids=lambda w: f"{w[0]}:{w[1]}")
def test_every_block_is_well_formed_and_names_an_existing_example(where: tuple[str, int]) -> None:
    reference = REFERENCES[where]
    assert reference.problem is None, reference.problem
    assert resolve(ROOT, reference.path).path.is_file()


def test_every_approved_transcript_belongs_to_an_example() -> None:
    problems = orphan_messages(ROOT)
    assert not problems, "\n".join(problems)
