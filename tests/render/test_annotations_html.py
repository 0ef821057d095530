"""How an annotated transcript reads in HTML: tooltips, keyboard and screen readers, the lexicon,
and the text that is copied."""

from __future__ import annotations

import html
import html.parser
import re

import pytest
from test_annotations_tips import read_sheets

from labo.render.transcript import render_transcript
from labo.wire.transcript import Recorder, Transcript

NB = "\u00a0"
BLOCK = "exemple-transcription"


class Elements(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text inside ``<code>``."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._code = 0
        self.code_text = ""
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._code += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag == "code"

    def handle_data(self, data: str) -> None:
        if self._code:
            self.code_text += data

    def with_class(self, name: str) -> list[dict[str, str]]:
        return [attrs for _, attrs in self.tags if name in attrs.get("class", "").split()]


def tips(fragment: str) -> list[dict[str, str]]:
    """Each token's attributes, with the text its key's rule gives it as ``tip``."""
    texts = read_sheets(fragment)
    return [
        {**attrs, "tip": texts[attrs["data-t"]]}
        for attrs in Elements(fragment).with_class("labo-tok")
    ]


def smtp(*lines: str) -> Transcript:
    recorder = Recorder()
    number = recorder.open("smtp", "MTA d’example.com", "mx.example.org", 25)
    for line in lines:
        side, text = line.split(" ", 1)
        recorder.line(number, "client" if side == "C:" else "server", text.encode())
    return recorder.snapshot()


@pytest.fixture
def fragment() -> str:
    transcript = smtp(
        "S: 220 mx.example.org ESMTP",
        "C: MAIL FROM:<alice@example.com> SIZE=12",
        "S: 250 2.1.0 Ok",
        "C: RCPT TO:<bob@example.org>",
        "S: 250 2.1.5 Ok",
    )
    return render_transcript(transcript, block_id=BLOCK)


def test_a_token_carries_its_explanation_and_source(fragment: str) -> None:
    shown = [attrs["tip"] for attrs in tips(fragment)]
    assert any(tip.startswith("Ouvre une transaction") for tip in shown)
    assert any(tip.endswith("— RFC 5321 §4.1.1.2") for tip in shown)


def test_each_explanation_is_written_once_in_the_block(fragment: str) -> None:
    tokens = tips(fragment)
    assert len({attrs["data-t"] for attrs in tokens}) < len(tokens)  # the two 250 share one
    assert fragment.count("Action effectuée") == 2  # its lexicon entry and its rule


def test_each_explanation_is_in_the_tab_order_once(fragment: str) -> None:
    replies = [attrs["tabindex"] for attrs in tips(fragment) if attrs["tip"].startswith("Action")]
    assert replies == ["0", "-1"]  # the two 250: tap or click still focuses the second


def test_every_token_is_described_by_a_lexicon_entry_of_its_block(fragment: str) -> None:
    elements = Elements(fragment)
    ids = [attrs["id"] for tag, attrs in elements.tags if tag == "dd"]
    described = {attrs["aria-describedby"] for attrs in elements.with_class("labo-tok")}
    assert described == set(ids)
    assert len(ids) == len(set(ids))
    assert all(identifier.startswith(f"{BLOCK}-") for identifier in ids)


def test_the_lexicon_links_each_explanation_to_its_rfc_section(fragment: str) -> None:
    lexicon = fragment[fragment.index('<details class="labo-lexique"') :]
    assert 'href="https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2"' in lexicon
    assert lexicon.count(">250<") == 1


def test_the_lexicon_is_folded_and_left_out_of_the_search_index(fragment: str) -> None:
    (lexicon,) = [attrs for tag, attrs in Elements(fragment).tags if tag == "details"]
    assert "data-search-exclude" in lexicon and "open" not in lexicon


def test_the_copied_and_shown_texts_hold_no_explanation(fragment: str) -> None:
    elements = Elements(fragment)
    (block,) = elements.with_class("labo-transcript")
    assert "transaction" not in block["data-copy"]
    assert "transaction" not in elements.code_text
    assert "C: MAIL FROM:<alice@example.com> SIZE=12\n" in elements.code_text


def test_a_line_keeps_its_escaping_around_tokens() -> None:
    hostile = "MAIL FROM:<a@example.com> SIZE=1 X=</code><script>"
    fragment = render_transcript(smtp(f"C: {hostile}"), block_id=BLOCK)
    assert "<script>" not in fragment
    assert f"C: {hostile}\n" in Elements(fragment).code_text


def test_an_unexplained_token_stays_plain_text() -> None:
    fragment = render_transcript(smtp("C: XYZZY maintenant"), block_id=BLOCK)
    assert "XYZZY" not in "".join(attrs["tip"] for attrs in tips(fragment))
    assert re.search(r"C:</span> XYZZY maintenant", fragment)


def test_an_acronym_is_expanded_before_its_explanation() -> None:
    recorder = Recorder()
    number = recorder.open("pop3s", "client", "pop.example.org", 995)
    recorder.line(number, "client", b"UIDL")
    fragment = render_transcript(recorder.snapshot(), block_id=BLOCK)
    _service, command = tips(fragment)
    assert command["tip"].startswith(f"Unique ID Listing{NB}: Liste l’identifiant")


def test_annotated_rendering_is_deterministic(fragment: str) -> None:
    again = smtp(
        "S: 220 mx.example.org ESMTP",
        "C: MAIL FROM:<alice@example.com> SIZE=12",
        "S: 250 2.1.0 Ok",
        "C: RCPT TO:<bob@example.org>",
        "S: 250 2.1.5 Ok",
    )
    assert render_transcript(again, block_id=BLOCK) == fragment
