"""The lab orchestrator: one background asyncio loop running every server and its recording proxy.

Each service is started by its own package (``labo.smtp``, ``labo.pop3``, ``labo.imap``) on an
ephemeral loopback port; clients never reach it directly but through a recording proxy
(``labo.wire.proxy``) that stands in front of it, on the port returned by ``endpoint``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from labo import scenario
from labo.context import LabContext, LabOptions
from labo.identity import SERVER_NAME, SERVICES, USERS
from labo.wire.labels import REGISTRY
from labo.wire.transcript import Recorder, Transcript

T = TypeVar("T")


class Lab:
    """Start with ``start()`` (or ``with Lab() as lab:``), ``reset()`` between scenarios."""

    def __init__(
        self,
        options: LabOptions | None = None,
        *,
        listen_host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.options = options or LabOptions()
        self.listen_host = listen_host
        self._requested_ports = ports or {}
        self.recorder = recorder or Recorder()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._workdir: Path | None = None
        self._services: dict[str, Any] = {}  # name -> running service (backend + proxy)
        self.context: LabContext | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Lab:
        from labo.services import start_service  # deferred: pulls in aiosmtpd and pymap

        self._workdir = Path(tempfile.mkdtemp(prefix="labo-"))
        self.context = LabContext.create(self._workdir, self.options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="labo", daemon=True)
        self._thread.start()
        try:
            for service in SERVICES.values():
                port = self._requested_ports.get(service.name, 0)
                running = self.call(
                    start_service(self.context, service, self.recorder, self.listen_host, port)
                )
                self._services[service.name] = running
                self.context.proxy_ports[service.name] = running.port
            self.context.store.reset()
        except BaseException:
            self.stop()
            raise
        scenario.register(self)
        return self

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``coroutine`` on the lab loop and wait for its result."""
        assert self._loop is not None, "le labo n'est pas démarré"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def reset(self) -> None:
        """Back to a freshly installed server: no connection, empty mailboxes, clock at zero.

        The reset lab is also the one the next scenario's ``labo.deposer`` & co. act on: in a
        process that started several labs, the one being reset is the one about to be used.
        """
        assert self.context is not None
        scenario.register(self)
        for running in self._services.values():
            self.call(running.drop_connections())
        REGISTRY.clear()
        self.context.options = self.options
        self.context.clock.reset()
        self.context.store.reset()
        self.recorder.clear()

    def settle(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until the proxies have seen every connection close.

        A client's last reply is recorded before the client reads it, but its closing happens
        asynchronously: waiting here makes the end of every transcript complete and repeatable.
        """
        for running in self._services.values():
            self.call(running.proxy.wait_idle(timeout), timeout=timeout + 1)

    def stop(self) -> None:
        """Close every server and connection, end the loop thread and delete the temp files."""
        _unregister(self)
        if self._loop is not None:
            for running in self._services.values():
                self.call(running.close())
            self._services.clear()
            self.call(_cancel_leftovers())
            self.call(self._loop.shutdown_default_executor())  # the MTA's relay threads
            self._loop.call_soon_threadsafe(self._loop.stop)
            assert self._thread is not None
            self._thread.join(5)
            self._loop.close()
            self._loop = None
            self._thread = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what the lab offers ---------------------------------------------------------------------

    def endpoint(self, service: str) -> tuple[str, int]:
        """The (host, port) where clients reach ``service`` (through the recording proxy)."""
        return self.listen_host, self._services[service].port

    def backend_ports(self) -> set[int]:
        """The loopback ports of the servers themselves, which only their proxies may reach."""
        return {running.backend.port for running in self._services.values()}

    @property
    def ca_file(self) -> Path:
        assert self.context is not None
        return self.context.tls.ca_file

    def transcript(self) -> Transcript:
        return self.recorder.snapshot()

    def describe(self) -> dict[str, Any]:
        """The JSON that ``python -m labo serve --describe FILE`` writes for real clients."""

        services: dict[str, Any] = {}
        for name, service in SERVICES.items():
            host, port = self.endpoint(name)
            services[name] = {
                "host": host,
                "port": port,
                "hostname": SERVER_NAME,  # the name every lab certificate carries
                "tls": service.tls_label,
            }
        return {
            "ca_file": str(self.ca_file),
            "users": [
                {"login": u.login, "password": u.password, "address": u.address} for u in USERS
            ],
            "services": services,
        }


def _unregister(lab: Lab) -> None:
    """Stop offering ``lab`` to examples, unless another lab has taken its place meanwhile."""
    with contextlib.suppress(RuntimeError):  # no lab registered at all
        if scenario.current_lab() is lab:
            scenario.register(None)


async def _cancel_leftovers() -> None:
    """asyncio 3.11: ``Server.close()`` leaves live connections running; cancel what remains."""
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)
