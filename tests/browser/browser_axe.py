"""axe-core, run in the page from the copy in ``vendor/`` (pinned, never fetched).

Material for MkDocs itself has a few violations on every page; they are listed here with what
the theme does, so that a test fails on anything the site's own pages and styles add. CONTRIBUTING
lists them for readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


@dataclass(frozen=True)
class Known:
    """A violation of the theme's own markup: the rule, where it shows, and why it stays."""

    rule: str
    target: str  # a fragment of the CSS selector axe gives for the node
    reason: str


#: Material for MkDocs 9.8's markup, which neither configuration nor CSS can change.
MATERIAL_VIOLATIONS = (
    Known(
        "aria-dialog-name",
        ".md-search",
        "the search panel is a role=dialog without aria-label (partials/search.html)",
    ),
    Known(
        "landmark-unique",
        ".md-code__nav",
        "every code block's copy button sits in an unlabelled <nav> added by the theme's script",
    ),
)


@dataclass(frozen=True)
class Violation:
    rule: str
    target: str
    summary: str

    def __str__(self) -> str:
        return f"{self.rule} {self.target}: {self.summary}"


def run_axe(
    page: Any,
    *,
    include: str | None = None,
    exclude: str | None = None,
    rules: list[str] | None = None,
) -> list[Violation]:
    """What axe finds in ``page`` (or in ``include`` only), the theme's known violations aside."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    found = page.evaluate(
        """async ([include, exclude, options]) => {
            const context = { include: [include || "html"], exclude: exclude ? [exclude] : [] };
            const results = await axe.run(context, options);
            return results.violations.flatMap(violation => violation.nodes.map(node => ({
                rule: violation.id,
                target: node.target.join(" "),
                summary: node.failureSummary || violation.help,
            })));
        }""",
        [include, exclude, options],
    )
    violations = [Violation(item["rule"], item["target"], item["summary"]) for item in found]
    return [violation for violation in violations if not _known(violation)]


def _known(violation: Violation) -> bool:
    return any(
        known.rule == violation.rule and known.target in violation.target
        for known in MATERIAL_VIOLATIONS
    )
