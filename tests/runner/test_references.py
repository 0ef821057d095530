"""The scanner that finds ``/// exemple`` blocks and their line numbers in a page."""

from labo.runner.service import DEFAULT_TIMEOUT
from labo.site.references import scan


def test_a_block_is_found_with_its_line_and_path():
    page = "# Titre\n\nTexte.\n\n/// exemple | examples/pop3/a.py\n///\n"
    [reference] = scan(page)
    assert (reference.line, reference.path, reference.problem) == (5, "examples/pop3/a.py", None)


def test_the_default_time_limit_applies_without_option():
    [reference] = scan("/// exemple | examples/a.py\n///\n")
    assert reference.timeout == DEFAULT_TIMEOUT


def test_the_delai_option_sets_the_time_limit():
    [reference] = scan("/// exemple | examples/a.py\n    délai: 20\n\nLégende.\n///\n")
    assert reference.timeout == 20.0


def test_a_caption_does_not_end_the_block():
    [reference] = scan("/// exemple | examples/a.py\nUne légende\nsur deux lignes.\n///\nSuite.\n")
    assert reference.end_line == 4


def test_blocks_inside_fenced_code_are_ignored():
    page = "```markdown\n/// exemple | examples/a.py\n///\n```\n"
    assert scan(page) == []


def test_a_block_without_path_is_malformed():
    [reference] = scan("/// exemple\n///\n")
    assert "barre verticale" in (reference.problem or "")


def test_an_empty_path_is_malformed():
    [reference] = scan("/// exemple |\n///\n")
    assert "aucun fichier" in (reference.problem or "")


def test_an_unknown_option_is_malformed():
    [reference] = scan("/// exemple | examples/a.py\n    timeout: 3\n///\n")
    assert "option «\u00a0timeout\u00a0» inconnue" in (reference.problem or "")


def test_an_out_of_range_time_limit_is_malformed():
    [reference] = scan("/// exemple | examples/a.py\n    délai: 9999\n///\n")
    assert "entre 1 et" in (reference.problem or "")


def test_an_unclosed_block_is_malformed():
    [reference] = scan("Intro\n\n/// exemple | examples/a.py\nLégende\n")
    assert "jamais fermé" in (reference.problem or "")
    assert reference.line == 3


def test_several_blocks_keep_page_order():
    page = "/// exemple | examples/a.py\n///\n\n/// exemple | examples/b.py\n///\n"
    assert [r.path for r in scan(page)] == ["examples/a.py", "examples/b.py"]
