"""The worker process: one lab started once, then examples run one after another against it.

Starting Python and the lab costs a few hundred milliseconds; resetting the lab costs a few.
So a build starts a handful of workers and reuses them, never one process per example.
"""

from __future__ import annotations

import os
from multiprocessing.connection import Connection
from pathlib import Path

from labo.runner.result import RunResult


def main(connection: Connection) -> None:
    """Serve jobs ``(root, relative)`` from ``connection`` until it sends None or closes."""
    os.environ["TZ"] = "UTC"
    from labo import netmap
    from labo.lab import Lab
    from labo.runner.execute import run_example

    with Lab() as lab, netmap.routed_to(lab):
        connection.send("ready")
        while True:
            try:
                job = connection.recv()
            except EOFError:
                return
            if job is None:
                return
            root, relative = job
            result: RunResult = run_example(lab, Path(root) / relative, relative)
            connection.send(result.to_json())
