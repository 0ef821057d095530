"""The HTML renderer: escaping, line classes, folded bodies, tabs and ids, and a Material build."""

from __future__ import annotations

import html.parser
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from labo.render import render_error, render_example
from labo.render.code import HIGHLIGHT_OPTIONS
from labo.render.reference import ReferenceRun, french
from labo.render.transcript import FOLD_AFTER
from labo.wire.transcript import Event, Recorder, Transcript

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<alice@example.com> & \"double\" 'single' </script><script>alert(1)</script>"
CODE = '"""Alice envoie un message."""\n\nimport smtplib\n\nprint("<fin>")\n'


# --- a small DOM, enough to look at a fragment as a browser would ------------------------------


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def all(self, css_class: str | None = None, tag: str | None = None) -> list[Node]:
        return [
            node
            for node in self.walk()
            if (css_class is None or css_class in node.classes) and (tag is None or node.tag == tag)
        ]

    def first(self) -> Node:
        return next(child for child in self.children if isinstance(child, Node))

    def one(self, css_class: str | None = None, tag: str | None = None) -> Node:
        (node,) = self.all(css_class, tag)
        return node


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#fragment", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(fragment: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


# --- transcripts, recorded through the real Recorder -------------------------------------------


class Session:
    """Writes one connection's dialogue into a Recorder."""

    def __init__(self, recorder: Recorder, service: str, hostname: str, port: int) -> None:
        self.recorder = recorder
        self.number = recorder.open(service, "client", hostname, port)

    def client(self, *lines: str) -> Session:
        for line in lines:
            self.recorder.line(self.number, "client", line.encode())
        return self

    def server(self, *lines: str) -> Session:
        for line in lines:
            self.recorder.line(self.number, "server", line.encode())
        return self

    def close(self) -> None:
        self.recorder.close(self.number)


def body(count: int) -> list[str]:
    return [f"Ligne {number} du message" for number in range(1, count + 1)]


def smtp_transcript(body_lines: int) -> Transcript:
    recorder = Recorder()
    smtp = Session(recorder, "submission", "smtp.example.com", 587)
    smtp.server("220 mail.example.net ESMTP").client("EHLO client.example.com")
    smtp.server("250 mail.example.net")
    smtp.recorder.tls(smtp.number, "TLSv1.3", "TLS_AES_256_GCM_SHA384")
    smtp.client("MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.org>", "DATA")
    smtp.server("250 OK", "250 OK", "354 End data with <CR><LF>.<CR><LF>")
    smtp.client(*body(body_lines), ".").server("250 OK queued")
    smtp.client("QUIT").server("221 Bye").close()
    return recorder.snapshot()


def pop3_transcript(*exchanges: tuple[str, list[str]]) -> Transcript:
    recorder = Recorder()
    pop = Session(recorder, "pop3", "pop.example.org", 110)
    pop.server("+OK POP3 ready")
    for command, answer in exchanges:
        pop.client(command).server(*answer)
    pop.close()
    return recorder.snapshot()


def example(
    transcript: Transcript,
    *,
    anchor: str = "exemple-smtp-envoi",
    code: str = CODE,
    source_path: str = "examples/smtp/envoi.py",
    title: str = "Alice envoie un message",
    caption: str | None = None,
    reference: ReferenceRun | None = None,
) -> str:
    return render_example(
        code=code,
        transcript=transcript,
        source_path=source_path,
        title=title,
        caption=caption,
        anchor=anchor,
        reference=reference,
    )


def lines_of(fragment: str, kind: str) -> list[str]:
    return [node.text() for node in parse(fragment).all(f"labo-line--{kind}")]


# --- escaping ----------------------------------------------------------------------------------


def test_hostile_transcript_line_is_shown_as_text() -> None:
    recorder = Recorder()
    Session(recorder, "smtp", "mx.example.org", 25).server("220 ok").client(f"MAIL FROM:{HOSTILE}")
    fragment = example(recorder.snapshot())
    assert parse(fragment).all(tag="script") == []
    assert lines_of(fragment, "client") == [f"C: MAIL FROM:{HOSTILE}\n"]


def test_hostile_title_caption_and_path_are_shown_as_text() -> None:
    fragment = example(
        smtp_transcript(1), title=f"Titre {HOSTILE}", caption=HOSTILE, source_path=HOSTILE
    )
    tree = parse(fragment)
    assert tree.all(tag="script") == []
    assert tree.one("labo-run__title").text() == f"Titre {HOSTILE}¶"
    assert tree.one("labo-run__caption").text() == HOSTILE
    assert tree.one("language-python").one("filename").text() == HOSTILE


def test_hostile_code_is_shown_as_text() -> None:
    code = f"print({HOSTILE!r})\n"
    tree = parse(example(smtp_transcript(1), code=code))
    assert tree.all(tag="script") == []
    assert tree.one("language-python").one(tag="code").text() == code


def test_copy_button_copies_the_transcript_text_form() -> None:
    recorder = Recorder()
    relay = Session(recorder, "smtp", "mx.example.org", 25)
    relay.server("220 ok").client(HOSTILE, "\tplié").close()
    transcript = recorder.snapshot()
    tree = parse(example(transcript))
    (copied,) = [node for node in tree.walk() if "data-copy" in node.attrs]
    assert "labo-transcript" in copied.classes
    assert copied.attrs["data-copy"] == transcript.to_text()


def test_control_characters_are_shown_as_their_pictures() -> None:
    recorder = Recorder()
    relay = Session(recorder, "smtp", "mx.example.org", 25)
    relay.server("220 ok").client("X-Couleur: \x1b[31m\x00")
    assert lines_of(example(recorder.snapshot()), "client") == ["C: X-Couleur: ␛[31m␀\n"]


def test_title_backquotes_become_code() -> None:
    tree = parse(example(smtp_transcript(1), title="Le client envoie `DATA` <puis>"))
    title = tree.one("labo-run__title")
    assert title.one(tag="code").text() == "DATA"
    assert title.text() == "Le client envoie DATA <puis>¶"


def test_anchor_with_whitespace_is_refused() -> None:
    with pytest.raises(ValueError, match="ancre"):
        example(smtp_transcript(1), anchor="exemple smtp")


def test_anchor_with_selector_characters_keeps_inner_ids_selector_safe() -> None:
    tree = parse(example(smtp_transcript(1), anchor='exemple-a.b"c'))
    assert tree.one(tag="figure").attrs["id"] == 'exemple-a.b"c'
    inner = [node.attrs["id"] for node in tree.walk() if "id" in node.attrs][1:]
    assert inner and all(re.fullmatch(r"[\w-]+", identifier) for identifier in inner)


# --- lines -------------------------------------------------------------------------------------


def test_client_and_server_lines_have_their_class_and_prefix() -> None:
    fragment = example(smtp_transcript(1))
    assert lines_of(fragment, "client")[0] == "C: EHLO client.example.com\n"
    assert lines_of(fragment, "server")[0] == "S: 220 mail.example.net ESMTP\n"
    tree = parse(fragment)
    prefixes = {line.first().text() for line in tree.all("labo-line--client")}
    assert prefixes == {"C:"}


def test_open_tls_and_close_events_are_badges() -> None:
    tree = parse(example(smtp_transcript(1)))
    badges = {
        kind: tree.one(f"labo-line--{kind}").one("labo-badge").text()
        for kind in ("open", "tls", "close")
    }
    assert badges == {
        "open": "ouverture\u00a0: «\u00a0client\u00a0» → smtp.example.com:587 (submission)",
        "tls": "TLS établi\u00a0: TLSv1.3, TLS_AES_256_GCM_SHA384",
        "close": "fermeture",
    }


def test_note_event_is_shown_as_a_notice() -> None:
    transcript = smtp_transcript(1)
    transcript.events.append(Event(1, "note", "échec TLS : TLSV1_ALERT_UNKNOWN_CA (côté client)"))
    notice = parse(example(transcript)).one("labo-line--notice")
    assert notice.text() == "échec TLS : TLSV1_ALERT_UNKNOWN_CA (côté client)\n"


def test_unknown_event_kind_is_shown_as_a_notice() -> None:
    transcript = smtp_transcript(1)
    transcript.events.append(Event(1, "coupure", "coupure par le serveur"))  # type: ignore[arg-type]
    notice = parse(example(transcript)).one("labo-line--notice")
    assert notice.text() == "coupure par le serveur\n"


def test_connection_numbers_appear_when_connections_interleave() -> None:
    recorder = Recorder()
    phone = Session(recorder, "pop3", "pop.example.org", 110)
    laptop = Session(recorder, "pop3", "pop.example.org", 110)
    phone.server("+OK ready")
    laptop.server("+OK ready")
    phone.client("QUIT")
    fragment = example(recorder.snapshot())
    assert lines_of(fragment, "client") == ["[1] C: QUIT\n"]
    assert lines_of(fragment, "server") == ["[1] S: +OK ready\n", "[2] S: +OK ready\n"]


def test_connection_numbers_stay_hidden_for_successive_connections() -> None:
    recorder = Recorder()
    Session(recorder, "pop3", "pop.example.org", 110).server("+OK ready").close()
    Session(recorder, "pop3", "pop.example.org", 110).server("+OK ready").close()
    tree = parse(example(recorder.snapshot()))
    assert tree.all("labo-line__conn") == []
    assert len(tree.all("labo-line--open")) == 2


def test_transcript_without_events_says_so() -> None:
    tree = parse(example(Transcript()))
    assert tree.one("labo-line--notice").text() == "aucun échange enregistré\n"


# --- folded message bodies ---------------------------------------------------------------------


def test_long_smtp_body_is_folded_with_every_line_kept() -> None:
    tree = parse(example(smtp_transcript(FOLD_AFTER + 12)))
    folded = tree.one("labo-body", tag="details")
    assert [line.text() for line in folded.all("labo-line")] == [
        f"C: {line}\n" for line in body(FOLD_AFTER + 12)
    ]
    assert "open" not in folded.attrs


def test_smtp_body_at_the_limit_stays_unfolded() -> None:
    fragment = example(smtp_transcript(FOLD_AFTER))
    assert parse(fragment).all("labo-body", tag="details") == []
    assert "C: Ligne 12 du message\n" in lines_of(fragment, "client")


def test_folded_body_summary_counts_its_lines_in_french() -> None:
    summary = parse(example(smtp_transcript(24))).one("labo-body__summary", tag="summary")
    assert summary.text() == "C: 24 lignes du message — afficher"


def test_dot_ending_the_data_body_stays_visible() -> None:
    tree = parse(example(smtp_transcript(20)))
    folded = set(tree.one("labo-body", tag="details").walk())
    assert "C: .\n" in [line.text() for line in tree.all("labo-line") if line not in folded]


def test_long_pop3_retr_answer_is_folded() -> None:
    transcript = pop3_transcript(("RETR 1", ["+OK 900 octets", *body(20), "."]))
    folded = parse(example(transcript)).one("labo-body", tag="details")
    assert len(folded.all("labo-line--server")) == 20


def test_long_pop3_list_answer_is_not_folded() -> None:
    listing = [f"{number} 120" for number in range(1, 31)]
    transcript = pop3_transcript(("LIST", ["+OK 30 messages", *listing, "."]))
    assert parse(example(transcript)).all("labo-body", tag="details") == []


def test_pop3_sasl_exchange_does_not_shift_the_answers() -> None:
    transcript = pop3_transcript(
        ("AUTH PLAIN", ["+ "]),
        ("AGFsaWNlAHNlY3JldA==", ["+OK logged in"]),
        ("RETR 1", ["+OK", *body(20), "."]),
    )
    assert len(parse(example(transcript)).one("labo-body", tag="details").all("labo-line")) == 20


def test_long_imap_fetch_literal_is_folded_without_its_closing_line() -> None:
    lines = body(20)
    size = sum(len(line.encode()) + 2 for line in lines)
    recorder = Recorder()
    imap = Session(recorder, "imap", "imap.example.com", 143)
    imap.server("* OK IMAP4rev1 ready").client("a1 FETCH 1 BODY[]")
    imap.server(f"* 1 FETCH (BODY[] {{{size}}}", *lines, ")", "a1 OK FETCH completed")
    tree = parse(example(recorder.snapshot()))
    assert [line.text() for line in tree.one("labo-body", tag="details").all("labo-line")] == [
        f"S: {line}\n" for line in lines
    ]


def test_body_is_found_from_the_greeting_when_the_service_is_unknown() -> None:
    text = smtp_transcript(20).to_text()
    assert len(parse(example(Transcript.from_text(text))).all("labo-body", tag="details")) == 1


# --- tabs, ids, permalink, code ----------------------------------------------------------------


def test_example_has_code_transcription_and_schema_tabs_in_material_markup() -> None:
    tabset = parse(example(smtp_transcript(1))).one("tabbed-set")
    assert "tabbed-alternate" in tabset.classes and "data-tabs" in tabset.attrs
    inputs = tabset.all(tag="input")
    labels = tabset.one("tabbed-labels").all(tag="label")
    assert [label.text() for label in labels] == ["Code", "Transcription", "Schéma"]
    assert [label.attrs["for"] for label in labels] == [node.attrs["id"] for node in inputs]
    assert [("checked" in node.attrs) for node in inputs] == [True, False, False]
    assert len({node.attrs["name"] for node in inputs}) == 1
    assert len(tabset.one("tabbed-content").all("tabbed-block")) == 3


# --- the last tab: what Postfix and Dovecot said ------------------------------------------------

NB = "\u00a0"
DECLARED = ReferenceRun(
    smtp_transcript(1),
    ("Postfix annonce aussi VRFY", "pas de serveur DNS côté référence : table de transport"),
)


def reference_tab(reference: ReferenceRun) -> Node:
    return parse(example(smtp_transcript(1), reference=reference)).all("tabbed-block")[-1]


def test_a_reference_run_adds_a_last_tab_avec_postfix_et_dovecot() -> None:
    tabset = parse(example(smtp_transcript(1), reference=DECLARED)).one("tabbed-set")
    labels = [label.text() for label in tabset.one("tabbed-labels").all(tag="label")]
    assert labels == ["Code", "Transcription", "Schéma", "Avec Postfix et Dovecot"]
    assert tabset.attrs["data-tabs"].endswith(":4")
    inputs = tabset.all(tag="input")
    assert [("checked" in node.attrs) for node in inputs] == [True, False, False, False]


def test_the_reference_transcript_is_rendered_like_the_lab_transcript() -> None:
    same = ReferenceRun(smtp_transcript(20))
    blocks = parse(example(smtp_transcript(20), reference=same)).all("tabbed-block")
    lab, reference = (block.one("labo-transcript") for block in (blocks[1], blocks[-1]))
    assert lab.attrs["id"] != reference.attrs["id"]
    assert lab.attrs["data-copy"] == reference.attrs["data-copy"]
    folded = [len(block.all("labo-body", tag="details")) for block in (reference, lab)]
    assert folded == [1, 1]


def test_the_reference_tab_notes_the_declared_reasons_in_one_line() -> None:
    assert reference_tab(DECLARED).one("labo-reference__note").text() == (
        f"Différences déclarées avec le labo{NB}: Postfix annonce aussi VRFY{NB}; "
        f"pas de serveur DNS côté référence{NB}: table de transport."
    )


def test_a_reference_with_nothing_declared_says_so() -> None:
    note = reference_tab(ReferenceRun(smtp_transcript(1))).one("labo-reference__note")
    assert note.text() == "Aucune différence déclarée avec le labo."


def test_a_declared_failure_shows_its_reason_and_the_transcript_up_to_the_stop() -> None:
    tab = reference_tab(ReferenceRun(smtp_transcript(1), failure="Postfix suit l'horloge réelle"))
    note = tab.one("labo-reference__note").text()
    assert note.startswith(f"Échec déclaré{NB}: Postfix suit l’horloge réelle.")
    assert "s’arrête là où il a échoué" in note
    assert len(tab.all("labo-transcript")) == 1


def test_a_declared_failure_with_an_empty_transcript_shows_only_the_reason() -> None:
    tab = reference_tab(ReferenceRun(Transcript(), failure="pas de serveur DNS"))
    assert "s’arrête" not in tab.one("labo-reference__note").text()
    assert tab.all("labo-transcript") == []


def test_a_missing_reference_shows_the_problem_in_place_of_the_transcript() -> None:
    tab = reference_tab(ReferenceRun(problem=f"x.reference.txt manque{NB}: lancez <make>"))
    assert tab.one("labo-reference__note").text() == f"x.reference.txt manque{NB}: lancez <make>"
    assert tab.all("labo-transcript") == []


def test_reasons_typed_with_ordinary_spaces_get_french_typography() -> None:
    assert french("« a » : l'b ; c ? d !") == f"«{NB}a{NB}»{NB}: l’b{NB}; c{NB}? d{NB}!"


def test_two_examples_on_one_page_share_no_id_and_no_tab_group() -> None:
    page = parse(
        example(smtp_transcript(1), anchor="exemple-smtp-envoi", reference=DECLARED)
        + example(smtp_transcript(1), anchor="exemple-smtp-relais", reference=DECLARED)
    )
    ids = [node.attrs["id"] for node in page.walk() if "id" in node.attrs]
    assert len(ids) == len(set(ids))
    assert len({node.attrs["name"] for node in page.all(tag="input")}) == 2


def test_figure_carries_the_anchor_and_a_permalink() -> None:
    tree = parse(example(smtp_transcript(1), anchor="exemple-smtp-envoi"))
    assert tree.one(tag="figure").attrs["id"] == "exemple-smtp-envoi"
    link = tree.one("labo-run__title").one("headerlink")
    assert (link.attrs["href"], link.text()) == ("#exemple-smtp-envoi", "¶")


def test_code_block_is_what_pymdownx_highlight_makes_of_a_fenced_block() -> None:
    fragment = example(smtp_transcript(1), anchor="exemple-smtp-envoi")
    fence = (
        f'``` {{ .python #exemple-smtp-envoi__source title="examples/smtp/envoi.py" }}\n{CODE}```'
    )
    expected = markdown.markdown(
        fence,
        extensions=["attr_list", "pymdownx.superfences", "pymdownx.highlight"],
        extension_configs={"pymdownx.highlight": HIGHLIGHT_OPTIONS},
    )
    assert expected in fragment


def test_highlight_options_match_mkdocs_yml() -> None:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    extensions = {
        name: options
        for entry in config["markdown_extensions"]
        for name, options in (entry.items() if isinstance(entry, dict) else [(entry, {})])
    }
    assert extensions["pymdownx.highlight"] == HIGHLIGHT_OPTIONS


# --- error box, determinism --------------------------------------------------------------------


def test_error_box_is_a_failure_admonition_with_the_message_escaped() -> None:
    message = f"Traceback (most recent call last):\n  {HOSTILE}\n"
    tree = parse(render_error(title="Exemple en échec", message=message, anchor="exemple-x"))
    box = tree.one("admonition")
    assert "failure" in box.classes and box.attrs["id"] == "exemple-x"
    assert box.one("admonition-title").text() == "Exemple en échec¶"
    assert tree.all(tag="script") == []
    assert box.one(tag="pre").text() == message.rstrip()


def test_fragments_run_nothing_and_load_nothing() -> None:
    tree = parse(
        example(smtp_transcript(30))
        + render_error(title="Échec", message=HOSTILE, anchor="exemple-casse")
    )
    nodes = list(tree.walk())
    assert {node.tag for node in nodes}.isdisjoint({"script", "link", "img", "iframe"})
    # The only styles are the tooltips' texts (labo.render.annotations.tips): they load nothing.
    sheets = [node for node in nodes if node.tag == "style"]
    assert sheets and all("data-labo-tips" in node.attrs for node in sheets)
    assert not [node for node in sheets if "url(" in node.text() or "@import" in node.text()]
    assert not [name for node in nodes for name in node.attrs if name.startswith("on")]
    # Links go to the page itself, or to a norm (the lexicon's RFC sections): nothing is loaded.
    links = [node.attrs["href"] for node in nodes if "href" in node.attrs]
    assert all(href.startswith(("#", "https://")) for href in links)
    assert not [node for node in nodes if "src" in node.attrs or "style" in node.attrs]


def test_rendering_is_deterministic() -> None:
    first = example(smtp_transcript(30), anchor="exemple-a")
    example(pop3_transcript(("RETR 1", ["+OK", *body(20), "."])), anchor="exemple-b")
    assert example(smtp_transcript(30), anchor="exemple-a") == first


# --- a real Material build ---------------------------------------------------------------------

SITE_CONFIG = {
    "site_name": "Essai",
    "docs_dir": "docs",
    "theme": {
        "name": "material",
        "language": "fr",
        "font": False,
        "features": ["content.code.copy", "content.tabs.link", "navigation.instant"],
    },
    "extra_css": ["assets/labo.css"],
    "markdown_extensions": [
        "admonition",
        "attr_list",
        "md_in_html",
        {"toc": {"permalink": "¶"}},
        "pymdownx.details",
        "pymdownx.superfences",
        {"pymdownx.tabbed": {"alternate_style": True}},
        {"pymdownx.highlight": HIGHLIGHT_OPTIONS},
    ],
}


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str]:
    """A Material site whose page embeds two examples and an error box as raw HTML blocks."""
    root = tmp_path_factory.mktemp("site")
    (root / "docs" / "assets").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "assets" / "labo.css", root / "docs" / "assets" / "labo.css")
    fragments = [
        example(smtp_transcript(20), anchor="exemple-smtp-envoi"),
        example(pop3_transcript(("RETR 1", ["+OK", *body(3), "."])), anchor="exemple-pop3"),
        example(smtp_transcript(20), anchor="exemple-avec-reference", reference=DECLARED),
        render_error(title="Exemple en échec", message=HOSTILE, anchor="exemple-casse"),
    ]
    page = "# Essai\n\n" + "\n\nDu texte entre deux exemples.\n\n".join(fragments) + "\n"
    (root / "docs" / "index.md").write_text(page, encoding="utf-8")
    (root / "mkdocs.yml").write_text(yaml.safe_dump(SITE_CONFIG), encoding="utf-8")
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"), strict=True)
    build(config)
    return fragments, (root / "site" / "index.html").read_text(encoding="utf-8")


def test_material_build_keeps_the_fragments_unchanged(built_site: tuple[list[str], str]) -> None:
    fragments, page = built_site
    assert [fragment in page for fragment in fragments] == [True, True, True, True]
    assert 'href="assets/labo.css"' in page


def test_an_imap_header_fetch_is_never_folded() -> None:
    recorder = Recorder()
    number = recorder.open("imaps", "téléphone de Bob", "imap.example.org", 993)
    headers = [f"X-En-Tete-{n}: valeur {n}" for n in range(20)]
    size = sum(len(line) + 2 for line in headers)
    recorder.line(number, "client", b"A1 FETCH 1 (BODY.PEEK[HEADER])")
    recorder.line(number, "server", f"* 1 FETCH (BODY[HEADER] {{{size}}}".encode())
    for line in headers:
        recorder.line(number, "server", line.encode())
    recorder.line(number, "server", b")")
    fragment = example(recorder.snapshot())
    assert parse(fragment).all("labo-body", tag="details") == []
    assert "X-En-Tete-19: valeur 19" in fragment


def test_error_box_of_a_new_transcript_shows_it_rendered_beside_the_message() -> None:
    fragment = render_error(
        title="Exemple en échec",
        message="pas encore approuvée",
        anchor="exemple-x",
        produced=smtp_transcript(3),
    )
    review = parse(fragment).one("labo-error__review")
    assert review.one("labo-error__message").one(tag="pre").text() == "pas encore approuvée"
    assert review.one("labo-error__produced").one("labo-transcript").all("labo-line--client")


def test_error_box_without_a_produced_transcript_shows_the_message_alone() -> None:
    tree = parse(render_error(title="Échec", message="délai dépassé", anchor="exemple-x"))
    assert tree.all("labo-transcript") == []
