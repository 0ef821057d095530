"""SMTP AUTH (RFC 4954) against the lab's users, for aiosmtpd's PLAIN and LOGIN mechanisms."""

from __future__ import annotations

import hmac
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from labo.identity import User, user_by_login


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """aiosmtpd's ``authenticator``: checks a login and password against ``labo.identity``.

    On success the session's ``auth_data`` is the ``User``, so MAIL FROM can check that the
    sender address is theirs. On failure aiosmtpd answers ``535 5.7.8 Authentication
    credentials invalid`` and the client may try again.
    """
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user = _check(auth_data.login, auth_data.password)
    if user is None:
        return AuthResult(success=False, handled=False)
    return AuthResult(success=True, auth_data=user)


def authenticated_user(session: Session) -> User | None:
    """The user this session authenticated as, if it did."""
    user = session.auth_data
    return user if session.authenticated and isinstance(user, User) else None


def _check(login: bytes, password: bytes) -> User | None:
    try:
        user = user_by_login(login.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if user is None or not hmac.compare_digest(password, user.password.encode("utf-8")):
        return None
    return user
