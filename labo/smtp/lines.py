"""Reading one protocol line with bounded memory, whatever the client sends.

``asyncio.StreamReader`` stops buffering at its ``limit`` and raises ``LimitOverrunError``;
aiosmtpd then drains the line but keeps every fragment of it in DATA, so a 64 MiB line without
a line end costs 64 MiB. Here an over-long line is read and thrown away chunk by chunk: the
caller learns only that it was too long. Where the protocol says to give up on a client that
never ends its line (a command line), ``give_up_after`` bounds the time spent reading it too.
"""

from __future__ import annotations

import asyncio


class EndlessLine(Exception):
    """More than ``give_up_after`` bytes came without a line end."""


async def read_line(
    reader: asyncio.StreamReader, separator: bytes, *, give_up_after: int | None = None
) -> bytes | None:
    """The next line with its separator, or ``None`` if it overran the reader's limit.

    An over-long line is consumed up to and including its separator, keeping none of it.
    Raises ``EndlessLine`` once more than ``give_up_after`` bytes of one line are discarded,
    and ``asyncio.IncompleteReadError`` if the stream ends in the middle of a line.
    """
    discarded = 0
    while True:
        try:
            line = await reader.readuntil(separator)
        except asyncio.LimitOverrunError as overrun:
            discarded += len(await reader.read(overrun.consumed))
            if give_up_after is not None and discarded > give_up_after:
                raise EndlessLine from None
            continue
        return None if discarded else line
