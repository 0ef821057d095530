"""DKIM verification (RFC 6376) with dkimpy, one result per ``DKIM-Signature`` field.

dkimpy takes its DNS function per call (``dnsfunc``), so the injected lookup needs no global
hook. Its ``verify`` answers only True or False; the lookup is watched to tell a missing or
broken key (``permerror``) and an unreachable one (``temperror``) from a bad signature (``fail``).
"""

from __future__ import annotations

import re
from dataclasses import replace

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from labo.senderauth.comments import comment_text
from labo.senderauth.lookup import DnsTemporaryError, TxtLookup, txt_records
from labo.senderauth.results import DkimResult

#: RFC 6008 §2: header.b carries enough of b= to tell signatures apart; 8 characters suffice.
SIGNATURE_PREFIX = 8

_WHITESPACE = re.compile(rb"\s+")


class _KeyLookup:
    """dkimpy's ``dnsfunc``: answers from the injected lookup and remembers what happened."""

    def __init__(self, txt_lookup: TxtLookup) -> None:
        self._txt_lookup = txt_lookup
        self.found_key = False
        self.dns_error: str | None = None
        self.key_error: str | None = None

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        try:
            records = txt_records(self._txt_lookup, name.decode("ascii"))
        except DnsTemporaryError as error:
            self.dns_error = str(error)
            raise dkim.DnsTimeoutError(str(error)) from error
        keys = [r for r in records if r.replace(" ", "").startswith("v=DKIM1")] or records
        self.found_key = bool(keys)
        if not keys:
            return None
        key = keys[0].encode("ascii", "replace")
        try:
            dkim.evaluate_pk(name, key)  # what dkimpy does next, but it only logs the reason
        except (dkim.DKIMException, ValueError) as error:
            self.key_error = str(error)
        return key


def check_dkim(message: bytes, txt_lookup: TxtLookup) -> tuple[DkimResult, ...]:
    """One result per signature, top to bottom; ``(DkimResult("none"),)`` for an unsigned one."""
    headers, _body = dkim.rfc822_parse(message)
    fields = [value for name, value in headers if name.lower() == b"dkim-signature"]
    if not fields:
        return (DkimResult("none"),)
    return tuple(
        _check_one(message, index, value, txt_lookup) for index, value in enumerate(fields)
    )


def _check_one(message: bytes, index: int, value: bytes, txt_lookup: TxtLookup) -> DkimResult:
    try:
        tags = parse_tag_value(value)
    except InvalidTagValueList:
        return DkimResult("permerror", comment="unreadable signature")
    domain, selector = _name(tags.get(b"d")), _name(tags.get(b"s"))
    b_value = _WHITESPACE.sub(b"", tags.get(b"b", b""))[:SIGNATURE_PREFIX]
    signature = b_value.decode("ascii", "replace") or None
    found = DkimResult("none", domain, selector, signature)
    try:
        dkim.validate_signature_fields(tags)
    except dkim.DKIMException as error:
        return replace(found, result="permerror", comment=comment_text(str(error)))
    lookup = _KeyLookup(txt_lookup)
    try:
        # A fresh verifier per signature: dkimpy keeps per-verification state on the instance.
        valid = dkim.DKIM(message, minkey=1024).verify(idx=index, dnsfunc=lookup)
    except dkim.ValidationError:  # the tags were checked above: the body hash differs
        return replace(found, result="fail", comment="body hash did not verify")
    except dkim.DKIMException as error:
        if lookup.dns_error is not None:
            return replace(found, result="temperror", comment="key lookup failed")
        return replace(found, result="permerror", comment=comment_text(str(error)))
    if valid:
        return replace(found, result="pass")
    if lookup.dns_error is not None:
        return replace(found, result="temperror", comment="key lookup failed")
    if not lookup.found_key:
        return replace(found, result="permerror", comment="no key for signature")
    if lookup.key_error is not None:
        return replace(found, result="permerror", comment=comment_text(lookup.key_error))
    return replace(found, result="fail", comment="signature verification failed")


def _name(value: bytes | None) -> str | None:
    """A domain or selector tag as text; DNS names compare case-insensitively."""
    return None if value is None else value.decode("ascii", "replace").lower()
