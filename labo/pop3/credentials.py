"""Checking what a POP3 client presents: USER/PASS, APOP (RFC 1939 §7), SASL PLAIN (RFC 4616).

Every check answers with the lab user or None, never with the reason: a client learns neither
whether a login exists nor which part was wrong.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac

from labo.identity import User, user_by_login

#: SASL mechanisms offered by AUTH and announced by CAPA, in order of preference.
MECHANISMS = ("PLAIN",)


def check_password(login: str, password: str) -> User | None:
    """The user whose login and password these are."""
    user = user_by_login(login)
    if user is None or not hmac.compare_digest(password.encode(), user.password.encode()):
        return None
    return user


def check_apop(login: str, banner: str, digest: str) -> User | None:
    """The user for ``APOP login digest``, where digest = MD5(banner + password) in hex."""
    user = user_by_login(login)
    if user is None:
        return None
    expected = hashlib.md5((banner + user.password).encode(), usedforsecurity=False).hexdigest()
    return user if hmac.compare_digest(expected.encode(), digest.lower().encode()) else None


def decode_sasl_response(text: str) -> bytes | None:
    """A base64 client response (``=`` stands for an empty one, RFC 5034 §4); None if invalid."""
    if text == "=":
        return b""
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (UnicodeEncodeError, binascii.Error):
        return None


def check_sasl_plain(response: bytes) -> User | None:
    """The user for a PLAIN response ``authzid NUL authcid NUL password``.

    Acting for another user is not offered: an authorisation identity, when present, must name
    the authenticated user.
    """
    parts = response.split(b"\0")
    if len(parts) != 3:
        return None
    try:
        authzid, authcid, password = (part.decode("utf-8") for part in parts)
    except UnicodeDecodeError:
        return None
    user = check_password(authcid, password)
    if user is None or (authzid and user_by_login(authzid) is not user):
        return None
    return user
