"""The reference "lab": the lab's recording proxies in front of Postfix and Dovecot.

An example worker uses it exactly like ``labo.lab.Lab``: the same ``netmap`` routes, the same
recorder and transcript format, the same ``reset``/``settle``. The servers behind the proxies
are the private reference instances another process started (``labo.reference.servers``).

Choices, declared rather than hidden:

- TLS: each proxy presents the reference servers' own certificate (issued by the reference CA
  for the provider's names), and ``ca_file`` is the reference CA: an example trusts exactly
  what it would trust talking to Postfix or Dovecot directly. The proxy checks the server's
  certificate against the same CA.
- No DNS server: Postfix relays by transport map, so transcripts have no DNS lookups.
- No PROXY header: each provider's servers listen on their own loopback address, and the proxy
  reaches them from 127.0.0.1, a client address Postfix and Dovecot do not trust.
- Submissions are held by Postfix and released once the submitting client has disconnected,
  so the relay to the other provider always comes after the submission in the transcript.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from labo import scenario
from labo.clock import LabClock
from labo.context import LabOptions
from labo.identity import PROVIDERS, SERVICES, User, provider_of
from labo.reference.config import ADDRESSES
from labo.reference.description import attach
from labo.reference.listing import postqueue_listing
from labo.reference.servers import ReferenceServers
from labo.wire.labels import DEVICES, REGISTRY, ClientInfo
from labo.wire.proxy import RecordingProxy
from labo.wire.relay import RelaySettings
from labo.wire.transcript import Recorder, Transcript

T = TypeVar("T")
ServiceKey = tuple[str, str]

#: How long ``settle`` may wait, at least, for Postfix to deliver what an example queued.
SETTLE_SECONDS = 10.0

#: Services whose connections carry mail: the ones ``flush_queues`` waits for.
MAIL_SERVICES = ("smtp", "submission", "submissions")

#: Services whose clients submit mail that Postfix holds until they disconnect.
SUBMISSION = ("submission", "submissions")


@dataclass
class ReferenceShared:
    """What ``labo.scenario`` reads of a lab: its clock and options (unused by real servers)."""

    clock: LabClock = field(default_factory=LabClock)
    options: LabOptions = field(default_factory=LabOptions)


class _LmtpStore:
    """``deposer`` puts a message in a mailbox: here, through Dovecot's LMTP."""

    def __init__(self, servers: ReferenceServers) -> None:
        self._servers = servers

    def deliver(self, user: User, message: bytes) -> str:
        self._servers.deliver(user.address, message)
        return ""  # Dovecot names the Maildir file itself


@dataclass
class _ProviderView:
    """The part of ``labo.context.LabContext`` that ``labo.scenario`` uses: ``deposer`` puts
    mail through LMTP, ``file_attente`` reads the provider's real ``postqueue -p``."""

    clock: LabClock
    store: _LmtpStore
    servers: ReferenceServers
    domain: str
    mta: None = None

    def queue_listing(self) -> str:
        return postqueue_listing(self.servers.config, self.servers.programs, self.domain)


class _ReferenceTLS:
    """The reference certificates, as the proxy presents and checks them."""

    def __init__(self, root: Path, ca_file: Path) -> None:
        self._root = root
        self.ca_file = ca_file

    def server_context(self, key: str) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        certs = self._root / "certs"
        context.load_cert_chain(certs / f"{key}.pem", certs / f"{key}.key")
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_verify_locations(self.ca_file)
        return context


class ReferenceLab:
    """Start with ``start()`` (or ``with``), ``reset()`` between examples, like ``Lab``."""

    def __init__(self, description: dict[str, Any]) -> None:
        self.servers, self._relays = attach(description)
        self.recorder = Recorder()
        self.shared = ReferenceShared()
        self.options = self.shared.options
        #: Threads the lab started for its own work (besides its loop).
        self.threads: set[threading.Thread] = set()
        self._tls = _ReferenceTLS(self.servers.root, self.servers.ca_file)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._proxies: dict[ServiceKey, RecordingProxy] = {}
        self._releases: set[asyncio.Future[None]] = set()
        self._views = {
            domain: _ProviderView(self.shared.clock, _LmtpStore(self.servers), self.servers, domain)
            for domain in PROVIDERS
        }

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> ReferenceLab:
        self._loop = asyncio.new_event_loop()
        self._loop.set_default_executor(  # releases held mail; its threads are the lab's
            ThreadPoolExecutor(
                thread_name_prefix="labo-reference-executeur",
                initializer=lambda: self.threads.add(threading.current_thread()),
            )
        )
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="labo-reference", daemon=True
        )
        self._thread.start()
        try:
            for key in self.servers.endpoints:
                self._proxies[key] = self.call(self._start_proxy(*key))
        except BaseException:
            self.stop()
            raise
        scenario.register(self)  # type: ignore[arg-type]  # what deposer needs, duck-typed
        return self

    async def _start_proxy(self, domain: str, name: str) -> RecordingProxy:
        provider = PROVIDERS[domain]
        service = SERVICES[name]
        backend_host, backend_port = self.servers.endpoints[(domain, name)]
        hostname = provider.hostname_for(service)
        peers = {
            ADDRESSES[other]: ClientInfo(f"MTA d’{other}", hostname)
            for other in PROVIDERS
            if other != domain
        }
        settings = RelaySettings(
            service=service,
            backend_port=backend_port,
            backend_host=backend_host,
            hostname=hostname,
            server_address=provider.host(service.host_role).address,
            recorder=self.recorder,
            server_context=self._tls.server_context(provider.key),
            client_context=self._tls.client_context(),
            proxy_protocol=False,
            peers=peers,
        )
        on_closed = self._release_held if name in SUBMISSION else None
        proxy = RecordingProxy(settings, on_closed)
        relay = self._relays.get(domain) if name == "smtp" else None
        await proxy.listen(ADDRESSES[domain], relay[1] if relay else 0)
        return proxy

    def _release_held(self) -> None:
        """A submitting client left: Postfix may now relay what it queued (on the lab loop)."""
        assert self._loop is not None
        release = self._loop.run_in_executor(None, self.servers.release_held)
        self._releases.add(release)
        release.add_done_callback(self._releases.discard)

    async def _releases_done(self) -> None:
        """Wait for the releases under way: their ``postqueue`` must not outlive the example."""
        await asyncio.gather(*list(self._releases), return_exceptions=True)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        assert self._loop is not None, "le labo de référence n'est pas démarré"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def stop(self) -> None:
        """Close the proxies and the loop; the servers belong to the process that started them."""
        with contextlib.suppress(RuntimeError):
            if scenario.current_lab() is self:  # type: ignore[comparison-overlap]
                scenario.register(None)
        if self._loop is not None:
            for proxy in self._proxies.values():
                self.call(proxy.close())
            self._proxies.clear()
            self.call(self._loop.shutdown_default_executor())
            self._loop.call_soon_threadsafe(self._loop.stop)
            assert self._thread is not None
            self._thread.join(5)
            self._loop.close()
            self._loop = None
        self.servers.stop()  # attached: lets go, stops nothing

    def __enter__(self) -> ReferenceLab:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- between two examples -------------------------------------------------------------------

    def reset(self) -> None:
        """No connection, empty queues and mailboxes, clock at zero."""
        scenario.register(self)  # type: ignore[arg-type]
        for proxy in self._proxies.values():
            self.call(proxy.drop_connections())
        REGISTRY.clear()
        DEVICES.clear()
        self.shared.clock.reset()
        self.shared.options = self.options
        self.servers.reset()
        self.recorder.clear()

    def settle(self, timeout: float, *, services: tuple[str, ...] | None = None) -> None:
        """Until nothing moves: every proxy idle and both Postfix queues empty, twice in a row.

        ``services``: only the proxies of those services are waited for (default: all).

        Real delivery starts processes (queue manager, SMTP client, LMTP): under load it takes
        longer than the lab's in-process hops, so the queues get at least ``SETTLE_SECONDS``.
        Never raises: what did not happen in time is missing from the transcript, a difference.
        """
        deadline = time.monotonic() + max(timeout, SETTLE_SECONDS)
        seen = -1
        while True:
            # A connection the example left open is waited for ``timeout`` at most, as in the lab.
            remaining = max(0.01, min(timeout, deadline - time.monotonic()))
            try:
                for (_, service), proxy in list(self._proxies.items()):
                    if services is None or service in services:
                        self.call(proxy.wait_idle(remaining), timeout=remaining + 1)
                self.call(self._releases_done(), timeout=SETTLE_SECONDS)
                self.servers.wait_for_queues_empty(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return  # what is still queued will be missing from the transcript: a difference
            count = len(self.recorder.snapshot().events)
            if count == seen or time.monotonic() >= deadline:
                return
            seen = count

    def flush_queues(self, timeout: float = 10.0) -> None:
        """Until the MTAs are done: the proxies that carry mail idle, the queues settled.

        A mailbox connection the example keeps open (an IMAP ``IDLE`` waiting for the bounce)
        carries no mail and is not waited for, as in the lab.
        """
        self.settle(timeout, services=MAIL_SERVICES)

    # -- what the examples and the runner see ---------------------------------------------------

    def endpoints(self) -> dict[ServiceKey, tuple[str, int]]:
        return {key: (ADDRESSES[key[0]], proxy.port) for key, proxy in self._proxies.items()}

    def backend_ports(self) -> set[int]:
        """The servers' ports (the proxies reach them) and Dovecot's LMTP (``deposer``)."""
        config = self.servers.config
        return {port for _, port in config.endpoints.values()} | {
            port for _, port in config.lmtp.values()
        }

    @property
    def ca_file(self) -> Path:
        return self.servers.ca_file

    def context_of(self, address_or_domain: str) -> _ProviderView:
        provider = provider_of(address_or_domain)
        if provider is None:
            raise LookupError(f"« {address_or_domain} » n'est pas un domaine du labo")
        return self._views[provider.domain]

    def transcript(self) -> Transcript:
        return self.recorder.snapshot()
