"""MkDocs hooks for the examples: the build lifecycle only (insertion is a Markdown extension).

- start the example service once per build, submit every example found in the pages, in the
  order MkDocs renders them, so they run in parallel while MkDocs renders, and stop it (its
  workers reaped) before the build ends;
- leave each example's HTML for when its page is filled (``labo.site.deferred``), so converting
  pages never waits for a worker;
- under ``mkdocs serve``: reuse unchanged results from the cache, keep serving when an example
  fails (the page shows an error box; ``make build`` stays strict), and watch ``examples/``;
- print a one-line summary.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.utils import CountHandler
from mkdocs.utils.meta import get_data

from labo.render.annotations.tips import page_once
from labo.runner import service
from labo.runner.example import ExampleError, resolve
from labo.site import context, deferred
from labo.site.references import scan

log = logging.getLogger("mkdocs.plugins.labo.exemples")
#: The name mkdocs.yml gives the Markdown extension under ``markdown_extensions``.
EXTENSION = "labo.site.extension"
_serving = False


def _root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_startup(command: str, dirty: bool) -> None:
    global _serving
    _serving = command == "serve"


def on_config(config: Any) -> Any:
    if _serving:  # a failing example shows an error box instead of stopping serve
        config.strict = False
        _stop_counting_warnings()
    # The extension looks for examples/ next to mkdocs.yml, as this hook does, even when MkDocs
    # runs from another directory (``mkdocs build -f projet/mkdocs.yml``).
    options = config.mdx_configs.setdefault(EXTENSION, {})
    options.setdefault("root", str(_root(config)))
    return config


def _stop_counting_warnings() -> None:
    """Detach the counter that makes this build fail on warnings.

    MkDocs decides on strict mode before it calls ``on_config`` (it attaches a ``CountHandler``
    to its logger when ``config.strict`` is set, then runs the hooks), so ``strict = False`` comes
    too late for the build under way; and ``mkdocs serve`` reloads mkdocs.yml, ``strict: true``
    included, for every rebuild.
    """
    logger = logging.getLogger("mkdocs")
    for handler in list(logger.handlers):
        if isinstance(handler, CountHandler):
            logger.removeHandler(handler)


def on_pre_build(config: Any) -> None:
    service.start(_root(config), use_cache=_serving, protected=[Path(config.site_dir)])
    deferred.start()


def on_files(files: Any, config: Any) -> Any:
    """Submit every example of the pages MkDocs will render, in the order it renders them.

    Before the first page renders, so the workers run while MkDocs renders; in page order, so
    each page finds its examples done, or next in line, when it reaches them.
    """
    root = _root(config)
    examples = service.current(root)
    for file in files.documentation_pages():
        try:
            markdown: str = file.content_string
        except (OSError, ValueError):
            continue  # MkDocs reports it when it reads the page
        for reference in scan(markdown):
            if reference.problem:
                continue
            try:
                examples.submit(resolve(root, reference.path), reference.timeout)
            except ExampleError:
                continue  # reported with its page and line when the page renders
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    context.set_page(f"{Path(config.docs_dir).name}/{page.file.src_uri}", _first_line(page))
    return markdown


def _first_line(page: Any) -> int:
    """The file line where the page's Markdown starts: MkDocs has cut the front matter off."""
    try:
        source: str = page.file.content_string
    except (OSError, ValueError):
        return 1
    body, _ = get_data(source)
    if not source.endswith(body):
        return 1
    return source[: len(source) - len(body)].count("\n") + 1


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    context.set_page(None)
    return html


@event_priority(50)  # before the search plugin (0) indexes the page
def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    """Await and render the page's examples; the search indexes their light versions."""
    page.content = deferred.fill_for_search(page.content or "")
    return context


def on_post_page(output: str, page: Any, config: Any) -> str:
    """The page with its examples, each tooltip's text kept once (``annotations.tips``)."""
    return page_once(deferred.fill_for_page(output))


def on_post_build(config: Any) -> None:
    deferred.stop()
    stopped = service.stop()
    if stopped is not None:
        log.info(stopped.stats.summary())


def on_build_error(error: Exception) -> None:
    deferred.stop()
    service.stop()


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    server.watch(str(_root(config) / "examples"))
    return server


def on_shutdown() -> None:
    deferred.stop()
    service.stop()
