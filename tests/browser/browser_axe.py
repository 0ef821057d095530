"""axe-core, run in the page from the copy in ``vendor/`` (pinned, never fetched).

Material for MkDocs itself has a few violations on every page; they are listed here with what
the theme does, so that a test fails on anything the site's own pages and styles add. CONTRIBUTING
lists them for readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared_site import SITE_URL

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
#: Where the tests' server (``browser_session``) serves it, under the site's sub-path.
SUB_PATH = urlsplit(SITE_URL).path
AXE_PATH = "__tests__/axe.min.js"


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


#: Every panel of Material's content tabs shown at once, so one pass of axe sees them all.
_ALL_PANELS = ".tabbed-set > .tabbed-content > .tabbed-block { display: block !important; }"


def show_all_panels(page: Any) -> None:
    """Show every tab's panel of every example (Code, Transcription, Postfix et Dovecot…).

    A panel's styles do not depend on which tab is chosen, so checking the panels side by side
    in one pass checks each as a reader sees it.
    """
    page.add_style_tag(content=_ALL_PANELS)


#: Marks the elements that axe's ``color-contrast`` checks in ``include`` (minus ``exclude``):
#: of the elements with text of their own, one for each combination of what decides a contrast,
#: the text's colour, size, weight and shadow, and what lies behind it (background colour and
#: image, opacity, filter and blending of the element and of each ancestor). Elements that agree
#: on all of these have the same contrast, wherever the same CSS put them. On a page of
#: transcripts thousands of tokens and lines repeat a dozen styles, and axe's own check (drawn
#: backgrounds, stacks of elements under each text) is the costliest part of its run.
_RUN = """async ([include, exclude, options]) => {
    const roots = [...document.querySelectorAll(include)];
    const skipped = exclude ? [...document.querySelectorAll(exclude)] : [];
    const behind = new Map();
    const backdrop = element => {
        if (!element) return "";
        if (!behind.has(element)) {
            const s = getComputedStyle(element);
            behind.set(element, backdrop(element.parentElement) + "|" + [s.backgroundColor,
                s.backgroundImage, s.opacity, s.filter, s.mixBlendMode].join(","));
        }
        return behind.get(element);
    };
    for (const old of document.querySelectorAll("[data-axe-sample]")) {
        old.removeAttribute("data-axe-sample");
    }
    const seen = new Set();
    for (const root of roots) {
        for (const element of [root, ...root.querySelectorAll("*")]) {
            const own = [...element.childNodes].some(n => n.nodeType === 3 && n.data.trim());
            if (!own || skipped.some(each => each.contains(element))) continue;
            const s = getComputedStyle(element);
            const key = [s.color, s.fill, s.fontSize, s.fontWeight, s.textShadow,
                backdrop(element)].join(";");
            if (!seen.has(key)) {
                seen.add(key);
                element.setAttribute("data-axe-sample", "");
            }
        }
    }
    axe.configure({ rules: [{ id: "color-contrast", selector: "[data-axe-sample]" }] });
    const context = { include: [include], exclude: exclude ? [exclude] : [] };
    const results = await axe.run(context, options);
    return results.violations.flatMap(violation => violation.nodes.map(node => ({
        rule: violation.id,
        target: node.target.join(" "),
        summary: node.failureSummary || violation.help,
    })));
}"""


def run_axe(
    page: Any,
    *,
    include: str = "html",
    exclude: str | None = None,
    rules: list[str] | None = None,
) -> list[Violation]:
    """What axe finds in ``include`` (minus ``exclude``), the theme's known violations aside.

    Every rule checks every element, except ``color-contrast``: one element of each style
    (``_RUN``).
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # From the tests' server, so that the browser caches it compiled from one page to the next.
        page.add_script_tag(url=f"{SUB_PATH}{AXE_PATH}")
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    found = page.evaluate(_RUN, [include, exclude, options])
    violations = [Violation(item["rule"], item["target"], item["summary"]) for item in found]
    return [violation for violation in violations if not _known(violation)]


def _known(violation: Violation) -> bool:
    return any(
        known.rule == violation.rule and known.target in violation.target
        for known in MATERIAL_VIOLATIONS
    )
