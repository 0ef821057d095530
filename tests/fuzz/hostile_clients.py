"""Malformed input a hostile or broken client sends, class by class, generated from a seed.

Each class targets one finding of the reliability campaign (issue 14): endless lines, deep
nesting, literals, commands pipelined after a TLS request, binary garbage, control characters.
The generator only builds bytes; ``tests/fuzz/test_fuzz_services.py`` sends them, on loopback.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from labo.identity import Service

#: What each protocol says to leave, and a harmless command that must always be answered.
QUIT = {"smtp": b"QUIT\r\n", "pop3": b"QUIT\r\n", "imap": b"z9 LOGOUT\r\n"}
TLS_REQUEST = {"smtp": b"STARTTLS\r\n", "pop3": b"STLS\r\n", "imap": b"s1 STARTTLS\r\n"}
PROBE = {"smtp": b"NOOP\r\n", "pop3": b"CAPA\r\n", "imap": b"p1 NOOP\r\n"}

#: The longest line a case sends: far above every limit, small enough to keep the test short.
MAX_LINE_SENT = 2 * 1024 * 1024


def long_line(rng: random.Random, service: Service) -> bytes:
    return b"NOOP " + b"x" * rng.randint(70_000, MAX_LINE_SENT) + b"\r\n"


def deep_nesting(rng: random.Random, service: Service) -> bytes:
    depth = rng.randint(100, 5000)
    criteria = b"(" * depth + b"ALL" + b")" * depth
    if service.protocol == "imap":
        return b"n1 SEARCH " + criteria + b"\r\n"
    return b"MAIL FROM:<" + criteria + b">\r\n"


def literal(rng: random.Random, service: Service) -> bytes:
    size = rng.choice([0, 5, rng.randint(1, 70_000), rng.randint(70_000, 300_000)])
    if service.protocol != "imap":
        return b"AUTH PLAIN {%d+}\r\n" % size + b"y" * size + b"\r\n"
    announce = rng.choice([b"{%d+}", b"{%d}"]) % size
    if announce.endswith(b"+}"):  # non-synchronizing: the data follows at once
        return b"l1 LOGIN " + announce + b"\r\n" + b"y" * size + b" secret\r\n"
    return b"l1 NOOP " + announce + b"\r\n"  # synchronizing: refused, nothing follows


def binary_garbage(rng: random.Random, service: Service) -> bytes:
    return rng.randbytes(rng.randint(1, 8192)) + b"\r\n"


def control_characters(rng: random.Random, service: Service) -> bytes:
    controls = [b"\x1b]0;titre\x07", b"\x1b[31m", b"\x00", b"\x7f", b"\xc2\x9b", b"\r", b"\x08"]
    noise = b"".join(rng.choice(controls) for _ in range(rng.randint(1, 40)))
    return b"NOOP " + noise + b"\r\n"


Generator = Callable[[random.Random, Service], bytes]

#: Classes sent on an established (clear or TLS) session, then the client says goodbye.
IN_SESSION: dict[str, Generator] = {
    "ligne sans fin": long_line,
    "imbrication profonde": deep_nesting,
    "littéral": literal,
    "octets aléatoires": binary_garbage,
    "caractères de contrôle": control_characters,
}
