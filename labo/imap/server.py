"""An IMAP listener: pymap over the lab's store, on an ephemeral loopback port.

Connections are accepted by hand rather than with ``asyncio.start_server``, for two reasons. On
``imaps`` the recording proxy may put its PROXY header ahead of the TLS handshake, and the header
must be read without taking a byte of the handshake, before TLS starts. And every connection must
be known, to be dropped between scenarios: asyncio 3.11's ``Server.close()`` leaves live
connections running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import weakref
from asyncio import StreamReader, StreamWriter
from collections.abc import Callable
from contextlib import AsyncExitStack, closing
from functools import partial

from proxyprotocol import ProxyProtocolSyntaxError
from pymap.context import connection_exit

from labo.context import LabContext
from labo.identity import Service
from labo.imap.changes import ChangeBoard
from labo.imap.config import MAX_LINE, build_config
from labo.imap.connection import LabConnectionState, LabImapConnection, RemoteSocketInfo
from labo.imap.identifiers import seed_inboxes
from labo.imap.login import LabLogin
from labo.imap.proxyheader import read_header_before_tls
from labo.imap.special_use import create_special_folders
from labo.store import MailStore

_log = logging.getLogger(__name__)

#: Seconds an ``imaps`` client has to send its PROXY header and complete the TLS handshake.
HANDSHAKE_TIMEOUT = 10.0

#: Seconds dropped connections get to wind down once their sockets are cut.
DROP_TIMEOUT = 2.0


class ImapBackend:
    """One IMAP service (``imap``: plain + STARTTLS, ``imaps``: implicit TLS) for the lab."""

    def __init__(self, ctx: LabContext, service: Service) -> None:
        self._ctx = ctx
        self._service = service
        self._implicit_tls = service.tls == "implicit"
        self._config = build_config(ctx, starttls=not self._implicit_tls)
        self._changes = ChangeBoard()
        self._stop_listening_to_store: Callable[[], None] | None = None
        self._login = LabLogin(self._config, ctx.store, ctx.clock, self._changes)
        self._commands = self._config.commands
        self._listener: socket.socket | None = None
        self._port = 0
        self._accepting: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # strong references, one per connection
        self._writers: dict[asyncio.Task[None], StreamWriter] = {}  # once the streams are open
        self._accepted = 0

    @property
    def name(self) -> str:
        """The service served: ``imap`` or ``imaps``."""
        return self._service.name

    @property
    def port(self) -> int:
        """The loopback port the server listens on (0 before ``start``)."""
        return self._port

    @property
    def live_connections(self) -> int:
        """How many clients are connected right now."""
        return len(self._tasks)

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a port the system picks; serve on the running loop."""
        # pymap reads its concurrency mode from a context variable that every connection task
        # inherits from here; without it, it silently falls back to a default.
        self._config.apply_context()
        store = self._ctx.store
        if store not in _PREPARED:  # both IMAP services of a provider share one store
            _PREPARED.add(store)
            _prepare_mailboxes(store)
            store.on_reset(partial(_prepare_mailboxes, store))
        self._stop_listening_to_store = self._changes.listen(store)
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setblocking(False)
        self._listener = listener
        self._port = int(listener.getsockname()[1])
        self._accepting = asyncio.create_task(self._accept(listener), name=f"imap-{self.name}")

    async def drop_connections(self) -> None:
        """Cut every live connection, as a server restart would, and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            writer = self._writers.get(task)
            if writer is not None:
                writer.transport.abort()  # pymap's loop then ends on EOF, IDLE included
            else:
                task.cancel()  # still reading the PROXY header or negotiating TLS
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=DROP_TIMEOUT)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        """Stop listening, drop every connection; nothing of this server keeps running."""
        if self._accepting is not None:
            self._accepting.cancel()
            await asyncio.gather(self._accepting, return_exceptions=True)
            self._accepting = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._stop_listening_to_store is not None:
            self._stop_listening_to_store()
            self._stop_listening_to_store = None
        await self.drop_connections()

    # -- connections ----------------------------------------------------------------------------

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(listener)
            except OSError as exc:  # out of descriptors, for one: wait, do not spin
                _log.warning("IMAP %s : connexion refusée (%s)", self.name, exc)
                await asyncio.sleep(0.1)
                continue
            # asyncio sets TCP_NODELAY only on sockets it made itself: without it, each reply
            # line after the first waits for the client's delayed ACK (some 40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._accepted += 1
            task = asyncio.create_task(self._serve(sock, self._accepted))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, sock: socket.socket, number: int) -> None:
        task = asyncio.current_task()
        assert task is not None
        try:
            header_read = await self._read_header(sock)
            reader, writer = await self._open(sock)
        except (OSError, TimeoutError, ProxyProtocolSyntaxError, ValueError) as exc:
            _log.debug("IMAP %s : connexion %d abandonnée : %r", self.name, number, exc)
            sock.close()
            return
        except asyncio.CancelledError:
            sock.close()
            raise
        self._writers[task] = writer
        sock_info = RemoteSocketInfo(writer, unique_id=number.to_bytes(4, "big"))
        imap = LabImapConnection(
            self._commands,
            self._config,
            reader,
            writer,
            sock_info,
            proxy_header_expected=not header_read,
        )
        state = LabConnectionState(self._login, self._config)
        try:
            async with AsyncExitStack() as stack:
                connection_exit.set(stack)
                stack.enter_context(closing(imap))
                await imap.run(state)
        except Exception:
            _log.exception("IMAP %s : erreur du serveur sur la connexion %d", self.name, number)
        finally:
            del self._writers[task]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_header(self, sock: socket.socket) -> bool:
        """On ``imaps``, consume a PROXY header sent ahead of TLS; True if there was one."""
        if not self._implicit_tls:
            return False  # in clear, the header is simply the first line the connection reads
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            header = await read_header_before_tls(sock, self._config.proxy_protocol)
        if header is None:
            return False
        _log.debug("IMAP %s : client annoncé par le proxy : %s", self.name, header.peername)
        return True

    async def _open(self, sock: socket.socket) -> tuple[StreamReader, StreamWriter]:
        """Streams over an accepted socket, through TLS from the first byte on ``imaps``."""
        loop = asyncio.get_running_loop()
        reader = StreamReader(limit=MAX_LINE, loop=loop)
        opened: asyncio.Future[StreamWriter] = loop.create_future()
        # A connection callback makes the protocol server-side, which STARTTLS relies on.
        protocol = asyncio.StreamReaderProtocol(
            reader, lambda _, writer: opened.set_result(writer), loop=loop
        )
        await loop.connect_accepted_socket(
            lambda: protocol,
            sock,
            ssl=self._ctx.tls.server_context() if self._implicit_tls else None,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT if self._implicit_tls else None,
        )
        return reader, await opened


#: The stores whose mailboxes an IMAP service already prepares at each reset.
_PREPARED: weakref.WeakSet[MailStore] = weakref.WeakSet()


def _prepare_mailboxes(store: MailStore) -> None:
    """What a fresh install holds: each INBOX's uidlist and the special-use folders."""
    seed_inboxes(store)
    create_special_folders(store)
