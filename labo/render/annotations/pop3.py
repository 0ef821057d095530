"""POP3 tokens: commands, ``+OK``/``-ERR`` and their response codes, the ``CAPA`` list and the
``.`` that ends a multi-line answer (RFC 1939, RFC 2449, RFC 2595, RFC 5034).

Answers are matched to commands in order, as in ``labo.render.bodies.Pop3Bodies``: the lines of
a ``RETR``/``TOP`` answer are the message, free text; those of ``LIST``/``UIDL`` are numbers.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Literal

from labo.render.annotations.tokens import Side, Token, token

PROTOCOL = "pop3"
_WORD = re.compile(r"\S+")
_STATUS = re.compile(r"^(\+OK|-ERR|\+)(?= |$)(?: \[([^\]]+)\])?")

Answer = Literal["single", "capa", "list", "body"]


def _answer(command: str) -> Answer:
    words = command.split()
    verb = words[0].upper() if words else ""
    if verb == "CAPA":
        return "capa"
    if verb in ("RETR", "TOP"):
        return "body"
    if verb in ("LIST", "UIDL") and len(words) == 1:
        return "list"
    if verb == "AUTH" and len(words) == 1:
        return "list"
    return "single"


class Pop3Tokenizer:
    protocol = PROTOCOL

    def __init__(self) -> None:
        self._expected: deque[Answer] = deque()
        self._answer: Answer | None = None  # the multi-line answer being read
        self._sasl_reply_due = False

    def feed(self, side: Side, text: str) -> list[Token]:
        return self._client(text) if side == "client" else self._server(text)

    def _client(self, text: str) -> list[Token]:
        if self._sasl_reply_due:
            self._sasl_reply_due = False
            return []
        self._expected.append(_answer(text))
        words = [(match.start(), match[0]) for match in _WORD.finditer(text)]
        if not words:
            return []
        tokens = [token(words[0][0], words[0][1], PROTOCOL, "commandes")]
        if words[0][1].upper() == "AUTH" and len(words) > 1:
            tokens.append(token(words[1][0], words[1][1], "sasl", "mécanismes"))
        return tokens

    def _server(self, text: str) -> list[Token]:
        if self._answer is not None:
            if text == ".":
                self._answer = None
                return [token(0, ".", PROTOCOL, "syntaxe")]
            return _capability(text) if self._answer == "capa" else []
        match = _STATUS.match(text)
        if not match:
            return []
        status = match[1]
        if status == "+":
            self._sasl_reply_due = True
            return [token(0, "+", PROTOCOL, "syntaxe")]
        tokens = [token(0, status, PROTOCOL, "réponses")]
        if match[2]:
            tokens.append(token(match.start(2), match[2], PROTOCOL, "codes"))
        if self._expected:  # nothing is expected before the greeting
            answer = self._expected.popleft()
            if answer != "single" and status == "+OK":
                self._answer = answer
        return tokens


def _capability(text: str) -> list[Token]:
    """One line of the ``CAPA`` answer: its name, then the SASL mechanisms after ``SASL``."""
    words = [(match.start(), match[0]) for match in _WORD.finditer(text)]
    if not words:
        return []
    tokens = [token(words[0][0], words[0][1], PROTOCOL, "capacités")]
    if words[0][1].upper() == "SASL":
        tokens.extend(token(start, word, "sasl", "mécanismes") for start, word in words[1:])
    return tokens
