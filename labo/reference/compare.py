"""The comparison of a lab transcript with a reference one, at the level a reader cares about.

Not a line diff (every greeting and header differs in wording): for each connection, found on
both sides by its opening line, which commands got a different reply code, which capabilities
(EHLO, CAPABILITY, CAPA) only one side announces, and which commands or connections only one
side has. Each difference is one French line, its *key*, which a declaration names exactly.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from labo.wire.transcript import Transcript

_SMTP_REPLY = re.compile(r"^(\d{3})([ -])(.*)$")
_IMAP_TAGGED = re.compile(r"^(\S+) (OK|NO|BAD)\b", re.IGNORECASE)
_IMAP_CAPABILITIES = re.compile(r"(?:^\* CAPABILITY |\[CAPABILITY )([^\]]*)", re.IGNORECASE)
#: A client line ending in ``{n}`` or ``{n+}`` (RFC 9051 §4.3): the next n octets are data.
_IMAP_LITERAL = re.compile(r"\{(\d+)\+?\}$")


#: How the comparison names the lone "." that ends an SMTP message (it gets its own reply).
END_OF_DATA = "«\u00a0.\u00a0» (fin du message)"


@dataclass(frozen=True)
class Difference:
    """One difference: its key (what a declaration names) and the two lines behind it."""

    key: str
    lab: str = ""
    reference: str = ""


@dataclass
class _Exchange:
    command: str  # the verb, upper-cased: EHLO, RCPT, FETCH…
    reply: str  # the reply code: 250, OK, -ERR… ("" when none came)
    client_line: str
    server_line: str = ""


@dataclass
class _Connection:
    title: str  # "« ordinateur d'Alice » → smtp.example.com:587 (submission)"
    protocol: str
    exchanges: list[_Exchange] = field(default_factory=list)
    capabilities: set[str] = field(default_factory=set)


def compare(lab_text: str, reference_text: str) -> list[Difference]:
    """Every difference between the two transcripts, in a stable order."""
    lab_connections, lab_dns = _connections(lab_text)
    reference_connections, reference_dns = _connections(reference_text)
    differences: list[Difference] = []
    if lab_dns != reference_dns:
        differences.append(
            Difference(
                f"requêtes DNS\u00a0: {lab_dns} côté labo, {reference_dns} côté référence",
                f"{lab_dns} requête(s) DNS",
                f"{reference_dns} requête(s) DNS",
            )
        )
    lab_keys, reference_keys = _keyed(lab_connections), _keyed(reference_connections)
    for key, connection in lab_keys.items():
        if key not in reference_keys:
            differences.append(
                Difference(f"connexion seulement côté labo\u00a0: {connection.title}", key)
            )
    for key, connection in reference_keys.items():
        if key not in lab_keys:
            differences.append(
                Difference(f"connexion seulement côté référence\u00a0: {connection.title}", "", key)
            )
    for key, lab in lab_keys.items():
        reference = reference_keys.get(key)
        if reference is not None:
            differences += _compare_connection(lab, reference)
    differences += _compare_capabilities(lab_keys, reference_keys)
    unique: dict[str, Difference] = {}
    for difference in differences:
        unique.setdefault(difference.key, difference)
    return list(unique.values())


def _compare_connection(lab: _Connection, reference: _Connection) -> list[Difference]:
    where = lab.title
    found: list[Difference] = []
    left = [e.command for e in lab.exchanges]
    right = [e.command for e in reference.exchanges]
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(lab.exchanges[i1:i2], reference.exchanges[j1:j2], strict=True):
                if a.reply != b.reply:
                    found.append(
                        Difference(
                            f"réponse à {a.command} ({where})\u00a0: labo {a.reply or '—'}, "
                            f"référence {b.reply or '—'}",
                            a.server_line,
                            b.server_line,
                        )
                    )
            continue
        for exchange in lab.exchanges[i1:i2]:
            found.append(
                Difference(
                    f"commande {exchange.command} seulement côté labo ({where})",
                    exchange.client_line,
                )
            )
        for exchange in reference.exchanges[j1:j2]:
            found.append(
                Difference(
                    f"commande {exchange.command} seulement côté référence ({where})",
                    "",
                    exchange.client_line,
                )
            )
    return found


def _compare_capabilities(
    lab: dict[str, _Connection], reference: dict[str, _Connection]
) -> list[Difference]:
    """Per service (``submission``, ``imaps``…), the capabilities only one side announced."""
    found = []
    for service in sorted({_service(c.title) for c in lab.values()}):
        mine = {n for c in lab.values() if _service(c.title) == service for n in c.capabilities}
        theirs = {
            n for c in reference.values() if _service(c.title) == service for n in c.capabilities
        }
        if mine - theirs:
            names = " ".join(sorted(mine - theirs))
            found.append(
                Difference(f"capacités ({service}) seulement côté labo\u00a0: {names}", names)
            )
        if theirs - mine:
            names = " ".join(sorted(theirs - mine))
            found.append(
                Difference(
                    f"capacités ({service}) seulement côté référence\u00a0: {names}", "", names
                )
            )
    return found


def _service(title: str) -> str:
    return title.rpartition("(")[2].rstrip(")")


def _keyed(connections: list[_Connection]) -> dict[str, _Connection]:
    """Connections by title, numbered when one title opens several times."""
    seen: Counter[str] = Counter()
    keyed: dict[str, _Connection] = {}
    for connection in connections:
        seen[connection.title] += 1
        count = seen[connection.title]
        keyed[connection.title if count == 1 else f"{connection.title} #{count}"] = connection
    return keyed


def _connections(text: str) -> tuple[list[_Connection], int]:
    """The mail connections of a transcript, and how many DNS lookups it has."""
    transcript = Transcript.from_text(text)
    connections: dict[int, _Connection] = {}
    readers: dict[int, _Reader] = {}
    dns = 0
    for event in transcript.events:
        if event.kind == "open":
            if event.text.startswith("requête DNS"):
                dns += 1
                continue
            title = event.text.partition("\u00a0: ")[2]
            protocol = _protocol(title)
            connections[event.connection] = _Connection(title, protocol)
            readers[event.connection] = _Reader(connections[event.connection])
        elif event.connection in readers and event.kind in ("client", "server"):
            readers[event.connection].line(event.kind, event.text)
    return list(connections.values()), dns


def _protocol(title: str) -> str:
    service = _service(title)
    if service.startswith("pop3"):
        return "pop3"
    if service.startswith("imap"):
        return "imap"
    return "smtp"


class _Reader:
    """Follows one connection's lines: commands, their replies, announced capabilities."""

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection
        self._pending: list[_Exchange] = []  # commands awaiting a reply, in order
        self._in_data = False
        self._after_ehlo = False
        self._in_capa = False
        self._imap_tags: dict[str, _Exchange] = {}
        self._literal = 0  # octets of client literal data still to come
        self._continued = False  # the next client line goes on with a command, after a literal

    def line(self, kind: str, text: str) -> None:
        protocol = self.connection.protocol
        if kind == "client":
            self._client(protocol, text)
        else:
            self._server(protocol, text)

    def _client(self, protocol: str, text: str) -> None:
        if protocol == "imap" and self._literal_data(text):
            return
        if protocol == "smtp":
            if self._in_data:
                self._in_data = text != "."
                if not self._in_data:  # the message's end gets a reply of its own
                    exchange = _Exchange(END_OF_DATA, "", text)
                    self._pending.append(exchange)
                    self.connection.exchanges.append(exchange)
                return
            pending = self._pending[-1] if self._pending else None
            if pending is not None and pending.command == "AUTH" and not pending.reply:
                return  # a SASL response
        words = text.split()
        if not words:
            return
        if protocol == "imap":
            if len(words) < 2 or words[0] in ("DONE",):
                return
            exchange = _Exchange(words[1].upper(), "", text)
            self._imap_tags[words[0]] = exchange
            self._literal = _literal_size(text)
        else:
            exchange = _Exchange(words[0].upper(), "", text)
            self._pending.append(exchange)
        self.connection.exchanges.append(exchange)

    def _literal_data(self, text: str) -> bool:
        """Whether ``text`` is literal data or the rest of a command after it, not a command.

        A transcript line is what came before a CRLF: it stands for its octets plus two. Data
        that ends inside a line leaves the rest of that line to the command it belongs to.
        """
        if self._literal:
            octets = text.encode("utf-8")
            if len(octets) + 2 <= self._literal:
                self._literal -= len(octets) + 2
                self._continued = self._literal == 0
                return True
            rest = octets[self._literal :].decode("utf-8", errors="replace")
            self._literal = _literal_size(rest)
            return True
        if self._continued:
            self._continued = False
            self._literal = _literal_size(text)
            return True
        return False

    def _server(self, protocol: str, text: str) -> None:
        if protocol == "smtp":
            self._smtp_reply(text)
        elif protocol == "imap":
            for found in _IMAP_CAPABILITIES.finditer(text):
                self.connection.capabilities.update(found[1].upper().split())
            tagged = _IMAP_TAGGED.match(text)
            if tagged and tagged[1] in self._imap_tags:
                exchange = self._imap_tags.pop(tagged[1])
                exchange.reply, exchange.server_line = tagged[2].upper(), text
        else:
            self._pop3_reply(text)

    def _smtp_reply(self, text: str) -> None:
        reply = _SMTP_REPLY.match(text)
        if reply is None:
            return
        waiting = [e for e in self._pending if not e.reply]
        current = waiting[0] if waiting else None
        if current is not None and current.command in ("EHLO", "HELO"):
            if self._after_ehlo and reply[3]:
                self.connection.capabilities.add(reply[3].split()[0].upper())
            self._after_ehlo = True
        if reply[2] == "-":
            return
        self._after_ehlo = False
        if current is not None:
            current.reply, current.server_line = reply[1], text
            self._in_data = current.command == "DATA" and reply[1] == "354"

    def _pop3_reply(self, text: str) -> None:
        waiting = [e for e in self._pending if not e.reply]
        current = waiting[0] if waiting else None
        if text.startswith(("+OK", "-ERR")) and current is not None and not self._in_capa:
            current.reply, current.server_line = text.split()[0], text
            self._in_capa = current.command == "CAPA" and current.reply == "+OK"
            return
        if self._in_capa:
            if text == ".":
                self._in_capa = False
            elif text:
                self.connection.capabilities.add(text.split()[0].upper())


def _literal_size(line: str) -> int:
    found = _IMAP_LITERAL.search(line)
    return int(found[1]) if found else 0
