"""Where the tokenizers find tokens, protocol by protocol, and what they leave as free text."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from labo.render.annotations import Token, transcript_tokens
from labo.render.annotations.dns import DnsTokenizer
from labo.render.annotations.imap import ImapTokenizer
from labo.render.annotations.pop3 import Pop3Tokenizer
from labo.render.annotations.smtp import SmtpTokenizer
from labo.render.annotations.tokens import Side
from labo.wire.transcript import Recorder, Transcript

Line = tuple[Side, str]


def shown(
    tokenizer: SmtpTokenizer | Pop3Tokenizer | ImapTokenizer | DnsTokenizer, lines: Sequence[Line]
) -> list[list[tuple[str, str, str]]]:
    """For each line: (text, kind, key) of its tokens."""
    result = []
    for side, text in lines:
        found: list[Token] = tokenizer.feed(side, text)
        result.append([(text[t.start : t.end], t.kind, t.keys[0]) for t in found])
    return result


def texts(
    tokenizer: SmtpTokenizer | Pop3Tokenizer | ImapTokenizer | DnsTokenizer, lines: Sequence[Line]
) -> list[list[str]]:
    return [[text for text, _, _ in line] for line in shown(tokenizer, lines)]


# --- SMTP ----------------------------------------------------------------------------------------


def test_smtp_mail_from_is_one_command_and_its_parameters_are_explained_by_name() -> None:
    (line,) = shown(SmtpTokenizer(), [("client", "mail FROM:<alice@example.com> size=155")])
    assert line == [("mail FROM:", "commandes", "MAIL"), ("size=155", "paramètres", "SIZE=155")]


def test_smtp_parameter_with_a_keyword_value_is_explained_in_full_first() -> None:
    (line,) = shown(SmtpTokenizer(), [("client", "MAIL FROM:<a@example.com> BODY=8BITMIME")])
    assert line[1][2] == "BODY=8BITMIME"


def test_smtp_reply_code_and_enhanced_code_are_tokens_but_not_the_text() -> None:
    (line,) = texts(SmtpTokenizer(), [("server", "530 5.7.0 Must issue a STARTTLS command first")])
    assert line == ["530", "5.7.0"]


def test_smtp_ehlo_reply_lists_extensions_after_the_server_name() -> None:
    lines: list[Line] = [
        ("client", "EHLO client.example.com"),
        ("server", "250-mx.example.org"),
        ("server", "250-SIZE 10485760"),
        ("server", "250-AUTH PLAIN LOGIN"),
        ("server", "250 SMTPUTF8"),
        ("client", "QUIT"),
        ("server", "250 Ok"),
    ]
    assert texts(SmtpTokenizer(), lines) == [
        ["EHLO"],
        ["250"],
        ["250", "SIZE"],
        ["250", "AUTH", "PLAIN", "LOGIN"],
        ["250", "SMTPUTF8"],
        ["QUIT"],
        ["250"],
    ]


def test_smtp_message_content_is_free_text_up_to_the_lone_dot() -> None:
    lines: list[Line] = [
        ("client", "DATA"),
        ("server", "354 End data with <CR><LF>.<CR><LF>"),
        ("client", "Subject: QUIT"),
        ("client", "MAIL FROM: personne"),
        ("client", "."),
        ("client", "QUIT"),
    ]
    assert texts(SmtpTokenizer(), lines) == [["DATA"], ["354"], [], [], ["."], ["QUIT"]]


def test_smtp_answer_to_a_sasl_challenge_is_not_a_command() -> None:
    lines: list[Line] = [
        ("client", "AUTH LOGIN"),
        ("server", "334 VXNlcm5hbWU6"),
        ("client", "YWxpY2U="),
        ("server", "334 UGFzc3dvcmQ6"),
        ("client", "c2VjcmV0"),
    ]
    found = shown(SmtpTokenizer(), lines)
    assert found[0] == [("AUTH", "commandes", "AUTH"), ("LOGIN", "mécanismes", "LOGIN")]
    assert found[2] == found[4] == []


# --- POP3 ----------------------------------------------------------------------------------------


def test_pop3_capa_lines_are_capabilities_and_the_dot_ends_them() -> None:
    lines: list[Line] = [
        ("server", "+OK pop.example.org POP3 ready"),
        ("client", "CAPA"),
        ("server", "+OK Capability list follows"),
        ("server", "SASL PLAIN"),
        ("server", "EXPIRE NEVER"),
        ("server", "."),
    ]
    assert texts(Pop3Tokenizer(), lines) == [
        ["+OK"],
        ["CAPA"],
        ["+OK"],
        ["SASL", "PLAIN"],
        ["EXPIRE"],
        ["."],
    ]


def test_pop3_retr_answer_is_the_message_not_commands() -> None:
    lines: list[Line] = [
        ("client", "RETR 1"),
        ("server", "+OK 120 octets"),
        ("server", "TOP secret"),
        ("server", "."),
    ]
    assert texts(Pop3Tokenizer(), lines) == [["RETR"], ["+OK"], [], ["."]]


def test_pop3_response_code_in_brackets_is_a_token() -> None:
    lines: list[Line] = [("client", "USER bob"), ("server", "-ERR [IN-USE] Mailbox locked")]
    assert shown(Pop3Tokenizer(), lines)[1] == [
        ("-ERR", "réponses", "-ERR"),
        ("IN-USE", "codes", "IN-USE"),
    ]


# --- IMAP ----------------------------------------------------------------------------------------


def test_imap_command_has_its_tag_and_its_fetch_items() -> None:
    (line,) = shown(
        ImapTokenizer(), [("client", "A4 FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (TO BCC)])")]
    )
    assert line == [
        ("A4", "syntaxe", "étiquette"),
        ("FETCH", "commandes", "FETCH"),
        ("FLAGS", "données", "FLAGS"),
        ("BODY.PEEK[HEADER.FIELDS (TO BCC)]", "données", "BODY.PEEK[HEADER.FIELDS]"),
    ]


def test_imap_status_response_text_is_free_but_its_code_is_not() -> None:
    (line,) = texts(ImapTokenizer(), [("server", "* OK [UIDNEXT 2] Predicted next UID.")])
    assert line == ["*", "OK", "UIDNEXT"]


def test_imap_capabilities_in_a_response_code_are_tokens() -> None:
    (line,) = shown(
        ImapTokenizer(), [("server", "* OK [CAPABILITY IMAP4rev1 APPENDLIMIT=10] ready")]
    )
    assert line[3:] == [
        ("IMAP4rev1", "capacités", "IMAP4REV1"),
        ("APPENDLIMIT=10", "capacités", "APPENDLIMIT=10"),
    ]


def test_imap_untagged_data_names_the_response_after_the_number() -> None:
    (line,) = texts(ImapTokenizer(), [("server", "* 3 EXISTS")])
    assert line == ["*", "EXISTS"]


def test_imap_literal_content_is_free_text_counted_in_octets() -> None:
    lines: list[Line] = [
        ("server", "* 1 FETCH (BODY[] {14}"),
        ("server", "Subject: OK"),
        ("server", ")"),
        ("server", "A1 OK FETCH completed."),
    ]
    assert texts(ImapTokenizer(), lines) == [["*", "FETCH", "BODY[]", "{14}"], [], [], ["A1", "OK"]]


def test_imap_literal_of_unknown_size_ends_at_the_closing_parenthesis() -> None:
    lines: list[Line] = [
        ("server", "* 1 FETCH (BODY[] {<taille>}"),
        ("server", "* BYE ceci est le message"),
        ("server", ")"),
        ("server", "A1 OK Fetch completed."),
    ]
    assert texts(ImapTokenizer(), lines) == [
        ["*", "FETCH", "BODY[]", "{<taille>}"],
        [],
        [],
        ["A1", "OK"],
    ]


def test_imap_quoted_strings_and_mailbox_names_are_not_keywords() -> None:
    (line,) = texts(ImapTokenizer(), [("client", 'A2 LOGIN bob@example.org "NIL-SECRET"')])
    assert line == ["A2", "LOGIN"]


def test_imap_flags_are_tokens() -> None:
    (line,) = shown(ImapTokenizer(), [("client", "A3 STORE 1 +FLAGS (\\Seen)")])
    assert line[2:] == [("+FLAGS", "données", "+FLAGS"), ("\\Seen", "drapeaux", "\\SEEN")]


# --- DNS and the lab's own lines --------------------------------------------------------------


def test_dns_question_names_class_and_type() -> None:
    (line,) = shown(DnsTokenizer(), [("client", "_dmarc.example.com. IN TXT ?")])
    assert [kind for _, kind, _ in line] == ["noms", "classes", "types", "syntaxe"]


def test_dns_record_names_ttl_class_type_and_the_txt_record_kind() -> None:
    (line,) = texts(
        DnsTokenizer(), [("server", 'example.com. 3600 IN TXT "v=spf1 ip4:192.0.2.10 -all"')]
    )
    assert line == ["3600", "IN", "TXT", "v=spf1", "ip4", "-all"]


def test_dns_empty_answer_status_is_a_token() -> None:
    (line,) = texts(DnsTokenizer(), [("server", "NOERROR, aucun enregistrement MX (NODATA)")])
    assert line == ["NOERROR", "MX", "NODATA"]


def _from_text(text: str) -> list[list[str]]:
    transcript = Transcript.from_text(text)
    return [
        [event.text[t.start : t.end] for t in tokens]
        for event, tokens in zip(transcript.events, transcript_tokens(transcript), strict=True)
    ]


def test_approved_text_tells_the_protocol_by_the_service_it_names() -> None:
    text = (
        "[1] ** ouverture\u00a0: «\u00a0client\u00a0» → pop.example.org:995 (pop3s)\n"
        "[1] ** TLS établi\u00a0: TLSv1.3, TLS_AES_256_GCM_SHA384\n"
        "[1] S: +OK ready\n"
    )
    assert _from_text(text) == [["pop3s"], ["TLSv1.3", "TLS_AES_256_GCM_SHA384"], ["+OK"]]


def test_a_recorded_transcript_tells_the_protocol_by_its_connection() -> None:
    recorder = Recorder()
    number = recorder.open("submission", "client", "smtp.example.com", 587)
    recorder.line(number, "server", b"220 smtp.example.com ESMTP")
    transcript = recorder.snapshot()
    assert [len(tokens) for tokens in transcript_tokens(transcript)] == [1, 1]


@pytest.mark.parametrize(
    ("greeting", "first"), [("220 x ESMTP", "220"), ("+OK x", "+OK"), ("* OK x", "*")]
)
def test_an_unknown_service_is_told_by_its_greeting(greeting: str, first: str) -> None:
    opening = "[1] ** ouverture\u00a0: «\u00a0client\u00a0» → ailleurs.test:2525 (inconnu)\n"
    assert _from_text(f"{opening}[1] S: {greeting}\n")[1][0] == first
