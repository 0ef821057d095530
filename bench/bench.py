"""Benchmark: how long the lab and the examples take, measured, never asserted in tests.

    make bench            # or: .venv/bin/python bench/bench.py [--tours N] [--construction]
                          #     [--echelle 100,250,500] [--repetitions 3]

Prints, in French, the median and worst times of: starting the lab, resetting it, running each
example in a warm worker, (with --construction) a whole strict site build, and (with --echelle)
the scale table of ``bench/scale.py``: N generated examples built in full and with static blocks.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure(action: Callable[[], object], rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return timings


def line(label: str, timings: list[float]) -> str:
    median = statistics.median(timings) * 1000
    worst = max(timings) * 1000
    return f"  {label:<48} médiane {median:8.1f} ms   pire {worst:8.1f} ms   ({len(timings)} tours)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tours", type=int, default=5, help="répétitions par mesure")
    parser.add_argument("--construction", action="store_true", help="mesurer aussi mkdocs build")
    parser.add_argument(
        "--echelle",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[],
        help="nombres d’exemples générés à mesurer, par exemple 100,250,500",
    )
    parser.add_argument(
        "--repetitions",
        type=int,
        default=1,
        help="constructions par mesure d’échelle (la meilleure compte)",
    )
    parser.add_argument("--echelle-seulement", action="store_true", help="rien d’autre")
    args = parser.parse_args()
    if args.echelle_seulement:
        return run_scale(args.echelle, args.repetitions)

    from labo import netmap
    from labo.lab import Lab
    from labo.runner.example import all_examples
    from labo.runner.execute import run_example

    print("Labo")
    starts: list[float] = []
    for _ in range(args.tours):
        started = time.perf_counter()
        lab = Lab().start()
        starts.append(time.perf_counter() - started)
        lab.stop()
    print(line("démarrage du labo", starts))

    with Lab() as lab, netmap.routed_to(lab):
        print(line("remise à zéro", measure(lab.reset, args.tours)))
        print("Exemples (processus déjà chaud, labo remis à zéro avant chacun)")
        for example in all_examples(ROOT):
            timings = []
            for _ in range(args.tours):
                result = run_example(lab, example.path, example.relative)
                if not result.ok:
                    print(f"  {example.relative} : ÉCHEC\n{result.error}")
                    return 1
                timings.append(result.duration)
            print(line(example.relative, timings))

    if args.construction:
        print("Site")
        build = [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--site-dir",
            "/tmp/labo-bench",
        ]

        def build_once() -> None:
            subprocess.run(build, cwd=ROOT, check=True, capture_output=True)

        print(
            line(
                "mkdocs build --strict (tout exécuté)", measure(build_once, max(1, args.tours // 2))
            )
        )
    return run_scale(args.echelle, args.repetitions) if args.echelle else 0


def run_scale(counts: list[int], repetitions: int = 1) -> int:
    from scale import main as scale_main  # bench/scale.py, next to this script

    return scale_main(counts or [100, 250, 500], repetitions)


if __name__ == "__main__":
    raise SystemExit(main())
