"""The ``/// exemple | examples/…/x.py`` block: run the example, insert its code, its transcript
and, from the committed files, what Postfix and Dovecot said (``labo.site.reference_tab``).

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
from labo.render.annotations import unexplained
from labo.render.reference import ReferenceRun
from labo.runner import approval, service
from labo.runner.example import Example, ExampleError, resolve, title_of
from labo.site import context, deferred
from labo.site.reference_tab import reference_run
from labo.site.references import (
    BLOCK_NAME,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
    TIMEOUT_OPTION,
    Reference,
    scan,
)
from labo.wire.transcript import Transcript

log = logging.getLogger("mkdocs.plugins.labo.exemples")
_NB = "\u00a0"
#: Stands for a malformed block's error box between the two preprocessors (followed by its line).
_MARKER = "labo-exemple-mal-forme-ligne-"


def report(line: int, subject: str, problem: str) -> None:
    """Log one problem in the form authors see in the build output (line 0: unknown)."""
    where = f"{context.page()}, ligne {line}" if line > 0 else context.page()
    log.warning(f"{where}, {subject}{_NB}: {problem}")


class ReferencePreprocessor(Preprocessor):
    """Finds every block with its page line, and marks malformed blocks for an error box.

    Runs first, on the page as written, so that lines are the author's. A block pymdownx cannot
    read would reach the page as plain text, with no warning to stop a strict build: it is
    replaced by a marker line, which ``ErrorBoxPreprocessor`` turns into the error box.
    """

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self.references: list[Reference] = []
        self.boxes: dict[str, str] = {}
        self._claimed: set[int] = set()

    def run(self, lines: list[str]) -> list[str]:
        first_line = context.first_line()
        found = scan("\n".join(lines), first_line)
        self.references = [r for r in found if r.problem is None]
        self._claimed = set()
        self.boxes = {}
        malformed = [r for r in found if r.problem]
        for reference in malformed:
            report(reference.line, f"bloc «{_NB}{BLOCK_NAME}{_NB}»", reference.problem or "")
        out = list(lines)
        for reference in reversed(malformed):
            marker = f"{_MARKER}{reference.line}"
            self.boxes[marker] = render_error(
                title=f"Bloc «{_NB}{BLOCK_NAME}{_NB}» mal formé",
                message=f"Ligne {reference.line}{_NB}: {reference.problem}",
                anchor=f"exemple-ligne-{reference.line}",
            )
            start = reference.line - first_line
            header = lines[start]
            indent = header[: len(header) - len(header.lstrip())]  # stay inside its container
            out[start : reference.end_line - first_line + 1] = ["", indent + marker, ""]
        return out

    def claim(self, path: str) -> int:
        """The page line of the first block naming ``path`` not claimed yet; 0 if none.

        Blocks are matched by path, not by position, so that a block the scanner did not see
        (one brought in by a snippet, say) cannot shift the lines of the others.
        """
        for position, reference in enumerate(self.references):
            if position not in self._claimed and reference.path == path.strip():
                self._claimed.add(position)
                return reference.line
        return 0


class ErrorBoxPreprocessor(Preprocessor):
    """Puts the error boxes in place of the markers, once Python-Markdown has cleaned the text.

    Its whitespace normalisation removes the control characters that delimit stashed HTML, so
    the boxes can only be stashed after it, not by ``ReferencePreprocessor``.
    """

    def __init__(self, md: Markdown, references: ReferencePreprocessor) -> None:
        super().__init__(md)
        self.references = references

    def run(self, lines: list[str]) -> list[str]:
        boxes = self.references.boxes
        if not boxes:
            return lines
        out = []
        for line in lines:
            box = boxes.get(line.strip())
            if box is not None:
                line = line[: len(line) - len(line.lstrip())] + self.md.htmlStash.store(box)
            out.append(line)
        return out


class ExempleBlock(Block):
    """``/// exemple | examples/x.py`` (option ``délai: N``); the block's text is the caption."""

    NAME = BLOCK_NAME
    ARGUMENT = True
    OPTIONS: ClassVar[dict[str, tuple[Any, Any]]] = {
        TIMEOUT_OPTION: (service.DEFAULT_TIMEOUT, type_ranged_number(MIN_TIMEOUT, MAX_TIMEOUT))
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
        return preprocessor.claim(self.argument or "")


class ExempleExtension(BlocksExtension):
    """Register with ``- labo.site.extension`` (option ``root``: the project root)."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"root": [".", "Racine du projet (contient examples/)."]}
        super().__init__(**kwargs)

    def extendMarkdownBlocks(self, md: Markdown, block_mgr: BlocksProcessor) -> None:
        preprocessor = ReferencePreprocessor(md)
        # Before pymdownx.snippets (32) inserts other files: lines stay the page's own.
        md.preprocessors.register(preprocessor, "labo_exemple_references", 35)
        # After normalize_whitespace (30), before html_block (20).
        md.preprocessors.register(
            ErrorBoxPreprocessor(md, preprocessor), "labo_exemple_error_boxes", 25
        )
        root = Path(self.getConfig("root")).resolve()
        block_mgr.register(
            ExempleBlock,
            {"preprocessor": preprocessor, "runner": lambda *args: render_block(root, *args)},
        )


def render_block(root: Path, reference: str, timeout: float, line: int) -> tuple[str, str]:
    """Run (or fetch) the example; return its anchor and HTML, or an error box after reporting.

    Under MkDocs (``labo.site.deferred`` active), the HTML is a placeholder: the example is
    awaited and rendered when its page is filled, so that converting pages never waits for it.
    """
    try:
        example = resolve(root, reference)
    except ExampleError as problem:
        return _unusable(line, reference, "Exemple introuvable", str(problem))
    try:
        title = title_of(example.read_source(), example.relative)
    except ExampleError as problem:
        heading = f"Exemple en échec{_NB}: {example.relative}"
        return _unusable(line, example.relative, heading, str(problem))
    examples = service.current(root)
    if not deferred.active():
        return example.anchor, _finish(examples, example, title, timeout, line)[0]
    page = context.page()

    def produce() -> deferred.Rendered:
        context.set_page(page)  # problems name the block's page and line, as they would now
        try:
            return _finish(examples, example, title, timeout, line)
        finally:
            context.set_page(None)

    examples.submit(example, timeout)  # the hook did, unless the page came from elsewhere
    return example.anchor, deferred.placeholder(produce)


def _finish(
    examples: service.ExampleService, example: Example, title: str, timeout: float, line: int
) -> deferred.Rendered:
    """Wait for the example's result: its HTML and light version, or an error box (reported)."""
    result = examples.result(example, timeout)
    problem = result.error
    fresh = result.transcript.to_text() if result.ok else ""
    if result.ok:
        problem = approval.compare_with(example, result.approved, fresh)
        if problem is not None:
            examples.note_unapproved(example)
    if problem is not None:
        report(line, f"exemple {example.relative}", problem)
        box = render_error(
            title=f"Exemple en échec{_NB}: {title}",
            message=problem,
            anchor=example.anchor,
            carry_id=False,
            # New or changed: the author reviews what the run produced without the terminal.
            produced=result.transcript if result.ok else None,
        )
        return box, deferred.light_version(title, problem)
    reference = reference_run(example)
    if reference.problem is not None:
        report(line, f"exemple {example.relative}", reference.problem)
    report_unexplained(line, example.relative, result.transcript, reference)
    html = render_example(
        code=result.source,
        transcript=result.transcript,
        source_path=example.relative,
        title=title,
        caption=None,
        anchor=example.anchor,
        carry_id=False,
        reference=reference,
    )
    seen_by_postfix = reference.transcript.to_text() if reference.transcript is not None else ""
    return html, deferred.light_version(result.source, fresh, seen_by_postfix)


def report_unexplained(
    line: int, relative: str, transcript: Transcript, reference: ReferenceRun
) -> None:
    """Every token of the transcripts shown that no data file explains: one warning each."""
    for missing in unexplained(transcript):
        report(line, f"exemple {relative}", missing.message())
    if reference.transcript is not None:
        for missing in unexplained(reference.transcript):
            report(line, f"exemple {relative} (Postfix et Dovecot)", missing.message())


def _unusable(line: int, reference: str, title: str, problem: str) -> tuple[str, str]:
    """Report an example that cannot even be run; its box is anchored on the page line."""
    report(line, f"exemple {reference}", problem)
    anchor = f"exemple-ligne-{line}"
    return anchor, render_error(title=title, message=problem, anchor=anchor, carry_id=False)


def makeExtension(**kwargs: Any) -> ExempleExtension:
    return ExempleExtension(**kwargs)


__all__ = ["Example", "ExempleExtension", "makeExtension"]
