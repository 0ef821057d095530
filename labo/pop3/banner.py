"""The APOP timestamp each greeting carries (RFC 1939 §7): unique per greeting, yet repeatable.

RFC 1939 suggests ``<process-ID.clock@hostname>``. The lab keeps the shape but takes the first
part from a counter that starts over when the store is reset, and a constant instead of the
clock: asking the lab clock would shift every date a scenario writes after the connection.
Both POP3 services of one store share the counter, so pop3 and pop3s never repeat a banner.
"""

from __future__ import annotations

import threading
import weakref

from labo.clock import EPOCH
from labo.store import MailStore

#: The "clock" half of every banner: the lab's first instant, as Unix time.
STAMP = int(EPOCH.timestamp())


class BannerSource:
    """Hands out ``<1.STAMP@host>``, ``<2.STAMP@host>``… and starts over on ``reset``."""

    def __init__(self, hostname: str) -> None:
        self._hostname = hostname
        self._issued = 0
        self._lock = threading.Lock()  # reset() is called from the thread that resets the store

    def next_banner(self) -> str:
        with self._lock:
            self._issued += 1
            number = self._issued
        return f"<{number}.{STAMP}@{self._hostname}>"

    def reset(self) -> None:
        with self._lock:
            self._issued = 0


_sources: weakref.WeakKeyDictionary[MailStore, BannerSource] = weakref.WeakKeyDictionary()


def banner_source(store: MailStore, hostname: str) -> BannerSource:
    """The banner counter of ``store``, created and hooked to its resets on first use."""
    source = _sources.get(store)
    if source is None:
        source = BannerSource(hostname)
        store.on_reset(source.reset)
        _sources[store] = source
    return source
