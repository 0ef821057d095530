"""pymap's MIME parser, with multipart parts that end where RFC 2046 ends them.

pymap's parser keeps in each part the line break that comes just before the next boundary line.
That line break belongs to the boundary (RFC 2046 §5.1.1), so Dovecot leaves it out of ``BODY[2]``
and of the part's size: here it is left out too. Everything else is pymap's parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.headerregistry import ContentTypeHeader

from pymap.mime import MessageBody, MessageContent, MessageHeader

#: One line as pymap records it: (start, end of text, start of the next line).
Line = tuple[int, int, int]


class PartContent(MessageContent):
    """A message, or one of its parts, whose nested parts end before their boundary's CRLF."""

    __slots__ = ()

    @classmethod
    def _parse(cls, data: bytes, view: memoryview, lines: Sequence[Line]) -> MessageContent:
        header_lines, body_lines = cls._split_lines(data, lines)
        header = MessageHeader._parse(data, view, header_lines)
        body = PartBody._parse(data, view, body_lines, header.parsed.content_type)
        return cls(data, header, body)


class PartBody(MessageBody):
    """A body whose nested parts are :class:`PartContent`."""

    __slots__ = ()

    @classmethod
    def _parse_rfc822(
        cls,
        data: bytes,
        view: memoryview,
        lines: Sequence[Line],
        content_type: ContentTypeHeader,
    ) -> MessageBody:
        return cls(data, lines, content_type, [PartContent._parse(data, view, lines)])

    @classmethod
    def _parse_multipart(
        cls,
        data: bytes,
        view: memoryview,
        lines: Sequence[Line],
        content_type: ContentTypeHeader,
        boundary: bytes,
    ) -> MessageBody:
        parts = cls._find_parts(data, view, lines, boundary)
        nested = [PartContent._parse(data, view, part) for part in parts]
        return cls(data, lines, content_type, nested)

    @classmethod
    def _find_parts(
        cls, data: bytes, view: memoryview, lines: Sequence[Line], boundary: bytes
    ) -> Sequence[Sequence[Line]]:
        return [
            without_final_break(part) for part in super()._find_parts(data, view, lines, boundary)
        ]


def without_final_break(lines: Sequence[Line]) -> list[Line]:
    """``lines`` without the line break after the last one, which belongs to the boundary."""
    if not lines:
        return []
    start, end, _ = lines[-1]
    return [*lines[:-1], (start, end, end)]


def parse(data: bytes) -> MessageContent:
    """The message ``data``, parsed for IMAP."""
    return PartContent.parse(data)
