"""Reference servers for the tests: skipped (in French) when Postfix or Dovecot is missing.

One set of instances serves the whole package and is reset before each test; the tests of the
life cycle itself start their own.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator

import pytest

from labo.reference.install import missing_packages
from labo.reference.servers import ReferenceServers


def _skip_reason() -> str | None:
    missing = missing_packages()
    if missing:
        return (
            f"Postfix et Dovecot ne sont pas installés ({', '.join(missing)})\u00a0: "
            "lancez «\u00a0make reference\u00a0» (en root) pour les installer."
        )
    if os.geteuid() != 0:
        return (
            "Les serveurs de référence démarrent en root\u00a0: "
            "lancez «\u00a0make reference\u00a0» en root."
        )
    return None


@pytest.fixture(scope="session")
def servers_available() -> None:
    """Skip, with a French reason naming ``make reference``, where the servers cannot run."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def reference_started(servers_available: None) -> Iterator[ReferenceServers]:
    with ReferenceServers() as servers:
        yield servers


@pytest.fixture
def reference(reference_started: ReferenceServers) -> ReferenceServers:
    """The shared instances, with empty queues and mailboxes."""
    reference_started.reset()
    return reference_started


@pytest.fixture
def tls(reference_started: ReferenceServers) -> ssl.SSLContext:
    """A client context that trusts the reference CA only."""
    return ssl.create_default_context(cafile=reference_started.ca_file)
