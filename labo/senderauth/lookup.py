"""The only DNS the sender checks see: a function injected by the caller, never a resolver.

The lab answers from its own zone; tests answer from a dict. Neither dkimpy nor pyspf is ever
allowed to reach its default resolver, so a check can never send a packet off this machine.
"""

from __future__ import annotations

from collections.abc import Callable

#: TXT records of a name, one string per record (its character-strings concatenated);
#: ``None`` means NXDOMAIN, ``[]`` means the name exists but has no TXT record.
TxtLookup = Callable[[str], list[str] | None]


class DnsTemporaryError(Exception):
    """Raised by a lookup that could not get an answer (SERVFAIL, timeout): a ``temperror``."""


def txt_records(lookup: TxtLookup, name: str) -> list[str]:
    """The TXT records of ``name`` (no trailing dot, lower case); none when it does not exist."""
    return lookup(name.rstrip(".").lower()) or []
