"""``FETCH BODYSTRUCTURE`` as RFC 9051 §7.5.2 defines it, and as Dovecot answers it.

pymap differs in two ways a reader of the page would notice. It gives a part's size and line
count over the whole part, MIME header fields included, where the protocol counts the body only
(RFC 3501 §7.4.2, RFC 9051 §7.5.2: ``body-fld-octets``, ``body-fld-lines``). And it writes
``Content-Disposition`` as one quoted string, where the grammar wants the parenthesised list
``("attachment" ("filename" "plan.png"))`` (``body-fld-dsp``). pymap's structure classes are
kept; only those fields are computed here.
"""

from __future__ import annotations

from email.headerregistry import ContentDispositionHeader

from pymap.bytes import Writeable, WriteStream
from pymap.message import BaseLoadedMessage
from pymap.mime import MessageContent
from pymap.parsing.primitives import List, Nil, String
from pymap.parsing.response.fetch import (
    BodyStructure,
    ContentBodyStructure,
    MessageBodyStructure,
    MultipartBodyStructure,
    TextBodyStructure,
)

#: Where ``body-fld-dsp`` sits in every extended structure: before language and location.
_DISPOSITION = -3


class Disposition(Writeable):
    """``body-fld-dsp``: the disposition type and its parameters, or NIL without the field."""

    def __init__(self, header: ContentDispositionHeader | None) -> None:
        super().__init__()
        self.header = header

    @property
    def _value(self) -> Writeable:
        if self.header is None or not self.header.content_disposition:
            return Nil()
        params = [String.build(item) for pair in self.header.params.items() for item in pair]
        return List(
            [String.build(self.header.content_disposition), List(params) if params else Nil()]
        )

    def write(self, writer: WriteStream) -> None:
        self._value.write(writer)

    def __bytes__(self) -> bytes:
        return bytes(self._value)


def _with_disposition(extended: List, header: ContentDispositionHeader | None) -> List:
    items = list(extended.items)
    items[_DISPOSITION] = Disposition(header)
    return List(items)


class _Multipart(MultipartBodyStructure):
    @property
    def extended(self) -> List:
        return _with_disposition(super().extended, self.content_disposition)


class _Content(ContentBodyStructure):
    @property
    def extended(self) -> List:
        return _with_disposition(super().extended, self.content_disposition)


class _Text(TextBodyStructure):
    @property
    def extended(self) -> List:
        return _with_disposition(super().extended, self.content_disposition)


class _Message(MessageBodyStructure):
    @property
    def extended(self) -> List:
        return _with_disposition(super().extended, self.content_disposition)


def body_structure(content: MessageContent) -> BodyStructure:
    """The structure of ``content`` (a message or one of its parts), sizes counted on bodies."""
    parsed = content.header.parsed
    content_type = content.body.content_type
    maintype, subtype = content_type.maintype, content_type.subtype
    params = content_type.params
    disposition = parsed.content_disposition
    language, location = parsed.content_language, parsed.content_location
    if maintype == "multipart":
        parts = [body_structure(part) for part in content.body.nested]
        return _Multipart(subtype, params, disposition, language, location, parts)
    common = (parsed.content_id, parsed.content_description, parsed.content_transfer_encoding)
    size, lines = body_size(content)
    if maintype == "message" and subtype == "rfc822":
        inner = content.body.nested[0]
        envelope = BaseLoadedMessage._get_envelope_structure(inner)
        return _Message(
            params, disposition, language, location, *common, None, size, lines, envelope,
            body_structure(inner),
        )  # fmt: skip
    if maintype == "text":
        return _Text(subtype, params, disposition, language, location, *common, None, size, lines)
    return _Content(maintype, subtype, params, disposition, language, location, *common, None, size)


def body_size(content: MessageContent) -> tuple[int, int]:
    """Octets and lines of the body alone; a line is counted at its line feed, as Dovecot does."""
    body = bytes(content.body)
    return len(body), body.count(b"\n")
