"""MkDocs hook: MkDocs' own warnings (broken link, page missing from the nav) said in French.

MkDocs writes them in English, without a line, and only in the terminal. This hook listens to
its log and repeats each one in French with ``fichier:ligne`` and what to do; under ``mkdocs
serve`` it also shows them at the top of the page concerned, in an error box, since an author
looks at the page rather than at the terminal.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.labo.avertissements")
NB = "\u00a0"
_serving = False


@dataclass(frozen=True)
class Note:
    """A French warning: ``page`` is the ``docs/`` page it concerns (None: the configuration)."""

    page: str | None
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.location}{NB}: {self.text}"


def _q(text: str) -> str:
    return f"«{NB}{text}{NB}»"


def _line_of(path: Path, needle: str) -> int | None:
    """The first line of ``path`` that contains ``needle``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((number for number, line in enumerate(lines, 1) if needle in line), None)


@dataclass(frozen=True)
class _Context:
    docs_dir: Path
    config_file: Path

    def page(self, src_uri: str, needle: str | None = None) -> str:
        """``docs/page.md:12`` (the line that contains ``needle``), or ``docs/page.md``."""
        shown = f"{self.docs_dir.name}/{src_uri}"
        line = _line_of(self.docs_dir / src_uri, needle) if needle else None
        return f"{shown}:{line}" if line else shown

    def config(self, needle: str) -> str:
        line = _line_of(self.config_file, needle)
        return f"{self.config_file.name}:{line}" if line else self.config_file.name


_SUGGESTION = re.compile(r" Did you mean '(?P<suggestion>[^']*)'\?$")
_LINK_NOT_FOUND = re.compile(
    r"Doc file '(?P<page>[^']+)' contains a link '(?P<url>[^']+)', but the target"
    r"(?: '(?P<target>[^']+)')? is not found among documentation files\."
)
_ANCHOR = re.compile(
    r"Doc file '(?P<page>[^']+)' contains a link '(?P<url>[^']+)', but (?:the doc "
    r"'(?P<target>[^']+)' does not contain an anchor '(?P<anchor>#[^']*)'|there is no such "
    r"anchor on this page)\."
)
_UNRECOGNIZED = re.compile(
    r"Doc file '(?P<page>[^']+)' contains an unrecognized relative link '(?P<url>[^']+)'"
)
_ABSOLUTE = re.compile(r"Doc file '(?P<page>[^']+)' contains an absolute link '(?P<url>[^']+)'")
_OMITTED = re.compile(r"The following pages exist in the docs directory, but are not included")
_NAV_NOT_FOUND = re.compile(
    r"A reference to '(?P<target>[^']+)' is included in the 'nav' configuration, which is not "
    r"found in the documentation files\."
)


def _suggestion(message: str) -> str:
    found = _SUGGESTION.search(message)
    return f"{NB}; vouliez-vous écrire {_q(found['suggestion'])}{NB}?" if found else ""


def _link_not_found(match: re.Match[str], message: str, where: _Context) -> list[Note]:
    aimed = f" (il vise {_q(match['target'])})" if match["target"] else ""
    text = (
        f"le lien {_q(match['url'])} ne mène à aucun fichier de {where.docs_dir.name}/{aimed}"
        f"{_suggestion(message)}"
    )
    return [Note(match["page"], where.page(match["page"], match["url"]), text)]


def _anchor(match: re.Match[str], message: str, where: _Context) -> list[Note]:
    anchor = match["anchor"] or "#" + match["url"].partition("#")[2]
    on = f"dans {_q(match['target'])}" if match["target"] else "dans cette page"
    text = (
        f"le lien {_q(match['url'])} vise l’ancre {_q(anchor)}, qui n’existe pas {on}{NB}: "
        "vérifiez le titre visé (l’ancre en est tirée) ou son attribut { #ancre }"
    )
    return [Note(match["page"], where.page(match["page"], match["url"]), text)]


def _unrecognized(match: re.Match[str], message: str, where: _Context) -> list[Note]:
    text = (
        f"le lien {_q(match['url'])} ne désigne aucun fichier{NB}: un lien interne vise le "
        f"fichier Markdown, par exemple {_q('smtp.md')} ou {_q('smtp.md#section')}"
        f"{_suggestion(message)}"
    )
    return [Note(match["page"], where.page(match["page"], match["url"]), text)]


def _absolute(match: re.Match[str], message: str, where: _Context) -> list[Note]:
    text = (
        f"le lien {_q(match['url'])} est absolu{NB}: il casse quand le site est publié sous un "
        f"sous-dossier. Visez le fichier Markdown par un chemin relatif{_suggestion(message)}"
    )
    return [Note(match["page"], where.page(match["page"], match["url"]), text)]


def _omitted(match: re.Match[str], message: str, where: _Context) -> list[Note]:
    pages = [line.strip()[2:] for line in message.splitlines()[1:] if line.strip()]
    return [
        Note(
            page,
            where.page(page),
            f"cette page n’est pas dans la navigation{NB}: ajoutez-la à la section {_q('nav')} "
            f"de {where.config_file.name} (ou supprimez-la)",
        )
        for page in pages
    ]


def _nav_not_found(match: re.Match[str], message: str, where: _Context) -> list[Note]:
    text = (
        f"la navigation cite {_q(match['target'])}, qui n’existe pas dans "
        f"{where.docs_dir.name}/{NB}: corrigez le nom ou créez la page"
    )
    return [Note(None, where.config(match["target"]), text)]


_TRANSLATIONS: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str], str, _Context], list[Note]]], ...
] = (
    (_LINK_NOT_FOUND, _link_not_found),
    (_ANCHOR, _anchor),
    (_UNRECOGNIZED, _unrecognized),
    (_ABSOLUTE, _absolute),
    (_OMITTED, _omitted),
    (_NAV_NOT_FOUND, _nav_not_found),
)


def french(message: str, docs_dir: Path, config_file: Path) -> list[Note]:
    """The French notes for one MkDocs message, or none when it is not one of those above."""
    where = _Context(docs_dir, config_file)
    for pattern, translate in _TRANSLATIONS:
        match = pattern.search(message)
        if match:
            return translate(match, message, where)
    return []


class _Listener(logging.Handler):
    """Reads MkDocs' records; repeats the ones it knows in French and keeps them per page."""

    def __init__(self, docs_dir: Path, config_file: Path) -> None:
        super().__init__(logging.WARNING)
        self.docs_dir = docs_dir
        self.config_file = config_file
        self.notes: list[Note] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == log.name:
            return
        for note in french(record.getMessage(), self.docs_dir, self.config_file):
            self.notes.append(note)
            log.log(record.levelno, str(note))


def _listener() -> _Listener | None:
    for handler in logging.getLogger("mkdocs").handlers:
        if type(handler).__name__ == "_Listener":
            return handler  # type: ignore[return-value]
    return None


def on_startup(command: str, dirty: bool) -> None:
    global _serving
    _serving = command == "serve"


def on_config(config: Any) -> Any:
    # MkDocs reloads this module for every rebuild under serve: one listener at a time.
    previous = _listener()
    if previous is not None:
        logging.getLogger("mkdocs").removeHandler(previous)
    config_file = Path(config.config_file_path).resolve()
    listener = _Listener(Path(config.docs_dir).resolve(), config_file)
    logging.getLogger("mkdocs").addHandler(listener)
    return config


def on_post_build(config: Any) -> None:
    listener = _listener()
    if listener is None:
        return
    if _serving:
        by_page: dict[str, list[Note]] = {}
        for note in listener.notes:
            if note.page is not None:
                by_page.setdefault(note.page, []).append(note)
        for page, notes in by_page.items():
            _show(Path(config.site_dir), page, notes, getattr(config, "use_directory_urls", True))
    listener.notes.clear()


_ARTICLE = re.compile(r"<article\b[^>]*>|<body\b[^>]*>")


def _output(site_dir: Path, page: str, directory_urls: bool) -> Path:
    stem = page.removesuffix(".md")
    if not directory_urls or stem == "index" or stem.endswith("/index"):
        return site_dir / f"{stem}.html"
    return site_dir / stem / "index.html"


def _show(site_dir: Path, page: str, notes: list[Note], directory_urls: bool) -> None:
    """Put an error box listing ``notes`` at the top of ``page``'s HTML."""
    path = _output(site_dir, page, directory_urls)
    try:
        document = path.read_text(encoding="utf-8")
    except OSError:
        return
    items = "".join(f"<li>{html.escape(str(note))}</li>" for note in notes)
    box = (
        '<div class="admonition failure labo-avertissements">'
        f'<p class="admonition-title">MkDocs signale un problème sur cette page{NB}:</p>'
        f"<ul>{items}</ul></div>"
    )
    opening = _ARTICLE.search(document)
    if opening is None:
        return
    path.write_text(document[: opening.end()] + box + document[opening.end() :], "utf-8")
