"""Free text that goes between parentheses in a header field, made safe to put there."""

from __future__ import annotations

import re

#: What a comment cannot hold as is (RFC 5322 §3.2.2): parentheses, backslash, controls and
#: anything outside ASCII (the field must stay 7-bit).
_NOT_IN_COMMENT = re.compile(r"[()\\\x00-\x1f\x7f-\U0010ffff]")
#: Long library messages are cut: a comment explains, it does not quote a whole record.
MAX_COMMENT = 80


def comment_text(text: str) -> str:
    """``text`` with every character a comment cannot hold replaced by ``?``, at most 80 long."""
    return _NOT_IN_COMMENT.sub("?", text)[:MAX_COMMENT]
