"""`mkdocs serve` in a child process, on a free loopback port, asked for one page then stopped.

The page is fetched with ``http.client`` straight from 127.0.0.1: no proxy settings apply, and no
other address is ever used.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import build_slots

#: How long the server may take to build the site and answer (it shares the CPU with builds).
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


class ServeProcess:
    """A running `mkdocs serve`; :meth:`fetch_then_stop` ends it."""

    def __init__(self, project: Path) -> None:
        self.port = _free_loopback_port()
        self.slot = build_slots.acquire()  # the server builds the site: it counts as a build
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        address = f"127.0.0.1:{self.port}"
        self.process = self._start(project, env, address)

    def _start(self, project: Path, env: dict[str, str], address: str) -> subprocess.Popen[str]:
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "mkdocs", "serve", "--no-livereload", "--dev-addr", address],
                cwd=project,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                start_new_session=True,  # its own process group: stopped with all it started
            )
        except BaseException:
            self.slot.release()
            raise

    def fetch_then_stop(self, path: str) -> tuple[str | None, str]:
        """The page at ``path`` once the server answers (None if it never does), and the log."""
        try:
            page = self._fetch(path)
        finally:
            output = self._stop()
        return page, output

    def _fetch(self, path: str) -> str | None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                if response.status == 200:
                    return response.read().decode("utf-8")
            except OSError:
                pass  # not listening yet
            finally:
                connection.close()
            time.sleep(0.2)
        return None

    def _stop(self) -> str:
        """Ctrl-C, as an author stops it: MkDocs shuts down and runs its hooks' on_shutdown.

        Whatever happens, nothing of its process group survives (workers, resource tracker).
        """
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
            try:
                output, _ = self.process.communicate(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._kill_group()
                output, _ = self.process.communicate()
        finally:
            self._kill_group()
            self.slot.release()
        return output

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
