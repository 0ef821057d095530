"""DNS tokens in the lab's notation of a lookup: the question (``example.org. IN MX ?``), each
record of the answer in zone-file form, and the status of an empty answer (RFC 1035, RFC 2308).

Inside TXT records, the tags that make them SPF, DKIM or DMARC records are tokens too.
"""

from __future__ import annotations

import re

from labo.render.annotations.tokens import Side, Token, token

PROTOCOL = "dns"
_QUESTION = re.compile(r"^(\S+) ([A-Z]+) ([A-Z0-9]+) (\?)$")
_RECORD = re.compile(r"^(\S+) (\d+) ([A-Z]+) ([A-Z0-9]+)(?: (.*))?$")
_STATUS = re.compile(r"\b(NXDOMAIN|NOERROR|NODATA|SERVFAIL|REFUSED|FORMERR|NOTIMP|TC)\b")
_NODATA_TYPE = re.compile(r"aucun enregistrement ([A-Z0-9]+)")
#: Labels with a meaning of their own in a name: reverse lookups, DKIM keys, DMARC policies.
_SPECIAL_LABEL = re.compile(r"(?:^|\.)(in-addr\.arpa|ip6\.arpa|_domainkey|_dmarc)(?=\.)")
#: ``v=spf1``, ``v=DKIM1``, ``v=DMARC1``: the tag that says which kind of TXT record it is.
_SHORT_VALUE = 12
_NUMBER = re.compile(r"\d+")
_VERSION = re.compile(r"\bv=([A-Za-z0-9]+)")
_TAG = re.compile(r"(?:^|[\s;\"])([a-z]+)=([^;\s\"]*)")
_SPF_TERM = re.compile(
    r"(?:^|\s|\")([+\-~?]?)(all|ip4|ip6|a|mx|include|exists|redirect)(?=[:=\s\"/]|$)"
)


class DnsTokenizer:
    protocol = PROTOCOL

    def feed(self, side: Side, text: str) -> list[Token]:
        question = _QUESTION.match(text)
        if side == "client" and question:
            return [
                *_labels(question[1]),
                token(question.start(2), question[2], PROTOCOL, "classes"),
                token(question.start(3), question[3], PROTOCOL, "types"),
                token(question.start(4), "?", PROTOCOL, "syntaxe"),
            ]
        record = _RECORD.match(text)
        if side == "server" and record:
            return [
                *_labels(record[1]),
                token(record.start(2), record[2], PROTOCOL, "champs", "TTL"),
                token(record.start(3), record[3], PROTOCOL, "classes"),
                token(record.start(4), record[4], PROTOCOL, "types"),
                *_data(record[4], text, record.start(5) if record[5] else len(text)),
            ]
        tokens = [
            token(match.start(), match[0], PROTOCOL, "réponses") for match in _STATUS.finditer(text)
        ]
        nodata = _NODATA_TYPE.search(text)
        if nodata:
            tokens.append(token(nodata.start(1), nodata[1], PROTOCOL, "types"))
        return sorted(tokens, key=lambda found: found.start)


def _labels(name: str) -> list[Token]:
    return [
        token(match.start(1), match[1], PROTOCOL, "noms", match[1].lower())
        for match in _SPECIAL_LABEL.finditer(name)
    ]


def _data(rdtype: str, text: str, offset: int) -> list[Token]:
    """The parts of a record's data that are protocol: MX preference, TXT record tags."""
    if rdtype == "MX":
        preference = _NUMBER.match(text, offset)
        if not preference:
            return []
        return [token(offset, preference[0], PROTOCOL, "champs", "préférence MX")]
    if rdtype != "TXT":
        return []
    version = _VERSION.search(text, offset)
    if not version:
        return []
    kind = version[1].lower()
    tokens = [token(version.start(), version[0], PROTOCOL, "enregistrements", f"v={kind}")]
    if kind == "spf1":
        for match in _SPF_TERM.finditer(text, version.end()):
            word = match[1] + match[2]
            keys = (f"spf {word}", f"spf {match[2]}")
            tokens.append(token(match.start(1), word, PROTOCOL, "enregistrements", *keys))
    else:
        for match in _TAG.finditer(text, version.end()):
            name, value = match[1], match[2]
            # A short value is a keyword (p=reject) and shown with its tag; a key is not.
            shown = f"{name}={value}" if len(value) <= _SHORT_VALUE else f"{name}="
            keys = (f"{kind} {name}={value}", f"{kind} {name}=")
            tokens.append(token(match.start(1), shown, PROTOCOL, "enregistrements", *keys))
    return tokens
