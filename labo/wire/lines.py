"""Cutting one direction of a byte stream into the protocol lines a transcript shows.

Mail protocols speak in lines, but TCP delivers arbitrary chunks: a line may arrive in pieces and
one chunk may hold several lines. The splitter keeps the incomplete tail until the rest arrives,
so that each transcript line is exactly one line of the dialogue, whatever the segmentation.
"""

from __future__ import annotations


class LineSplitter:
    """Complete lines of one direction, split after each ``\\n``; the unfinished tail waits."""

    def __init__(self) -> None:
        self._tail = bytearray()

    def feed(self, data: bytes) -> list[tuple[bytes, int]]:
        """The lines ``data`` completes, each with its ending and the offset in ``data`` after it.

        The offset lets a caller act on the exact byte where a line ends (the STARTTLS handoff).
        """
        lines: list[tuple[bytes, int]] = []
        start = 0
        while (newline := data.find(b"\n", start)) != -1:
            end = newline + 1
            lines.append((bytes(self._tail) + data[start:end], end))
            self._tail.clear()
            start = end
        self._tail += data[start:]
        return lines

    def flush(self) -> bytes | None:
        """The unfinished last line, once no more data will come; None when there is none."""
        if not self._tail:
            return None
        tail = bytes(self._tail)
        self._tail.clear()
        return tail

    def clear(self) -> None:
        """Forget the unfinished tail (bytes the caller decided not to relay)."""
        self._tail.clear()


def strip_line_ending(line: bytes) -> bytes:
    """``line`` without its ending: what the transcript prints after ``C:``/``S:``.

    The ending is CRLF, a bare LF, or, on a last line cut short by the end of the connection,
    the CR of a CRLF that never came.
    """
    for ending in (b"\r\n", b"\n", b"\r"):
        if line.endswith(ending):
            return line[: -len(ending)]
    return line
