"""The lab orchestrator: one background asyncio loop running every server and its recording proxy.

The lab runs two providers (``labo.identity.PROVIDERS``), each with its own seven services.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from labo import scenario
from labo.clock import LabClock
from labo.context import LabContext, LabOptions, LabShared
from labo.dns.resolver import configure_default_resolver, forget_default_resolver
from labo.identity import PROVIDERS, SERVICES, USERS, User, provider_of
from labo.store import MailStore
from labo.tls import LabTLS
from labo.wire.labels import DEVICES, REGISTRY
from labo.wire.transcript import Recorder, Transcript

T = TypeVar("T")

#: A service of one provider: ("example.org", "imaps").
ServiceKey = tuple[str, str]


class Lab:
    """Start with ``start()`` (or ``with Lab() as lab:``), ``reset()`` between scenarios."""

    def __init__(
        self,
        options: LabOptions | None = None,
        *,
        listen_host: str = "127.0.0.1",
        ports: dict[ServiceKey, int] | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.options = options or LabOptions()
        self.listen_host = listen_host
        self._requested_ports = ports or {}
        self.recorder = recorder or Recorder()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._workdir: Path | None = None
        self._services: dict[ServiceKey, Any] = {}  # running service (backend + proxy)
        self.contexts: dict[str, LabContext] = {}  # by provider domain
        self.shared: LabShared | None = None
        self.tls: LabTLS | None = None
        self._dns: Any = None  # labo.dns.server.DnsServer, once started
        #: Threads the lab started for its own work (not an example's leftovers).
        self.threads: set[threading.Thread] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Lab:
        from labo.services import start_service  # deferred: pulls in aiosmtpd and pymap

        self._workdir = Path(tempfile.mkdtemp(prefix="labo-"))
        self.tls = LabTLS(self._workdir)
        self.shared = LabShared(LabClock(), self.options)
        for domain, provider in PROVIDERS.items():
            directory = self._workdir / domain
            directory.mkdir()
            self.contexts[domain] = LabContext.create(
                directory, tls=self.tls, provider=provider, shared=self.shared
            )
        self._loop = asyncio.new_event_loop()
        # The lab's own worker threads (relays, DNS lookups of its servers), named and known,
        # so that a runner never takes them for threads an example left behind.
        self._loop.set_default_executor(
            ThreadPoolExecutor(
                thread_name_prefix="labo-executeur",
                initializer=lambda: self.threads.add(threading.current_thread()),
            )
        )
        self._thread = threading.Thread(target=self._loop.run_forever, name="labo", daemon=True)
        self._thread.start()
        try:
            self._dns = self.call(_start_dns(self.recorder))
            self.shared.dns = ("127.0.0.1", self._dns.port)
            configure_default_resolver(*self.shared.dns)  # for examples that use dnspython
            for domain, context in self.contexts.items():
                for service in SERVICES.values():
                    key = (domain, service.name)
                    port = self._requested_ports.get(key, 0)
                    running = self.call(
                        start_service(context, service, self.recorder, self.listen_host, port)
                    )
                    self._services[key] = running
                    self.shared.proxy_ports[key] = running.port
                context.store.reset()
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
        assert self.shared is not None
        scenario.register(self)
        self.call(self._drop_everything(), timeout=12)
        REGISTRY.clear()
        DEVICES.clear()
        self.shared.options = self.options
        self.shared.clock.reset()
        for context in self.contexts.values():
            context.store.reset()
        self.recorder.clear()

    def flush_queues(self, timeout: float = 10.0) -> None:
        """Let every MTA deliver what is due now, and wait until nothing moves."""

        async def kick() -> None:
            for mta in self._mtas():
                mta.kick()

        self.call(kick())
        self.call(self._settle(timeout, services=("smtp",)), timeout=timeout + 1)

    def settle(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until the proxies have seen every connection close.

        A client's last reply is recorded before the client reads it, but its closing happens
        asynchronously: waiting here makes the end of every transcript complete and repeatable.
        """
        # A connection an example left open (an IDLE after a failed assertion) must not hide the
        # example's own error: past ``timeout`` the transcript is taken as it is.
        with contextlib.suppress(TimeoutError):
            self.call(self._settle(timeout), timeout=timeout + 1)

    def _mtas(self) -> list[Any]:
        """Each provider's MTA (``labo.smtp.mta.Mta``), once its SMTP services have started."""
        return [context.mta for context in self.contexts.values() if context.mta is not None]

    async def _settle(self, timeout: float, services: tuple[str, ...] | None = None) -> None:
        """Until nothing moves: the proxies of ``services`` (all by default) idle, no MTA
        delivering (a delivery opens connections, whose end may start another delivery)."""
        mtas = self._mtas()
        async with asyncio.timeout(timeout):
            while True:
                for (_, name), running in self._services.items():
                    if services is None or name in services:
                        await running.proxy.wait_idle(timeout)
                if not any(mta.busy for mta in mtas):
                    return
                for mta in mtas:
                    await mta.wait_idle()

    async def _drop_everything(self) -> None:
        """Cut every connection and end the deliveries in flight, in one trip to the loop: a
        reset runs before every example, and each trip wakes the loop thread."""
        for running in self._services.values():
            await running.drop_connections()
        await self._end_deliveries()
        if self._dns is not None:
            await self._dns.drop_connections()

    async def _end_deliveries(self, timeout: float = 10.0) -> None:
        """Wait for the MTA runs in flight (their connections just cut) to end, cutting what they
        open meanwhile: a delivery finishing after the reset would fill a mailbox of the next
        scenario, or race the store's reset."""
        mtas = self._mtas()
        async with asyncio.timeout(timeout):
            while any(mta.busy for mta in mtas):
                for mta in mtas:
                    await mta.wait_idle()
                for running in self._services.values():
                    await running.drop_connections()

    def stop(self) -> None:
        """Close every server and connection, end the loop thread and delete the temp files."""
        _unregister(self)
        if self._loop is not None:
            for mta in self._mtas():
                mta.close()
            for running in self._services.values():
                self.call(running.close())
            self._services.clear()
            if self._dns is not None:
                self.call(self._dns.close())
                self._dns = None
            forget_default_resolver()
            self.contexts.clear()
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

    def endpoint(self, domain: str, service: str) -> tuple[str, int]:
        """The (host, port) where clients reach ``service`` of the provider of ``domain``."""
        return self.listen_host, self._services[(domain, service)].port

    def endpoints(self) -> dict[ServiceKey, tuple[str, int]]:
        """Every service of every provider, as ``endpoint`` gives it."""
        return {key: self.endpoint(*key) for key in self._services}

    def context_of(self, address_or_domain: str) -> LabContext:
        """The context of the provider of ``bob@example.org`` or ``example.org``."""
        provider = provider_of(address_or_domain)
        if provider is None or provider.domain not in self.contexts:
            raise LookupError(f"« {address_or_domain} » n'est pas un domaine du labo")
        return self.contexts[provider.domain]

    def store_of(self, user: User) -> MailStore:
        """The mail store that keeps ``user``'s mailboxes (``labo.store.MailStore``)."""
        return self.context_of(user.address).store

    def backend_ports(self) -> set[int]:
        """The loopback ports of the servers themselves, which only their proxies may reach,
        and the DNS server's, which examples may ask."""
        ports = {running.backend.port for running in self._services.values()}
        return ports | ({self._dns.port} if self._dns is not None else set())

    @property
    def ca_file(self) -> Path:
        assert self.tls is not None, "le labo n'est pas démarré"
        return self.tls.ca_file

    def transcript(self) -> Transcript:
        return self.recorder.snapshot()

    def describe(self) -> dict[str, Any]:
        """The JSON that ``python -m labo serve --describe FILE`` writes for real clients."""

        providers: dict[str, Any] = {}
        for domain, provider in PROVIDERS.items():
            services: dict[str, Any] = {}
            for name, service in SERVICES.items():
                host, port = self.endpoint(domain, name)
                services[name] = {
                    "host": host,
                    "port": port,
                    "hostname": provider.hostname_for(service),  # on the certificate
                    "tls": service.tls_label,
                }
            providers[domain] = {"services": services}
        return {
            "ca_file": str(self.ca_file),
            "users": [
                {"login": u.login, "password": u.password, "address": u.address} for u in USERS
            ],
            "providers": providers,
        }


async def _start_dns(recorder: Recorder) -> Any:
    """The lab's DNS server, its zone signed with the providers' DKIM keys."""
    from labo.dns.server import start_dns
    from labo.dns.zone import build_zone
    from labo.senderauth import dkim_txt_records

    zone = build_zone({name: [text] for name, text in dkim_txt_records().items()})
    return await start_dns(zone, recorder)


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
