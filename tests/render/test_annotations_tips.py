"""The tooltips' stylesheet: each explanation written once, read back exactly from its CSS
string whatever it holds, and kept once per page."""

from __future__ import annotations

import re

import pytest

from labo.render.annotations.tips import css_string, page_once, rule, sheet

_SHEET = re.compile(r"<style data-labo-tips>(.*?)</style>", re.S)
_RULE = re.compile(r'^\[data-t=(\w+)\]:is\(:hover,:focus\)::after\{content:("(?:[^"\\]|\\.)*")\}$')
#: A CSS escape as CSS Syntax §4.3.7 reads it: up to six hex digits and one space, or a character.
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n]?|\\(.)", re.S)


def read_css_string(quoted: str) -> str:
    """What a browser reads from a double-quoted CSS string."""
    assert quoted[0] == quoted[-1] == '"'
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)) if match[1] else match[2], quoted[1:-1])


def read_sheets(html: str) -> dict[str, str]:
    """Each key of the tooltip sheets in ``html``, with its text."""
    texts: dict[str, str] = {}
    for found in _SHEET.finditer(html):
        for line in found[1].split("\n"):
            parsed = _RULE.match(line)
            assert parsed, line
            texts[parsed[1]] = read_css_string(parsed[2])
    return texts


@pytest.mark.parametrize(
    "text",
    [
        "Réponse «\u00a0250\u00a0» — RFC 5321 §4.2",
        'guillemets " et barre oblique inverse \\ ensemble \\"',
        "fin de ligne\navant une espace\n suivie",
        "</style><script>alert(1)</script>",
        "contrôles \x00\x1b\x7f et tabulation\t",
        "\\3c  ressemble à un échappement",
    ],
)
def test_a_css_string_reads_back_as_its_text(text: str) -> None:
    assert read_css_string(css_string(text)) == text


def test_a_css_string_cannot_end_its_style_element_or_its_line() -> None:
    written = css_string("a</style>b</STYLE>\nc\rd")
    assert "<" not in written and "\n" not in written and "\r" not in written


def test_a_sheet_gives_each_key_its_text() -> None:
    written = sheet([("e1", "Premier."), ("e2", 'Deuxième, avec "guillemets".')])
    assert read_sheets(written) == {"e1": "Premier.", "e2": 'Deuxième, avec "guillemets".'}


def test_no_tip_makes_no_sheet() -> None:
    assert sheet([]) == ""


def test_a_page_keeps_each_rule_where_it_first_appears() -> None:
    first = sheet([("e1", "Un."), ("e2", "Deux.")])
    second = sheet([("e2", "Deux."), ("e3", "Trois.")])
    page = page_once(f"<p>a</p>{first}<p>b</p>{second}")
    assert page.count(rule("e2", "Deux.")) == 1
    assert read_sheets(page) == {"e1": "Un.", "e2": "Deux.", "e3": "Trois."}
    assert page.index(rule("e2", "Deux.")) < page.index("<p>b</p>")


def test_a_sheet_left_with_no_rule_leaves_the_page() -> None:
    once = sheet([("e1", "Un.")])
    assert page_once(f"{once}<p>entre</p>{once}") == f"{once}<p>entre</p>"
