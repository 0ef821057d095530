"""Read mkdocs.yml without importing MkDocs: the tests need its nav and its human-read titles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


class _ConfigLoader(yaml.SafeLoader):
    """A safe loader that reads MkDocs' tags (``!!python/name:``, ``!ENV``) as plain nulls."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)
_ConfigLoader.add_multi_constructor("!", _ignore_tag)


def load_config(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_ConfigLoader)


def nav_entries(nav: list[Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(title, page)`` for every page of the nav, sections flattened, in order."""
    for item in nav:
        if isinstance(item, str):
            yield "", item
            continue
        for title, target in item.items():
            if isinstance(target, list):
                yield title, ""  # a section title, which is read too
                yield from nav_entries(target)
            else:
                yield title, target


def nav_pages(config: dict[str, Any]) -> list[str]:
    return [page for _, page in nav_entries(config["nav"]) if page]


def human_titles(config: dict[str, Any]) -> list[str]:
    """The configuration strings a reader sees: site name, description and nav titles."""
    titles = [config.get("site_name", ""), config.get("site_description", "")]
    titles += [title for title, _ in nav_entries(config["nav"])]
    return [title for title in titles if title]
