"""Cutting one direction of a byte stream into the protocol lines a transcript shows.

Mail protocols speak in lines, but TCP delivers arbitrary chunks: a line may arrive in pieces and
one chunk may hold several lines. The splitter keeps the incomplete tail until the rest arrives,
so that each transcript line is exactly one line of the dialogue, whatever the segmentation.

The proxy relays every byte unaltered, but what it *keeps* of a line is bounded: a client that
sends megabytes without a line feed (or one huge literal) costs the proxy ``LINE_LIMIT`` octets,
and the transcript shows the start of the line followed by « … tronqué » and its real size. The
servers behind the proxy answer such input with their protocol's error.
"""

from __future__ import annotations

#: The longest line kept whole: far above any protocol's command line (SMTP 512, POP3 255,
#: IMAP 8 KiB in practice) and above the lines of a message body (SMTP text lines: 1000).
LINE_LIMIT = 16 * 1024


def truncation_mark(size: int) -> bytes:
    """What replaces the end of an over-long line in the transcript (French: readers see it)."""
    return f" … tronqué ({size} octets)".encode()


class LineSplitter:
    """Complete lines of one direction, split after each ``\\n``; the unfinished tail waits."""

    def __init__(self, limit: int = LINE_LIMIT) -> None:
        self._limit = limit
        self._tail = bytearray()
        self._size = 0  # octets of the unfinished line, including those not kept

    def feed(self, data: bytes) -> list[tuple[bytes, int]]:
        """The lines ``data`` completes, each with its ending and the offset in ``data`` after it.

        The offset lets a caller act on the exact byte where a line ends (the STARTTLS handoff).
        A line longer than the limit comes out cut, marked, and with its own ending.
        """
        lines: list[tuple[bytes, int]] = []
        start = 0
        while (newline := data.find(b"\n", start)) != -1:
            end = newline + 1
            self._keep(data[start:end])
            lines.append((self._take(ending=data[start:end]), end))
            start = end
        self._keep(data[start:])
        return lines

    def flush(self) -> bytes | None:
        """The unfinished last line, once no more data will come; None when there is none."""
        if not self._size:
            return None
        return self._take(ending=b"")

    def clear(self) -> None:
        """Forget the unfinished tail (bytes the caller decided not to relay)."""
        self._tail.clear()
        self._size = 0

    def _keep(self, chunk: bytes) -> None:
        room = self._limit - len(self._tail)
        if room > 0:
            self._tail += chunk[:room]
        self._size += len(chunk)

    def _take(self, *, ending: bytes) -> bytes:
        """The line kept so far, marked if it was cut; the splitter starts a new line."""
        line = bytes(self._tail)
        if self._size > len(self._tail):
            suffix = b"\r\n" if ending.endswith(b"\r\n") else b"\n" if ending else b""
            text = line.removesuffix(b"\r")  # a CR kept just before the cut is not text
            line = text + truncation_mark(self._size - len(suffix)) + suffix
        self.clear()
        return line


def strip_line_ending(line: bytes) -> bytes:
    """``line`` without its ending: what the transcript prints after ``C:``/``S:``.

    The ending is CRLF, a bare LF, or, on a last line cut short by the end of the connection,
    the CR of a CRLF that never came.
    """
    for ending in (b"\r\n", b"\n", b"\r"):
        if line.endswith(ending):
            return line[: -len(ending)]
    return line
