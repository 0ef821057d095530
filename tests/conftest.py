"""Fixtures shared by the whole suite, and how pytest-xdist shares the suite between workers.

Starting the lab costs tens of milliseconds and resetting it a few, so tests share one lab and
each starts from a freshly installed server, as every example does under the build runner.

`make test` runs the suite on one xdist worker per core. Each test module is one unit of work, so
a module's fixtures run once; the reference tests are one unit, so one set of Postfix and Dovecot
instances serves them all. Modules marked ``long_setup`` are handed
out first, so that the longest units do not start last and leave a worker idle at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from loop_thread import LoopThread
from xdist.scheduler import LoadScopeScheduling

from labo import netmap
from labo.lab import Lab

#: Tests under these folders share session fixtures (the reference servers): each folder is one
#: unit of work. The site that the site and browser tests read needs no such unit: it is built
#: once per run for every worker (tests/site/shared_site.py).
ONE_UNIT_FOLDERS = ("tests/reference",)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "long_setup: a module whose fixtures take long; run it among the first"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("long_setup") is None)


def unit_of_work(nodeid: str) -> str:
    """The module of a test, or the folder for those of ``ONE_UNIT_FOLDERS``."""
    module = nodeid.split("::", 1)[0]
    folder = module.rsplit("/", 1)[0]
    return folder if folder in ONE_UNIT_FOLDERS else module


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Hand out whole units of work (xdist's ``loadgroup`` marks do not work with pytest 9)."""

    class ByUnitOfWork(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of_work(nodeid)

    return ByUnitOfWork(config, log)


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    """A background event loop for the servers a test module starts alone."""
    thread = LoopThread()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The lab, started once for the session; reset it (or use ``lab_routed``) before use."""
    with Lab() as started:
        yield started


@pytest.fixture
def lab_routed(lab: Lab) -> Iterator[Lab]:
    """The session lab, reset, with lab host names routed to it as in an example.

    Inside the test ``smtplib.SMTP("smtp.example.com", 587)`` reaches the lab's recording proxy,
    ``ssl.create_default_context()`` trusts the lab CA, and every other destination is refused.
    """
    lab.reset()
    with netmap.routed_to(lab):
        yield lab
