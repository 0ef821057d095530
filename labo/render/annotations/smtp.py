"""SMTP tokens: command verbs and their parameters, reply codes, enhanced status codes and the
extensions listed in the reply to ``EHLO`` (RFC 5321, RFC 3463, RFC 1869's successors).

Message content between ``DATA``'s ``354`` and the lone ``.`` is free text: never tokenized.
"""

from __future__ import annotations

import re

from labo.render.annotations.tokens import Side, Token, token

PROTOCOL = "smtp"
_REPLY = re.compile(r"^(\d{3})([ -]|$)(?:(\d\.\d{1,3}\.\d{1,3})(?= |$))?")
_WORD = re.compile(r"\S+")
#: ``MAIL FROM:`` and ``RCPT TO:`` are read as one command, colon included (RFC 5321 §4.1.1.2).
_PATH_COMMAND = re.compile(r"^(MAIL FROM:|RCPT TO:) ?(?:<[^>]*>|\S*)", re.IGNORECASE)


class SmtpTokenizer:
    """Follows one SMTP connection line by line, as ``labo.render.bodies.SmtpBodies`` does."""

    protocol = PROTOCOL

    def __init__(self) -> None:
        self._data_sent = False
        self._in_body = False
        self._ehlo_sent = False
        self._in_ehlo_reply = False
        self._sasl_reply_due = False

    def feed(self, side: Side, text: str) -> list[Token]:
        return self._client(text) if side == "client" else self._server(text)

    def _client(self, text: str) -> list[Token]:
        if self._in_body:
            if text == ".":
                self._in_body = False
                return [token(0, ".", PROTOCOL, "syntaxe")]
            return []
        if self._sasl_reply_due:  # an answer to a 334 challenge: SASL data, not a command
            self._sasl_reply_due = False
            return []
        words = [(match.start(), match[0]) for match in _WORD.finditer(text)]
        if not words:
            return []
        verb = words[0][1].upper()
        self._data_sent = verb == "DATA"
        self._ehlo_sent = verb in ("EHLO", "HELO")
        path = _PATH_COMMAND.match(text)
        if path:
            tokens = [token(0, path[1], PROTOCOL, "commandes", verb)]
            rest = [(start, word) for start, word in words if start >= path.end()]
            return tokens + [_parameter(start, word) for start, word in rest]
        tokens = [token(words[0][0], words[0][1], PROTOCOL, "commandes")]
        if verb == "AUTH" and len(words) > 1:
            tokens.append(token(words[1][0], words[1][1], "sasl", "mécanismes"))
        return tokens

    def _server(self, text: str) -> list[Token]:
        match = _REPLY.match(text)
        if not match:
            return []
        code, separator, enhanced = match[1], match[2], match[3]
        tokens = [token(0, code, PROTOCOL, "réponses")]
        if enhanced:
            tokens.append(token(match.start(3), enhanced, PROTOCOL, "codes étendus"))
        if self._data_sent and code == "354":
            self._data_sent = False
            self._in_body = True
        if code == "334":
            self._sasl_reply_due = True
        if self._in_ehlo_reply:
            tokens.extend(_extension(text, match.end()))
        elif self._ehlo_sent and code == "250" and separator == "-":
            self._in_ehlo_reply = True  # the first line names the server: no keyword in it
        if separator != "-":
            self._in_ehlo_reply = False
            self._ehlo_sent = False
        return tokens


def _parameter(start: int, word: str) -> Token:
    """``SIZE=155``, ``BODY=8BITMIME``, ``ORCPT=rfc822;…``: explained by name, or name=value."""
    name, _, value = word.partition("=")
    keys = (f"{name}={value}".upper(), name.upper()) if value else (name.upper(),)
    return token(start, word, PROTOCOL, "paramètres", *keys)


def _extension(text: str, offset: int) -> list[Token]:
    """One line of the EHLO reply: its keyword, then SASL mechanisms after ``AUTH``."""
    words = [(match.start(), match[0]) for match in _WORD.finditer(text, offset)]
    if not words:
        return []
    keyword = words[0][1].upper()
    tokens = [token(words[0][0], words[0][1], PROTOCOL, "extensions")]
    if keyword == "AUTH":
        tokens.extend(token(start, word, "sasl", "mécanismes") for start, word in words[1:])
    return tokens
