"""MkDocs hooks for the examples: the build lifecycle only (insertion is a Markdown extension).

- start the example service once per build, submit every example found in the pages so they run
  in parallel while MkDocs renders, and stop it afterwards;
- under ``mkdocs serve``: reuse unchanged results from the cache, keep serving when an example
  fails (the page shows an error box; ``make build`` stays strict), and watch ``examples/``;
- print a one-line summary.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from labo.runner import service
from labo.runner.example import ExampleError, resolve
from labo.site import context
from labo.site.references import scan_docs

log = logging.getLogger("mkdocs.plugins.labo.exemples")
_serving = False


def _root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_startup(command: str, dirty: bool) -> None:
    global _serving
    _serving = command == "serve"


def on_config(config: Any) -> Any:
    if _serving:
        config.strict = False  # a failing example shows an error box instead of stopping serve
    return config


def on_pre_build(config: Any) -> None:
    root = _root(config)
    examples = service.start(root, use_cache=_serving)
    for references in scan_docs(Path(config.docs_dir)).values():
        for reference in references:
            if reference.problem:
                continue
            try:
                examples.submit(resolve(root, reference.path), reference.timeout)
            except ExampleError:
                continue  # reported with its page and line when the page renders


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    context.set_page(f"{Path(config.docs_dir).name}/{page.file.src_uri}")
    return markdown


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    context.set_page(None)
    return html


def on_post_build(config: Any) -> None:
    stopped = service.stop()
    if stopped is not None:
        log.info(stopped.stats.summary())


def on_build_error(error: Exception) -> None:
    service.stop()


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    server.watch(str(_root(config) / "examples"))
    return server


def on_shutdown() -> None:
    service.stop()
