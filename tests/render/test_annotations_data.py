"""The data files of data/annotations: well formed, sourced, in French typography, and enough to
explain every token of every approved transcript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labo.render.annotations import Entry, unexplained
from labo.render.annotations.catalogue import CatalogueError, read, rfc_url
from labo.wire.transcript import Transcript

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = sorted(read().entries.values(), key=lambda entry: (entry.file, entry.kind, entry.key))
APPROVED = sorted(
    path
    for pattern in ("*/*.transcription.txt", "*/*.reference.txt")
    for path in (ROOT / "examples").glob(pattern)
)
NB = "\u00a0"


#: The opening line of an SMTP connection; its service name is explained by ``SERVICES``.
OPENING = f"[1] ** ouverture{NB}: «{NB}client{NB}» → mx.example.org:25 (smtp)\n"
SERVICES = "services:\n  smtp:\n    explication: Relais.\n    source: RFC 5321 §2.1\n"


def _name(entry: Entry) -> str:
    return f"{entry.protocol}/{entry.kind}/{entry.key}"


@pytest.mark.parametrize("path", APPROVED, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_token_of_an_approved_transcript_is_explained(path: Path) -> None:
    transcript = Transcript.from_text(path.read_text(encoding="utf-8"))
    assert [missing.message() for missing in unexplained(transcript)] == []


def test_there_are_approved_transcripts_of_every_kind() -> None:
    assert {path.name.rsplit(".", 2)[1] for path in APPROVED} == {"transcription", "reference"}


@pytest.mark.parametrize("entry", ENTRIES, ids=_name)
def test_explanation_is_one_french_sentence(entry: Entry) -> None:
    sentence = entry.explanation
    assert sentence[0].isupper() and sentence.endswith(".")
    assert sentence.count(". ") == 0, "une seule phrase"
    assert not re.search(r" [:;?!»]|« ", sentence), "espace insécable attendue"
    assert "'" not in sentence, "apostrophe typographique attendue"


@pytest.mark.parametrize("entry", ENTRIES, ids=_name)
def test_explanation_links_to_its_source(entry: Entry) -> None:
    assert entry.url.startswith("https://")
    if entry.rfc is not None:
        assert entry.url == rfc_url(entry.source)


def test_rfc_section_and_appendix_have_their_own_anchors() -> None:
    assert rfc_url("RFC 5321 §4.1.1.2") == "https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2"
    assert rfc_url("RFC 8446 §B.4") == "https://www.rfc-editor.org/rfc/rfc8446#appendix-B.4"
    assert rfc_url("RFC 2177") == "https://www.rfc-editor.org/rfc/rfc2177"


def test_a_source_other_than_an_rfc_needs_a_link(tmp_path: Path) -> None:
    (tmp_path / "smtp.yml").write_text(
        "commandes:\n  XCLIENT:\n    explication: Propre à Postfix.\n    source: Postfix\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=f"smtp.yml, commandes, XCLIENT{NB}: .*lien"):
        read(tmp_path)


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pop3.yml").write_text(
        "commandes:\n  STAT:\n    explication: Compte.\n    source: RFC 1939 §5\n    rfc: 1939\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="champ inconnu rfc"):
        read(tmp_path)


def test_tokens_are_matched_whatever_their_case(tmp_path: Path) -> None:
    (tmp_path / "smtp.yml").write_text(
        "commandes:\n  RSET:\n    explication: Annule.\n    source: RFC 5321 §4.1.1.5\n",
        encoding="utf-8",
    )
    (tmp_path / "services.yml").write_text(SERVICES, encoding="utf-8")
    transcript = Transcript.from_text(f"{OPENING}[1] C: rset\n")
    assert unexplained(transcript, read(tmp_path)) == []


def test_an_unexplained_token_names_the_file_and_the_key_to_add(tmp_path: Path) -> None:
    (tmp_path / "services.yml").write_text(SERVICES, encoding="utf-8")
    transcript = Transcript.from_text(f"{OPENING}[1] C: XYZZY\n[1] C: XYZZY\n")
    (missing,) = unexplained(transcript, read(tmp_path))
    assert missing.message() == (
        f"jeton sans explication «{NB}XYZZY{NB}» (smtp, commandes){NB}: ajoutez la clé "
        f"«{NB}XYZZY{NB}» à la catégorie «{NB}commandes{NB}» de data/annotations/smtp.yml"
    )
