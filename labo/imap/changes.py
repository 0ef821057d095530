"""Change signals that wake IMAP IDLE sessions, instead of pymap's once-a-second poll.

Every writer of the store (SMTP delivery, ``deposer``, POP3 deletions at QUIT, IMAP sessions on
either listener) calls :meth:`labo.store.MailStore.changed`; one :class:`ChangeBoard` per listener
turns that into a counter per user on the listener's event loop. A session remembers the count it
last read the mailbox at and waits only while nothing has changed since, so a change made
between two reads is never missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pymap.concurrent import Event

from labo.identity import User
from labo.store import MailStore


class ChangeSignal:
    """How many times one user's mailboxes changed; IDLE sessions wait for the next change."""

    def __init__(self) -> None:
        self.version = 0
        self._waiters: set[Event] = set()

    def bump(self) -> None:
        """Record a change and wake every session waiting for one."""
        self.version += 1
        for waiter in list(self._waiters):
            waiter.set()

    async def wait_beyond(self, seen: int, done: Event) -> None:
        """Return once the count is past ``seen``, or once ``done`` is set (IDLE ended)."""
        if self.version != seen or done.is_set():
            return
        woken = done.or_event()  # set by ``done`` as well as by :meth:`bump`
        self._waiters.add(woken)
        try:
            await woken.wait()
        finally:
            self._waiters.discard(woken)


class ChangeBoard:
    """The change signals of every user, owned by one listener's event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._signals: dict[str, ChangeSignal] = {}

    def listen(self, store: MailStore) -> Callable[[], None]:
        """Follow ``store``'s changes from the running loop; returns what stops following."""
        self._loop = asyncio.get_running_loop()
        return store.on_change(self.notify)

    def signal(self, login: str) -> ChangeSignal:
        """The signal of ``login`` (created on first use; only on the loop's thread)."""
        signal = self._signals.get(login)
        if signal is None:
            signal = self._signals[login] = ChangeSignal()
        return signal

    def notify(self, user: User) -> None:
        """Called by the store from any thread: bump ``user``'s signal on the loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._bump, user.login)

    def _bump(self, login: str) -> None:
        self.signal(login).bump()
