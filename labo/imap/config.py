"""pymap's settings for the lab: fixed greeting, cheap passwords, sane limits, TLS from the lab.

One configuration per listener: the ``imap`` one offers STARTTLS (and so hides LOGIN and AUTH
until TLS is on), the ``imaps`` one is already inside TLS and offers AUTH from the greeting.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Sequence

from proxyprotocol.v1 import ProxyProtocolV1
from pymap.backend.maildir import Config
from pymap.concurrent import Subsystem
from pymap.parsing.commands import Commands
from pysasl.hashing import Cleartext

from labo.context import LabContext
from labo.imap import commands

#: Largest APPEND literal, announced as APPENDLIMIT (RFC 7889): 10 MiB, the SMTP server's SIZE.
#: pymap's default is 1 GB, read into memory.
MAX_APPEND_SIZE = 10 * 1024 * 1024

#: Longest command line, literals excluded; beyond it the command gets BAD and is skipped.
MAX_LINE = 64 * 1024

#: Largest whole command, literals included (one APPEND of the largest message, and its line).
MAX_COMMAND = MAX_APPEND_SIZE + MAX_LINE

#: Largest whole command before a client has logged in: LOGIN or AUTHENTICATE never need more,
#: and an anonymous client must not make the server hold megabytes (64 KiB, like Dovecot's
#: pre-login input limit order of magnitude).
MAX_UNAUTHENTICATED_COMMAND = 64 * 1024

#: Deepest parenthesis nesting a command may use (SEARCH criteria, FETCH items): real clients
#: stay below ten levels; pymap's recursive parser fails near a thousand.
MAX_NESTING = 64

#: Consecutive BAD commands after which the server says BYE and closes the connection.
BAD_COMMAND_LIMIT = 5


class LabImapConfig(Config):
    """pymap's maildir configuration, with the provider's greeting, commands and capabilities."""

    #: The text of the greeting, after ``* OK [CAPABILITY ...]``: the provider's IMAP host.
    lab_greeting = b"IMAP ready"

    @property
    def greeting(self) -> bytes:
        return self.lab_greeting  # pymap's default names the machine (socket.getfqdn())

    @property
    def commands(self) -> Commands:
        return commands.lab_commands()

    @property
    def login_capability(self) -> Sequence[bytes]:
        return [*super().login_capability, *commands.CAPABILITIES, b"SPECIAL-USE"]


def build_config(ctx: LabContext, *, starttls: bool) -> LabImapConfig:
    """The configuration of one listener; ``starttls`` False for implicit TLS (imaps)."""
    asyncio_subsystem = Subsystem.for_asyncio()
    config = LabImapConfig(
        Namespace(),
        host="127.0.0.1",
        port=0,
        base_dir=str(ctx.store.mail_root),
        layout="++",  # Maildir++, the store's layout: folders are .Name subdirectories
        colon=None,
        subsystem=asyncio_subsystem,
        # The default CPU pool would start threads nobody stops; checks here cost nothing.
        cpu_subsystem=asyncio_subsystem,
        ssl_context=ctx.tls.server_context(),
        tls_enabled=starttls,
        # The lab's login compares passwords in clear; pymap's default pbkdf2 context would
        # cost ~200 ms per LOGIN if anything used it.
        hash_context=Cleartext(),
        # The recording proxy announces the client with a PROXY protocol v1 header.
        proxy_protocol=ProxyProtocolV1(),
        max_append_len=MAX_APPEND_SIZE,
        bad_command_limit=BAD_COMMAND_LIMIT,
    )
    config.lab_greeting = f"{ctx.provider.host('imap').name} IMAP ready".encode("ascii")
    return config
