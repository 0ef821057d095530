"""Every SMTP reply the session writes itself, worded as Postfix 3.7 words it.

Transcripts should read like a real server's, and a client that saw ``ENHANCEDSTATUSCODES`` in
EHLO is owed an RFC 3463 code on every reply that has one (RFC 2034 §3): all of them except the
``220`` greeting, the ``250`` lines of EHLO and the ``354`` go-ahead of DATA. aiosmtpd 1.4.6
words its replies its own way and mostly without codes: ``reword`` maps each of them here, in
one table, so the session can keep calling aiosmtpd's commands unchanged.

The handler's replies (MAIL, RCPT, DATA) already carry their codes and pass through untouched.
"""

from __future__ import annotations

import re

OK = "250 2.0.0 Ok"
BYE = "221 2.0.0 Bye"
READY_FOR_TLS = "220 2.0.0 Ready to start TLS"
TLS_ALREADY_ACTIVE = "554 5.5.1 Error: TLS already active"
NOT_RECOGNIZED = "502 5.5.2 Error: command not recognized"
BAD_SYNTAX = "500 5.5.2 Error: bad syntax"
BAD_UTF8 = "500 5.5.2 Error: bad UTF-8 syntax"
LINE_TOO_LONG = "500 5.5.2 Error: line too long"
SEND_HELO_FIRST = "503 5.5.1 Error: send HELO/EHLO first"
NEED_RCPT = "503 5.5.1 Error: need RCPT command"
DATA_SYNTAX = "501 5.5.4 Syntax: DATA"
EHLO_SYNTAX = "501 5.5.4 Syntax: EHLO hostname"
STARTTLS_SYNTAX = "501 5.5.4 Syntax: STARTTLS"
START_MAIL_INPUT = "354 End data with <CR><LF>.<CR><LF>"
TOO_MUCH_DATA = "552 5.3.4 Message size exceeds fixed limit"
#: RFC 6531 §3.4: a non-ASCII address is allowed only in a transaction that declared SMTPUTF8.
UNDECLARED_UTF8 = "553 5.6.7 Must declare SMTPUTF8 to send unicode address"
AUTH_NOT_ENABLED = "503 5.5.1 Error: authentication not enabled"
AUTH_LINE_TOO_LONG = "500 5.5.6 Authentication Exchange line is too long"
AUTH_ABORTED = "501 5.7.0 Authentication aborted"
NOT_BASE64 = "501 5.5.2 Can't decode base64"
MUST_STARTTLS = "530 5.7.0 Must issue a STARTTLS command first"
INSECURE = "554 5.7.0 Error: command refused due to lack of security"


def too_many_errors(hostname: str) -> str:
    """The last words before hanging up on a client that keeps sending nonsense (RFC 5321 §3.8)."""
    return f"421 4.7.0 {hostname} Error: too many errors"


def internal_error(hostname: str) -> str:
    """The last words when the session itself fails: a protocol reply, never a traceback."""
    return f"421 4.3.0 {hostname} Error: internal error"


#: aiosmtpd's literal replies, as Postfix words the same answer.
_POSTFIX_WORDING: dict[str, str] = {
    "250 OK": OK,
    "221 Bye": BYE,
    "220 Ready to start TLS": READY_FOR_TLS,
    "454 TLS not available": "454 4.7.0 TLS not available due to local problem",
    "500 Error: bad syntax": BAD_SYNTAX,
    "501 Syntax: HELO hostname": "501 5.5.4 Syntax: HELO hostname",
    "501 Syntax: EHLO hostname": EHLO_SYNTAX,
    "501 Syntax: QUIT": "501 5.5.4 Syntax: QUIT",
    "501 Syntax: RSET": "501 5.5.4 Syntax: RSET",
    "501 Syntax: STARTTLS": STARTTLS_SYNTAX,
    "501 Syntax: DATA": DATA_SYNTAX,
    "503 Error: send HELO first": SEND_HELO_FIRST,
    "503 Error: send EHLO first": "503 5.5.1 Error: send EHLO first",
    "503 Error: nested MAIL command": "503 5.5.1 Error: nested MAIL command",
    "503 Error: need MAIL command": "503 5.5.1 Error: need MAIL command",
    "503 Error: need RCPT command": NEED_RCPT,
    "501 Error: BODY can only be one of 7BIT, 8BITMIME": "501 5.5.4 Bad BODY keyword value",
    "501 Error: SMTPUTF8 takes no arguments": "501 5.5.4 Bad SMTPUTF8 keyword value",
    "501 Error: SMTPUTF8 disabled": "501 5.5.4 Bad SMTPUTF8 keyword value",
    "555 MAIL FROM parameters not recognized or not implemented": (
        "555 5.5.4 Unsupported option in MAIL FROM"
    ),
    "555 RCPT TO parameters not recognized or not implemented": (
        "555 5.5.4 Unsupported option in RCPT TO"
    ),
    "552 Error: message size exceeds fixed maximum message size": TOO_MUCH_DATA,
    "552 Error: Too much mail data": TOO_MUCH_DATA,
    "530 Must issue a STARTTLS command first": MUST_STARTTLS,
    "554 Command refused due to lack of security": INSECURE,
    "500 Error: command 'AUTH' not recognized": NOT_RECOGNIZED,  # AUTH after HELO
    "503 Already authenticated": "503 5.5.1 Error: already authenticated",
    "501 Not enough value": "501 5.5.4 Syntax: AUTH mechanism",
    "501 Too many values": "501 5.5.4 Syntax: AUTH mechanism",
}

#: aiosmtpd's replies that vary (the command echoed, the parameters hint), by pattern.
_POSTFIX_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"501 Syntax: MAIL FROM: <address>.*"), "501 5.5.4 Syntax: MAIL FROM:<address>"),
    (re.compile(r"501 Syntax: RCPT TO: <address>.*"), "501 5.5.4 Syntax: RCPT TO:<address>"),
    (re.compile(r"500 Error: command \S+ not recognized"), NOT_RECOGNIZED),
)


def reword(status: str) -> str:
    """The Postfix wording of one of aiosmtpd's replies; any other reply is returned as is."""
    if (postfix := _POSTFIX_WORDING.get(status)) is not None:
        return postfix
    for pattern, postfix in _POSTFIX_PATTERNS:
        if pattern.fullmatch(status):
            return postfix
    return status
