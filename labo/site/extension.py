"""The ``/// exemple | examples/…/x.py`` block: run the example, insert its code and transcript.

A Python-Markdown extension (not a MkDocs plugin) so that any generator that runs Markdown
extensions can build the site. Problems are logged as warnings naming the page, the line and the
example — a strict build stops on them — and the page shows an error box in place of the
transcript, so ``mkdocs serve`` keeps running while an author fixes things.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as etree
from pathlib import Path
from typing import Any, ClassVar

from markdown import Markdown
from markdown.preprocessors import Preprocessor
from pymdownx.blocks import BlocksExtension, BlocksProcessor
from pymdownx.blocks.block import Block, type_ranged_number

from labo.render import render_error, render_example
from labo.runner import approval, service
from labo.runner.example import Example, ExampleError, resolve, title_of
from labo.site import context
from labo.site.references import BLOCK_NAME, MAX_TIMEOUT, TIMEOUT_OPTION, Reference, scan

log = logging.getLogger("mkdocs.plugins.labo.exemples")


def report(line: int, subject: str, problem: str) -> None:
    """Log one problem in the form authors see in the build output."""
    log.warning(f"{context.page()}, ligne {line}, {subject} : {problem}")


class ReferencePreprocessor(Preprocessor):
    """Records where each block starts and replaces malformed blocks with an error box."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self.references: list[Reference] = []

    def run(self, lines: list[str]) -> list[str]:
        self.references = [r for r in scan("\n".join(lines)) if r.problem is None]
        out = list(lines)
        for reference in reversed([r for r in scan("\n".join(lines)) if r.problem]):
            report(reference.line, "bloc « exemple »", reference.problem or "")
            box = render_error(
                title="Bloc « exemple » mal formé",
                message=f"Ligne {reference.line} : {reference.problem}",
                anchor=f"exemple-ligne-{reference.line}",
            )
            out[reference.line - 1 : reference.end_line] = [
                "",
                self.md.htmlStash.store(box),
                "",
            ]
        return out


class ExempleBlock(Block):
    """``/// exemple | examples/x.py`` (option ``délai: N``); the block's text is the caption."""

    NAME = BLOCK_NAME
    ARGUMENT = True
    OPTIONS: ClassVar[dict[str, tuple[Any, Any]]] = {
        TIMEOUT_OPTION: (service.DEFAULT_TIMEOUT, type_ranged_number(1, MAX_TIMEOUT))
    }

    def on_create(self, parent: etree.Element) -> etree.Element:
        return etree.SubElement(parent, "div", {"class": "labo-exemple"})

    def on_add(self, block: etree.Element) -> etree.Element:
        captions = block.findall("div")
        if not captions:
            return etree.SubElement(block, "div", {"class": "labo-exemple__legende"})
        return captions[-1]

    def on_end(self, block: etree.Element) -> None:
        line = self._line()
        anchor, html = self.config["runner"](
            self.argument, float(self.options[TIMEOUT_OPTION]), line
        )
        block.set("id", anchor)  # on the tree, so MkDocs knows the anchor and checks links to it
        holder = etree.Element("p")
        holder.text = self.md.htmlStash.store(html)
        block.insert(0, holder)
        caption = block.find("div")
        if caption is not None and len(caption) == 0 and not (caption.text or "").strip():
            block.remove(caption)

    def _line(self) -> int:
        preprocessor: ReferencePreprocessor = self.config["preprocessor"]
        index = self.tracker.get("index", 0)
        self.tracker["index"] = index + 1
        if index < len(preprocessor.references):
            return preprocessor.references[index].line
        return 0


class ExempleExtension(BlocksExtension):
    """Register with ``- labo.site.extension`` (option ``root``: the project root)."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"root": [".", "Racine du projet (contient examples/)."]}
        super().__init__(**kwargs)

    def extendMarkdownBlocks(self, md: Markdown, block_mgr: BlocksProcessor) -> None:
        preprocessor = ReferencePreprocessor(md)
        md.preprocessors.register(preprocessor, "labo_exemple_references", 35)
        root = Path(self.getConfig("root")).resolve()
        block_mgr.register(
            ExempleBlock,
            {"preprocessor": preprocessor, "runner": lambda *args: render_block(root, *args)},
        )


def render_block(root: Path, reference: str, timeout: float, line: int) -> tuple[str, str]:
    """Run (or fetch) the example; return its anchor and HTML, or an error box after reporting."""
    try:
        example = resolve(root, reference)
        title = title_of(example.read_source(), example.relative)
    except ExampleError as problem:
        report(line, f"exemple {reference}", str(problem))
        anchor = _anchor(line)
        box = render_error(
            title="Exemple introuvable", message=str(problem), anchor=anchor, carry_id=False
        )
        return anchor, box
    result = service.current(root).result(example, timeout)
    problem = (
        result.error if not result.ok else approval.compare(example, result.transcript.to_text())
    )
    if problem is not None:
        report(line, f"exemple {example.relative}", problem)
        box = render_error(
            title=f"Exemple en échec : {title}",
            message=problem,
            anchor=example.anchor,
            carry_id=False,
        )
        return example.anchor, box
    html = render_example(
        code=result.source,
        transcript=result.transcript,
        source_path=example.relative,
        title=title,
        caption=None,
        anchor=example.anchor,
        carry_id=False,
    )
    return example.anchor, html


def _anchor(line: int) -> str:
    return f"exemple-ligne-{line}"


def makeExtension(**kwargs: Any) -> ExempleExtension:
    return ExempleExtension(**kwargs)


__all__ = ["Example", "ExempleExtension", "makeExtension"]
