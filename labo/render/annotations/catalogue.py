"""The explanations, read from ``data/annotations/<protocole>.yml``: one place for every token.

Each file maps a kind of token (``commandes``, ``réponses``…) to its tokens, and each token to
one French sentence (``explication``) and the norm that defines it (``source``: ``RFC 5321
§4.1.1.1``, or any name with a ``lien``). The same entries can feed the glossary and the
abbreviations: an entry may carry the expansion of an acronym (``sigle``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import yaml

from labo.render.annotations.tokens import Token

DIRECTORY = Path(__file__).resolve().parents[3] / "data" / "annotations"
_RFC = re.compile(r"^RFC (\d+)(?: §([0-9A-Z][0-9.]*))?$")
_FIELDS = frozenset({"explication", "source", "lien", "sigle"})


class CatalogueError(ValueError):
    """A data file that cannot be used; the message (French) names the file and the entry."""


@dataclass(frozen=True)
class Entry:
    """What one token means."""

    protocol: str
    kind: str
    key: str
    explanation: str  # one French sentence; `backquoted` words are code
    source: str  # « RFC 5321 §4.1.1.1 », or the name of another document
    url: str
    acronym: str | None = None

    @property
    def rfc(self) -> int | None:
        match = _RFC.match(self.source)
        return int(match[1]) if match else None

    @property
    def tip(self) -> str:
        """The plain text of the tooltip: the acronym's expansion, the sentence, its source."""
        expansion = f"{self.acronym}\u00a0: " if self.acronym else ""
        return f"{expansion}{self.explanation.replace('`', '')} — {self.source}"

    @property
    def file(self) -> str:
        return f"data/annotations/{self.protocol}.yml"


def rfc_url(source: str) -> str | None:
    """``RFC 8446 §B.4`` → its address at the RFC Editor (appendices have their own anchors)."""
    match = _RFC.match(source)
    if not match:
        return None
    url = f"https://www.rfc-editor.org/rfc/rfc{match[1]}"
    section = match[2]
    if section:
        anchor = "appendix" if section[0].isalpha() else "section"
        url += f"#{anchor}-{section}"
    return url


def normalise(key: str) -> str:
    """Tokens are compared without regard to case: ``mail``, ``MAIL`` and ``Mail`` are one."""
    return key.casefold()


@dataclass(frozen=True)
class Catalogue:
    entries: dict[tuple[str, str, str], Entry]

    def explain(self, found: Token) -> Entry | None:
        """The entry for ``found``: its most precise key that the data files know."""
        for key in found.keys:
            entry = self.entries.get((found.protocol, found.kind, normalise(key)))
            if entry is not None:
                return entry
        return None

    @cached_property
    def _numbers(self) -> dict[Entry, int]:
        return {entry: number for number, entry in enumerate(self.entries.values(), 1)}

    def short_key(self, entry: Entry) -> str:
        """``e42``: a name for ``entry`` that is short enough to repeat on every token."""
        return f"e{self._numbers[entry]}"

    def by_key(self, key: str) -> list[Entry]:
        """Every entry, of any protocol or kind, for ``key`` (the glossary's view)."""
        wanted = normalise(key)
        return [entry for (_, _, k), entry in sorted(self.entries.items()) if k == wanted]


def read(directory: Path = DIRECTORY) -> Catalogue:
    """Read and check every data file; a malformed one raises ``CatalogueError``."""
    entries: dict[tuple[str, str, str], Entry] = {}
    for path in sorted(directory.glob("*.yml")):
        protocol = path.stem
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as problem:
            raise CatalogueError(f"{path.name}\u00a0: YAML illisible ({problem})") from problem
        if not isinstance(data, dict):
            raise CatalogueError(f"{path.name}\u00a0: une table de catégories est attendue")
        for kind, tokens in data.items():
            if not isinstance(tokens, dict):
                raise CatalogueError(f"{path.name}, {kind}\u00a0: une table de jetons est attendue")
            for key, fields in tokens.items():
                entry = _entry(path.name, protocol, str(kind), str(key), fields)
                entries[(protocol, entry.kind, normalise(entry.key))] = entry
    return Catalogue(entries)


def _entry(name: str, protocol: str, kind: str, key: str, fields: object) -> Entry:
    where = f"{name}, {kind}, {key}"
    if not isinstance(fields, dict) or not {"explication", "source"} <= fields.keys():
        raise CatalogueError(f"{where}\u00a0: il faut « explication » et « source »")
    unknown = set(fields) - _FIELDS
    if unknown:
        raise CatalogueError(f"{where}\u00a0: champ inconnu {', '.join(sorted(unknown))}")
    source = str(fields["source"])
    url = fields.get("lien") or rfc_url(source)
    if not url:
        raise CatalogueError(f"{where}\u00a0: une source autre qu’une RFC demande un « lien »")
    acronym = fields.get("sigle")
    return Entry(
        protocol,
        kind,
        key,
        str(fields["explication"]).strip(),
        source,
        str(url),
        str(acronym) if acronym else None,
    )


def catalogue() -> Catalogue:
    """The project's data files, read again only when one of them changed (``mkdocs serve``)."""
    stamp = tuple((path.name, path.stat().st_mtime_ns) for path in sorted(DIRECTORY.glob("*.yml")))
    return _read_once(stamp)


@cache
def _read_once(stamp: tuple[tuple[str, int], ...]) -> Catalogue:
    return read()
