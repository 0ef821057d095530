"""IMAP tokens: tags, commands, status and untagged responses, response codes in brackets,
capabilities, flags, ``FETCH`` data items and literals (RFC 9051, RFC 3501 and extensions).

The human-readable text after a status response is free text, and so are literals (a message,
its headers): only the protocol around them is tokenized.
"""

from __future__ import annotations

import re

from labo.render.annotations.tokens import Side, Token, token

PROTOCOL = "imap"
_WORD = re.compile(r"\S+")
_STATUS = frozenset({"OK", "NO", "BAD", "BYE", "PREAUTH"})
#: A literal announced at the end of a line: ``{342}``, ``{342+}``, ``~{342}`` and, in the
#: reference transcripts where sizes are replaced, ``{<taille>}``.
_LITERAL = re.compile(r"~?\{(\d+|<[^>]+>)\+?\}$")
#: What the rest of a line may hold, tried in this order at each position.
_ITEM = re.compile(
    r'(?P<quoted>"(?:[^"\\]|\\.)*")'
    r"|(?P<section>(?:BODY|BINARY)(?:\.PEEK)?\[(?P<part>[^\]]*)\](?:<[\d.]+>)?)"
    r"|(?P<literal>~?\{(?:\d+|<[^>]+>)\+?\}$)"
    r"|(?P<flag>\\(?:[A-Za-z]+|\*))"
    r"|(?P<atom>[+-]?[A-Za-z][A-Za-z0-9.\-=+]*)",
    re.IGNORECASE,
)


def _section_key(match: re.Match[str]) -> str:
    """``BODY.PEEK[HEADER.FIELDS (TO)]`` is explained as ``BODY.PEEK[HEADER.FIELDS]``, and
    ``BODY[2]`` or ``BODY[1.2.MIME]`` as ``BODY[n]`` and ``BODY[n.MIME]``."""
    name = match["section"][: match["section"].index("[")].upper()
    part = match["part"].split("(")[0].strip().upper()
    segments = part.split(".") if part else []
    numbered = 0
    while numbered < len(segments) and segments[numbered].isdigit():
        numbered += 1
    if numbered:
        part = ".".join(["n", *segments[numbered:]])
    return f"{name}[{part}]"


def scan(text: str, offset: int) -> list[Token]:
    """Tokens of ``text`` from ``offset`` on: every upper-case atom, flag, section and literal.

    Upper-case atoms are keywords in IMAP (``NIL``, ``INBOX``, ``BODYSTRUCTURE``); mailbox names
    and strings that happen to be atoms are mixed case or quoted in the lab and in Dovecot.
    """
    tokens: list[Token] = []
    for match in _ITEM.finditer(text, offset):
        if match["section"]:
            section = match["section"]
            tokens.append(token(match.start(), section, PROTOCOL, "données", _section_key(match)))
        elif match["literal"]:
            tokens.append(token(match.start(), match["literal"], PROTOCOL, "syntaxe", "{n}"))
        elif match["flag"]:
            tokens.append(token(match.start(), match["flag"], PROTOCOL, "drapeaux"))
        elif match["atom"]:
            atom = match["atom"]
            letters = atom.lstrip("+-")
            if len(letters) > 1 and letters == letters.upper() and not letters.isdigit():
                tokens.append(token(match.start(), atom, PROTOCOL, "données"))
    return tokens


def _capabilities(text: str, start: int, end: int) -> list[Token]:
    """Capability names; ``APPENDLIMIT=10485760`` is explained by its name if not in full."""
    tokens = []
    for match in _WORD.finditer(text[:end], start):
        name, equals, _ = match[0].partition("=")
        keys = (match[0].upper(), name.upper()) if equals else (match[0].upper(),)
        tokens.append(token(match.start(), match[0], PROTOCOL, "capacités", *keys))
    return tokens


class ImapTokenizer:
    protocol = PROTOCOL

    def __init__(self) -> None:
        self._literal: dict[Side, int | None] = {"client": 0, "server": 0}  # None: size unknown
        self._idling = False
        self._authenticating = False
        self._continuation_due = False

    def feed(self, side: Side, text: str) -> list[Token]:
        if self._inside_literal(side, text):
            return []
        tokens = self._client(text) if side == "client" else self._server(text)
        literal = _LITERAL.search(text)
        if literal:
            self._literal[side] = int(literal[1]) if literal[1].isdigit() else None
        return tokens

    def _inside_literal(self, side: Side, text: str) -> bool:
        """True for a line of a literal's content; its end is counted in octets when known."""
        left = self._literal[side]
        if left is None:  # reference transcripts: the literal runs up to the line ")"
            if text == ")":
                self._literal[side] = 0
            return True
        if left == 0:
            return False
        self._literal[side] = max(0, left - len(text.encode("utf-8")) - 2)
        return True

    def _client(self, text: str) -> list[Token]:
        words = [(match.start(), match[0]) for match in _WORD.finditer(text)]
        if self._continuation_due:  # an answer to a "+" challenge (AUTHENTICATE): SASL data
            self._continuation_due = False
            return []
        if self._idling and text.upper() == "DONE":
            self._idling = False
            return [token(0, text, PROTOCOL, "commandes")]
        if len(words) < 2:
            return []
        tokens = [token(0, words[0][1], PROTOCOL, "syntaxe", "étiquette")]
        position = 1
        if words[1][1].upper() == "UID" and len(words) > 2:
            tokens.append(token(words[1][0], words[1][1], PROTOCOL, "commandes"))
            position = 2
        start, command = words[position]
        tokens.append(token(start, command, PROTOCOL, "commandes"))
        verb = command.upper()
        self._idling = verb == "IDLE"
        self._authenticating = verb == "AUTHENTICATE"
        if verb == "AUTHENTICATE":
            if len(words) > position + 1:
                mechanism_start, mechanism = words[position + 1]
                tokens.append(token(mechanism_start, mechanism, "sasl", "mécanismes"))
            return tokens
        return tokens + scan(text, start + len(command))

    def _server(self, text: str) -> list[Token]:
        words = [(match.start(), match[0]) for match in _WORD.finditer(text)]
        if not words:
            return []
        first = words[0][1]
        if text[0].isspace() or first.startswith(")"):  # the rest of a response after a literal
            return scan(text, 0)
        if first == "+":
            self._continuation_due = self._authenticating
            return [token(0, "+", PROTOCOL, "syntaxe")]
        if len(words) < 2:
            return []
        if first == "*":
            tokens = [token(0, "*", PROTOCOL, "syntaxe")]
        else:
            tokens = [token(0, first, PROTOCOL, "syntaxe", "étiquette")]
        start, word = words[1]
        if word.upper() in _STATUS:
            tokens.append(token(start, word, PROTOCOL, "réponses"))
            return tokens + _response_code(text, start + len(word))
        if word.isdigit() and len(words) > 2:  # "* 3 EXISTS", "* 1 FETCH (…)"
            start, word = words[2]
        tokens.append(token(start, word, PROTOCOL, "réponses"))
        if word.upper() == "CAPABILITY":
            return tokens + _capabilities(text, start + len(word), len(text))
        return tokens + scan(text, start + len(word))


_CODE = re.compile(r" \[([A-Za-z0-9.\-]+)([^\]]*)\]")


def _response_code(text: str, offset: int) -> list[Token]:
    """``[CODE …]`` right after a status: the code, then capabilities or flags inside it."""
    match = _CODE.match(text, offset)
    if not match:
        return []
    tokens = [token(match.start(1), match[1], PROTOCOL, "codes")]
    if match[1].upper() == "CAPABILITY":
        return tokens + _capabilities(text, match.end(1), match.end(2))
    return tokens + [
        found for found in scan(text[: match.end(2)], match.end(1)) if found.kind == "drapeaux"
    ]
