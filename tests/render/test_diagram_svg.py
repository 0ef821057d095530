"""The « Schéma » tab's markup: a well-formed inline SVG, its lifelines, shading, escaping and
text alternative, for small transcripts and for every approved transcript of the project."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from textwrap import dedent

import pytest

from labo.render.diagram import render_diagram
from labo.render.diagram.participants import RESOLVER
from labo.render.diagram.svg import COLUMN, FONT_SIZE
from labo.wire.transcript import Recorder, Transcript

ROOT = Path(__file__).resolve().parents[2]
SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<alice@example.com> & \"double\" 'single' </svg><script>alert(1)</script>"

STARTTLS = """
    [1] ** ouverture : « ordinateur d'Alice » → smtp.example.com:587 (submission)
    [1] S: 220 smtp.example.com ESMTP
    [1] C: STARTTLS
    [1] S: 220 2.0.0 Ready to start TLS
    [1] ** TLS établi : TLSv1.3, TLS_AES_256_GCM_SHA384
    [1] C: QUIT
    [1] S: 221 2.0.0 Bye
    [1] ** fermeture
"""
DNS = """
    [1] ** ouverture : « MTA d'example.com » → mx.example.org:25 (smtp)
    [2] ** requête DNS : « MX d'example.org » → résolveur du labo (udp/53)
    [2] C: 10.2.0.192.in-addr.arpa. IN PTR ?
    [2] S: 10.2.0.192.in-addr.arpa. 3600 IN PTR smtp.example.com.
    [1] S: 220 mx.example.org ESMTP
"""


def block(text: str, block_id: str = "exemple__sequence") -> str:
    return render_diagram(Transcript.from_text(dedent(text).lstrip()), block_id=block_id)


def svg_of(fragment: str) -> ET.Element:
    match = re.search(r"<svg\b.*</svg>", fragment, re.S)
    assert match is not None
    return ET.fromstring(match[0])


def with_class(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [node for node in root.iter() if css_class in node.get("class", "").split()]


def head_names(root: ET.Element) -> list[str]:
    return [
        "".join(node.itertext())
        for head in with_class(root, "labo-diagram__head")
        for node in head.iter(f"{SVG_NS}text")
    ]


def test_the_diagram_is_well_formed_svg_with_a_role_and_a_name() -> None:
    svg = svg_of(block(STARTTLS))
    assert svg.tag == f"{SVG_NS}svg" and svg.get("role") == "img"
    title = svg.find(f"{SVG_NS}title")
    assert title is not None and svg.get("aria-labelledby") == title.get("id")
    desc = svg.find(f"{SVG_NS}desc")
    assert desc is not None and svg.get("aria-describedby") == desc.get("id")


def test_each_participant_has_one_lifeline_and_a_head_at_both_ends() -> None:
    svg = svg_of(block(DNS))
    assert len(with_class(svg, "labo-diagram__lifeline")) == 3
    assert head_names(svg) == ["smtp.example.com", "mx.example.org", RESOLVER] * 2


def test_a_dns_lookup_adds_the_resolver_lifeline() -> None:
    assert RESOLVER in head_names(svg_of(block(DNS)))
    assert RESOLVER not in head_names(svg_of(block(STARTTLS)))


def test_a_starttls_transcript_has_one_shaded_tls_span() -> None:
    svg = svg_of(block(STARTTLS))
    (span,) = with_class(svg, "labo-diagram__tls")
    assert span.tag == f"{SVG_NS}rect" and int(span.get("height", "0")) > 0


def test_a_transcript_without_tls_has_no_shading() -> None:
    assert with_class(svg_of(block(DNS)), "labo-diagram__tls") == []


def test_every_step_is_one_group_with_its_whole_text_as_tooltip() -> None:
    svg = svg_of(block(STARTTLS))
    steps = with_class(svg, "labo-diagram__step")
    assert len(steps) == 8
    tooltips = [step.findtext(f"{SVG_NS}title") for step in steps]
    assert tooltips[4] == "TLS établi : TLSv1.3, TLS_AES_256_GCM_SHA384"


def test_a_long_line_is_cut_with_an_ellipsis_and_kept_whole_in_its_tooltip() -> None:
    long_line = "A1 LOGIN " + "x" * 200
    svg = svg_of(
        block(
            f"[1] ** ouverture : « ordinateur de Bob » → imap.example.org:143 (imap)\n"
            f"[1] C: {long_line}\n"
        )
    )
    (command,) = with_class(svg, "labo-diagram__step--command")
    shown = "".join(command.findall(f"{SVG_NS}text")[-1].itertext())
    assert shown.endswith("…") and len(shown) * FONT_SIZE * 0.6 <= COLUMN
    assert command.findtext(f"{SVG_NS}title") == long_line


def test_transcript_text_is_escaped_everywhere() -> None:
    recorder = Recorder()
    number = recorder.open("submission", HOSTILE, "smtp.example.com", 587)
    recorder.line(number, "client", HOSTILE.encode())
    fragment = render_diagram(recorder.snapshot(), block_id="x")
    assert "<script" not in fragment and fragment.count("</svg>") == 1
    svg = svg_of(fragment)
    (command,) = with_class(svg, "labo-diagram__step--command")
    assert command.findtext(f"{SVG_NS}title") == HOSTILE
    shown = "".join(command.findall(f"{SVG_NS}text")[-1].itertext())
    assert shown == '<alice@example.com> & "double…'
    assert head_names(svg)[0].startswith("<alice@example.com>")
    assert html.unescape(re.findall(r"<li>(.*?)</li>", fragment)[1]).endswith(HOSTILE)


def test_the_svg_keeps_its_pixel_size_and_text_size() -> None:
    svg = svg_of(block(DNS))
    assert svg.get("viewBox") == f"0 0 {svg.get('width')} {svg.get('height')}"
    assert svg.get("font-size") == str(FONT_SIZE)


def test_the_diagram_scrolls_in_a_focusable_named_box() -> None:
    fragment = block(DNS)
    match = re.search(r'<div class="labo-diagram__scroll"([^>]*)>\s*<svg', fragment)
    assert match is not None
    assert 'tabindex="0"' in match[1] and 'role="group"' in match[1]
    assert 'aria-label="Schéma de séquence' in match[1]


def test_the_text_alternative_lists_every_step_in_order() -> None:
    items = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block(STARTTLS))]
    assert len(items) == 8
    assert items[0] == (
        "[1] ouverture : « ordinateur d'Alice » → smtp.example.com:587 (submission)"
    )
    assert items[2] == "ordinateur d'Alice → smtp.example.com\u00a0: STARTTLS"
    assert items[4] == (
        "[1] TLS établi : TLSv1.3, TLS_AES_256_GCM_SHA384 (ordinateur d'Alice – smtp.example.com)"
    )


def test_the_block_is_left_out_of_the_site_search() -> None:
    assert block(DNS).startswith(
        '<div id="exemple__sequence" class="labo-diagram" data-search-exclude>'
    )


def test_a_transcript_without_events_says_there_is_nothing_to_draw() -> None:
    fragment = render_diagram(Transcript(), block_id="x")
    assert "<svg" not in fragment and "Aucun échange enregistré" in fragment


def test_rendering_is_deterministic() -> None:
    text = (ROOT / "examples/trajet/alice_ecrit_a_bob.transcription.txt").read_text("utf-8")
    first = render_diagram(Transcript.from_text(text), block_id="x")
    assert render_diagram(Transcript.from_text(text), block_id="x") == first


APPROVED = sorted(
    path.relative_to(ROOT).as_posix()
    for pattern in ("*.transcription.txt", "*.reference.txt")
    for path in (ROOT / "examples").rglob(pattern)
)


@pytest.mark.parametrize("path", APPROVED)
def test_every_approved_transcript_renders_as_well_formed_svg(path: str) -> None:
    transcript = Transcript.from_text((ROOT / path).read_text(encoding="utf-8"))
    fragment = render_diagram(transcript, block_id="x")
    if not transcript.events:  # an example that opens no connection on real servers
        assert "Aucun échange enregistré" in fragment
        return
    svg = svg_of(fragment)
    assert len(with_class(svg, "labo-diagram__step")) == fragment.count("<li>") > 0


def test_the_project_has_approved_transcripts_to_draw() -> None:
    assert len(APPROVED) >= 36
