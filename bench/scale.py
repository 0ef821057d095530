"""The benchmark's scale mode: N generated examples on pages, built in full and with static blocks.

Why: a site that grows by pull requests will have hundreds of examples; what matters is what
running them adds to rendering the same pages, and that it grows linearly. For each N, in a
temporary copy of the project (nothing is written to the project itself):

- N copies of ``examples/smtp/relais_port_25.py`` (with its approved transcripts) are shown on
  ten generated pages, next to the site's own pages and examples;
- the site is built with ``mkdocs build --strict`` (every example runs), then again with every
  ``/// exemple`` block of every page replaced by static code blocks (its code and its approved
  transcript), so that the second build renders the same pages and runs nothing.

Each build runs in its own process (``bench/build_once.py``); the figures are its wall-clock
time, its CPU time and peak memory, and the CPU time and peak memory of its workers.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from labo.site.references import scan

ROOT = Path(__file__).resolve().parents[1]
#: The example copied N times: a short SMTP conversation, typical of the site's examples.
MODEL = "examples/smtp/relais_port_25"
PAGES = 10
#: Not copied: the environment, caches, the built site, git's own files.
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "site", ".cache", "__pycache__", ".pytest_cache", ".ruff_cache", "*.pyc"
)
_NB = "\u00a0"


@dataclass(frozen=True)
class Build:
    """The figures of one ``mkdocs build --strict`` (see ``bench/build_once.py``)."""

    wall: float
    cpu_main: float
    cpu_children: float
    rss_main_mb: float
    rss_children_mb: float
    examples: dict[str, float] | None

    @property
    def cpu(self) -> float:
        return self.cpu_main + self.cpu_children

    @property
    def two_cores(self) -> float:
        """The wall time on two idle cores, had the work overlapped perfectly: load-free."""
        return max(self.cpu_main, self.cpu / 2)


def copy_project(destination: Path) -> Path:
    shutil.copytree(ROOT, destination, ignore=IGNORED, symlinks=True)
    return destination


def add_examples(root: Path, count: int) -> None:
    """``count`` copies of the model example, on ``PAGES`` pages added to the navigation."""
    model = root / MODEL
    target = root / "examples" / "banc"
    target.mkdir()
    pages: list[list[str]] = [[] for _ in range(PAGES)]
    for number in range(1, count + 1):
        stem = f"exemple_{number:03d}"
        for suffix in (".py", ".transcription.txt", ".reference.txt", ".differences.txt"):
            source = model.with_name(model.name + suffix)
            if source.exists():
                shutil.copyfile(source, target / (stem + suffix))
        pages[(number - 1) * PAGES // count].append(
            f"## Exemple {number}\n\n/// exemple | examples/banc/{stem}.py\n"
            f"Copie numéro {number}.\n///\n"
        )
    (root / "docs" / "banc").mkdir()
    nav = ["  - Banc de mesure:"]
    for index, blocks in enumerate(pages, start=1):
        name = f"banc/page_{index:02d}.md"
        text = f"# Banc de mesure, page {index}\n\n" + "\n".join(blocks)
        (root / "docs" / name).write_text(text, encoding="utf-8")
        nav.append(f"      - {name}")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\n".join(nav) + "\n", "utf-8")


def make_static(root: Path) -> int:
    """Replace every ``/// exemple`` block of every page by its code and approved transcript."""
    replaced = 0
    for page in (root / "docs").rglob("*.md"):
        lines = page.read_text(encoding="utf-8").split("\n")
        references = [r for r in scan("\n".join(lines)) if r.problem is None]
        for reference in reversed(references):
            header = lines[reference.line - 1]
            indent = header[: len(header) - len(header.lstrip())]
            example = root / reference.path
            code = example.read_text(encoding="utf-8").rstrip("\n")
            approved = example.with_name(example.stem + ".transcription.txt")
            transcript = approved.read_text(encoding="utf-8").rstrip("\n")
            static = ["```python", *code.split("\n"), "```", "", "```text"]
            static += [*transcript.split("\n"), "```"]
            lines[reference.line - 1 : reference.end_line] = [
                (indent + line) if line else line for line in static
            ]
            replaced += 1
        if references:
            page.write_text("\n".join(lines), encoding="utf-8")
    return replaced


def build(root: Path) -> Build:
    """One strict build of ``root`` in a fresh process, with its figures."""
    with tempfile.TemporaryDirectory(prefix="labo-banc-mesure-") as scratch:
        figures_file = Path(scratch) / "figures.json"
        command = [
            sys.executable,
            str(ROOT / "bench" / "build_once.py"),
            str(figures_file),
            "--",
            "build",
            "--strict",
            "--quiet",
            "--config-file",
            str(root / "mkdocs.yml"),
            "--site-dir",
            str(Path(scratch) / "site"),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0 or not figures_file.exists():
            raise RuntimeError(f"la construction a échoué{_NB}:\n{done.stderr[-4000:]}")
        figures = json.loads(figures_file.read_text(encoding="utf-8"))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Build(
        wall=wall,
        cpu_main=figures["cpu_main"],
        cpu_children=max(0.0, cpu - figures["cpu_main"]),
        rss_main_mb=figures["rss_main_kb"] / 1024,
        rss_children_mb=figures["rss_children_kb"] / 1024,
        examples=figures["examples"],
    )


@dataclass(frozen=True)
class Row:
    """One line of the scale table."""

    count: int
    examples: int
    full: Build
    static: Build

    def cells(self) -> list[str]:
        full, static = self.full, self.static
        stats = full.examples or {}
        ran = max(1, int(stats.get("ran", 0)))
        extra_worker = (stats.get("cpu_job", 0.0) - stats.get("cpu_run", 0.0)) / ran
        # What the build process itself spends per example beyond static rendering.
        extra_main = (full.cpu_main - static.cpu_main) / ran
        run = stats.get("cpu_run", 0.0) / ran
        span = full.wall * max(1, int(stats.get("workers", 1)))
        usage = stats.get("busy", 0.0) / span if span else 0.0
        return [
            f"{self.count}",
            f"{self.examples}",
            f"{static.wall:.1f}",
            f"{full.wall:.1f}",
            f"{full.wall / static.wall:.2f}",
            f"{static.cpu:.1f}",
            f"{full.cpu_main:.1f}+{full.cpu_children:.1f}",
            f"{full.two_cores / static.two_cores:.2f}",
            f"{run * 1000:.1f}",
            f"{extra_worker * 1000:.1f}",
            f"{extra_main * 1000:.1f}",
            f"{usage:.0%}".replace("%", f"{_NB}%"),
            f"{full.rss_main_mb:.0f}/{full.rss_children_mb:.0f}",
        ]


HEADERS = [
    "N",
    "exemples",
    "statique s",
    "complet s",
    "rapport",
    "CPU stat. s",
    "CPU compl. s",
    "rapport 2 cœurs",
    "exemple ms",
    "en plus travail ms",
    "en plus rendu ms",
    "occupation",
    "mémoire Mo",
]

LEGEND = f"""\
  statique, complet{_NB}: durée de mkdocs build --strict, blocs statiques puis exemples exécutés
  rapport{_NB}: complet / statique (horloge murale{_NB}; bruitée si la machine est chargée)
  CPU compl.{_NB}: temps CPU du processus de construction + de ses processus de travail
  rapport 2 cœurs{_NB}: max(CPU construction, CPU total / 2), complet / statique{_NB}: la durée
    qu’aurait la construction sur deux cœurs libres, recouvrement parfait, indépendante de la charge
  exemple{_NB}: CPU moyen d’un exemple (et du labo qui lui répond) dans son processus de travail
  en plus travail{_NB}: CPU moyen du processus de travail par exemple, hors l’exemple lui-même
    (remise à zéro du labo, vérifications, transcription)
  en plus rendu{_NB}: CPU du processus de construction par exemple, au-delà du rendu statique
    (attente et transport du résultat, comparaison, onglets, schéma)
  occupation{_NB}: part du temps où les processus de travail exécutaient un exemple
  mémoire{_NB}: pic de mémoire résidente, construction / plus gros processus de travail"""


def table(rows: list[Row]) -> str:
    grid = [HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(line[column]) for line in grid) for column in range(len(HEADERS))]
    out = []
    for line in grid:
        out.append(
            "  " + "  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True))
        )
    return "\n".join(out)


def best(builds: list[Build]) -> Build:
    """The best figure of each kind over ``builds``: on a shared machine, the other tasks only
    ever add time, so the smallest is the closest to the build's own cost."""
    stats = min(builds, key=lambda b: (b.examples or {}).get("cpu_job", 0.0)).examples
    return Build(
        wall=min(b.wall for b in builds),
        cpu_main=min(b.cpu_main for b in builds),
        cpu_children=min(b.cpu_children for b in builds),
        rss_main_mb=max(b.rss_main_mb for b in builds),
        rss_children_mb=max(b.rss_children_mb for b in builds),
        examples=stats,
    )


def measure(count: int, repetitions: int = 1) -> Row:
    """Generate ``count`` examples in a temporary copy, build it in full, then static."""
    with tempfile.TemporaryDirectory(prefix="labo-banc-") as temporary:
        root = copy_project(Path(temporary) / "projet")
        add_examples(root, count)
        full = best([build(root) for _ in range(repetitions)])
        examples = make_static(root)
        static = best([build(root) for _ in range(repetitions)])
    return Row(count, examples, full, static)


def main(counts: list[int], repetitions: int = 1) -> int:
    print(f"Échelle{_NB}: N copies de {MODEL}.py sur {PAGES} pages, en plus des pages du site")
    if repetitions > 1:
        print(f"  le meilleur de {repetitions} constructions, mesure par mesure")
    rows: list[Row] = []
    for count in counts:
        row = measure(count, repetitions)
        rows.append(row)
        print(
            f"  N = {count}{_NB}: complet {row.full.wall:.1f}{_NB}s, "
            f"statique {row.static.wall:.1f}{_NB}s",
            flush=True,
        )
    print(table(rows))
    print(LEGEND)
    if len(rows) > 1:
        print(growth(rows[0], rows[-1]))
    return 0


def growth(first: Row, last: Row) -> str:
    """What each example added between two sizes: constant when the growth is linear."""
    added = last.examples - first.examples

    def per_example(before: float, after: float) -> str:
        return f"{(after - before) / added * 1000:.1f}{_NB}ms"

    return (
        f"  de N = {first.count} à N = {last.count}, chaque exemple de plus a coûté{_NB}: "
        f"{per_example(first.static.cpu, last.static.cpu)} de CPU en statique, "
        f"{per_example(first.full.cpu, last.full.cpu)} en complet "
        f"({per_example(first.full.two_cores, last.full.two_cores)} sur deux cœurs)"
    )
