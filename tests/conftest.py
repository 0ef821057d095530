"""Fixtures shared by the whole suite: one lab started for the session, reset for each test.

Starting the lab costs tens of milliseconds and resetting it a few, so tests share one lab and
each starts from a freshly installed server, as every example does under the build runner.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loop_thread import LoopThread

from labo import netmap
from labo.lab import Lab


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
