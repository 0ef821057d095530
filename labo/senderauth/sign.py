"""DKIM signing as a provider's MSA does it (RFC 6376): relaxed/relaxed, rsa-sha256, no expiry.

dkimpy reads ``t=`` from the wall clock and offers no parameter for it; the signer below replaces
that one tag with the lab clock's instant before dkimpy hashes and signs the field, so the same
message signed at the same lab instant always gets the same signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import dkim

from labo.senderauth.keys import private_key_pem, provider_for_signing

#: Header fields signed when present, in this order (From is mandatory): the ones a reader sees
#: and the ones that say how to read the body, as large providers sign them.
SIGNED_FIELDS: tuple[str, ...] = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
)


class _LabClockSigner(dkim.DKIM):
    """dkimpy's signer with ``t=`` taken from the lab clock instead of ``time.time()``."""

    def __init__(self, message: bytes, timestamp: int) -> None:
        super().__init__(message, linesep=b"\r\n")
        self._timestamp = str(timestamp).encode("ascii")

    def gen_header(
        self,
        fields: list[tuple[bytes, bytes]],
        include_headers: Sequence[bytes],
        canon_policy: object,
        header_name: bytes,
        pk: object,
        standardize: bool = False,
    ) -> bytes:
        # ``fields`` is the very list dkimpy keeps as ``signature_fields``: update it in place.
        fields[:] = [(tag, self._timestamp if tag == b"t" else value) for tag, value in fields]
        return super().gen_header(
            fields, include_headers, canon_policy, header_name, pk, standardize
        )


def signed_fields(message: bytes) -> list[bytes]:
    """The names in ``SIGNED_FIELDS`` that the message's header has."""
    present = {name.lower() for name, _ in dkim.rfc822_parse(message)[0]}
    return [name.encode("ascii") for name in SIGNED_FIELDS if name.lower().encode() in present]


def sign(message: bytes, domain: str, when: datetime) -> bytes:
    """The ``DKIM-Signature:`` field (folded, CRLF-terminated) to put on top of ``message``.

    ``when`` is the lab clock's instant (timezone-aware): it becomes ``t=``.
    """
    if when.tzinfo is None:
        raise ValueError("La date de signature doit porter un fuseau horaire (horloge du labo).")
    provider = provider_for_signing(domain)
    fields = signed_fields(message)
    if b"From" not in fields:
        raise ValueError("Un message sans champ From ne peut pas être signé (RFC 6376 §5.4).")
    signer = _LabClockSigner(message, int(when.timestamp()))
    return signer.sign(
        provider.dkim_selector.encode("ascii"),
        provider.domain.encode("ascii"),
        private_key_pem(provider.domain),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=fields,
    )
