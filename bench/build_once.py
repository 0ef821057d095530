"""One ``mkdocs build`` in this process, then what it cost, written as JSON for ``bench/scale.py``.

Run as ``python bench/build_once.py OUT.json -- mkdocs arguments…``. The build runs in-process so
that its own CPU time and peak memory (``RUSAGE_SELF``) are told apart from its workers'
(``RUSAGE_CHILDREN``: they are reaped by this process), and so that the examples service's
figures of the build (``labo.runner.service.last_stats``) can be read once it has ended.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import time
from pathlib import Path


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    out = Path(argv[1])
    arguments = argv[argv.index("--") + 1 :]
    from mkdocs.__main__ import cli

    from labo.runner import service

    started = time.perf_counter()
    ok = True
    try:
        cli.main(args=arguments, prog_name="mkdocs", standalone_mode=False)
    except BaseException as problem:  # a strict build that aborts: say so in the figures
        ok = False
        print(f"échec de la construction\u00a0: {problem!r}", file=sys.stderr)
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = service.last_stats
    figures = {
        "ok": ok,
        "wall": wall,
        "cpu_main": _cpu(own),
        "cpu_children": _cpu(children),
        "rss_main_kb": own.ru_maxrss,
        "rss_children_kb": children.ru_maxrss,
        "examples": dataclasses.asdict(stats) if stats is not None else None,
    }
    out.write_text(json.dumps(figures, default=list), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
