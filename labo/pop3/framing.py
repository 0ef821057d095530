"""How a stored message travels in a POP3 multi-line response (RFC 1939 §3, §7).

Sizes announced by STAT and LIST must be the octets RETR really sends, so every size and every
transfer is computed from the same normalised form: CRLF line ends and a final CRLF.
"""

from __future__ import annotations

import re

CRLF = b"\r\n"

_BARE_LF = re.compile(rb"(?<!\r)\n")
_DOT_AT_LINE_START = re.compile(rb"^\.", re.MULTILINE)


def normalise(message: bytes) -> bytes:
    """The message as POP3 sends it: bare LF become CRLF, and the last line ends with CRLF."""
    message = _BARE_LF.sub(CRLF, message)
    if message and not message.endswith(CRLF):
        message += CRLF
    return message


def dot_stuff(payload: bytes) -> bytes:
    """A normalised payload made safe to send: "." doubled at line starts, then the "." line.

    Without the doubling, a body line holding a single "." would end the response early and the
    rest of the message would be read by the client as replies to its next commands.
    """
    return _DOT_AT_LINE_START.sub(b"..", payload) + b"." + CRLF


def head_and_body_lines(message: bytes, lines: int) -> bytes:
    """What TOP sends: the header, the blank line, then the first ``lines`` lines of the body.

    ``message`` must be normalised. A message without a blank line is all header and is sent
    whole, as is a body shorter than ``lines``.
    """
    if message.startswith(CRLF):
        body_start = len(CRLF)
    else:
        separator = message.find(CRLF + CRLF)
        if separator < 0:
            return message
        body_start = separator + 2 * len(CRLF)
    end = body_start
    for _ in range(lines):
        line_end = message.find(CRLF, end)
        if line_end < 0:
            return message
        end = line_end + len(CRLF)
    return message[:end]


def text_lines(lines: list[str]) -> bytes:
    """Protocol lines (listings, capabilities) as the payload of a multi-line response."""
    return b"".join(line.encode("utf-8") + CRLF for line in lines)
