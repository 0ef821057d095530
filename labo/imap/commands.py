"""The IMAP commands pymap lacks and every Dovecot user meets: UNSELECT, NAMESPACE, ENABLE.

pymap answers each of them ``BAD … Unknown command``. Here they are parsed like pymap's own
commands and answered by :class:`labo.imap.connection.LabConnectionState`.
"""

from __future__ import annotations

from pymap.parsing import EndLine, Params, Space
from pymap.parsing.command import CommandAuth, CommandNoArgs, CommandSelect
from pymap.parsing.commands import Commands
from pymap.parsing.exceptions import NotParseable
from pymap.parsing.primitives import Atom

#: What a client may turn on with ENABLE (RFC 5161): nothing, for no extension needs it here.
ENABLEABLE: frozenset[bytes] = frozenset()

#: Capabilities these commands add after login.
CAPABILITIES: tuple[bytes, ...] = (b"NAMESPACE", b"UNSELECT", b"ENABLE")


class UnselectCommand(CommandNoArgs, CommandSelect):
    """UNSELECT (RFC 3691): leave the selected mailbox without expunging, unlike CLOSE."""

    command = b"UNSELECT"


class NamespaceCommand(CommandNoArgs, CommandAuth):
    """NAMESPACE (RFC 2342): where the user's folders live and how their names are split."""

    command = b"NAMESPACE"


class EnableCommand(CommandAuth):
    """ENABLE (RFC 5161): the client names the extensions it wants turned on."""

    command = b"ENABLE"

    def __init__(self, tag: bytes, capabilities: tuple[bytes, ...]) -> None:
        super().__init__(tag)
        self.capabilities = capabilities

    @classmethod
    def parse(cls, buf: memoryview, params: Params) -> tuple[EnableCommand, memoryview]:
        # enable = "ENABLE" 1*(SP capability)
        names: list[bytes] = []
        _, buf = Space.parse(buf, params)
        atom, buf = Atom.parse(buf, params)
        names.append(atom.value.upper())
        while True:
            try:
                _, after_space = Space.parse(buf, params)
            except NotParseable:
                break
            atom, buf = Atom.parse(after_space, params)
            names.append(atom.value.upper())
        _, buf = EndLine.parse(buf, params)
        return cls(params.tag, tuple(names)), buf


def lab_commands() -> Commands:
    """pymap's commands and the three above."""
    commands = Commands()
    for command in (UnselectCommand, NamespaceCommand, EnableCommand):
        commands.register(command)
    return commands
