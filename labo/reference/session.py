"""One reference session: the servers started, and the example runner attached to them."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

from labo.identity import SERVICES
from labo.reference.config import ADDRESSES, Endpoint, EndpointKey
from labo.reference.description import describe
from labo.reference.install import Programs
from labo.reference.servers import ReferenceServers
from labo.runner.service import ExampleService

#: Time limit of one example against the reference servers (they are slower than the lab).
EXAMPLE_TIMEOUT = 20.0


@contextlib.contextmanager
def reference_runner(root: Path, programs: Programs | None = None) -> Iterator[ExampleService]:
    """Postfix and Dovecot started, and a runner whose worker runs examples against them.

    Each provider's port 25 proxy gets its port now, so that the other provider's Postfix
    relays through it (the hop is recorded); the worker's reference lab listens there.
    """
    ports, relays = _distinct_ports()
    with ReferenceServers(
        ports, programs=programs, relays=relays, hold_submissions=True
    ) as servers:
        runner = ExampleService(root, use_cache=False, reference=describe(servers, relays))
        try:
            yield runner
        finally:
            runner.close()


def _distinct_ports() -> tuple[dict[EndpointKey, int], dict[str, Endpoint]]:
    """Free ports for every server and relay proxy, all held at once so no two are the same."""
    keys = [(domain, name) for domain in ADDRESSES for name in SERVICES]
    keys += [(domain, "relais") for domain in ADDRESSES]
    with contextlib.ExitStack() as stack:
        chosen: dict[EndpointKey, int] = {}
        for domain, name in keys:
            sock = stack.enter_context(socket.socket())
            sock.bind((ADDRESSES[domain], 0))
            chosen[(domain, name)] = int(sock.getsockname()[1])
    relays = {domain: (ADDRESSES[domain], chosen.pop((domain, "relais"))) for domain in ADDRESSES}
    return chosen, relays
