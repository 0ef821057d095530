"""The queue of a reference Postfix as ``postqueue -p`` prints it, for ``file_attente``.

Postfix reaches the third party's MX at a closed loopback port (``OUTSIDER_ADDRESS``), as the
lab's MTA reaches ``mail.example.net`` through its name mapping: the listing names that host the
way the example and the reader know it, ``mail.example.net[203.0.113.25]:25``.
"""

from __future__ import annotations

import subprocess

from labo.identity import OUTSIDER
from labo.reference.config import ReferenceConfig
from labo.reference.install import Programs


def postqueue_listing(config: ReferenceConfig, programs: Programs, domain: str) -> str:
    """``postqueue -c <dir> -p`` of the Postfix of ``domain``, with the outsider's name."""
    done = subprocess.run(
        [str(programs.postqueue), "-c", str(config.postfix[domain].config), "-p"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "TZ": "UTC"},
    )
    return as_seen_by_reader(done.stdout, config)


def as_seen_by_reader(listing: str, config: ReferenceConfig) -> str:
    """Replace the closed loopback port that stands for the outsider's MX by its real name.

    A reason line is right-aligned by ``postqueue`` (padded to 76 characters): it is aligned
    again after the replacement, as Postfix would have printed it for that name.
    """
    if config.outsider is None:
        return listing
    address, port = config.outsider
    renamed = listing.replace(
        f"{address}[{address}]:{port}", f"{OUTSIDER.name}[{OUTSIDER.address}]:25"
    )
    return "".join(_realigned(line) for line in renamed.splitlines(keepends=True))


def _realigned(line: str) -> str:
    """A ``(reason)`` line padded again to 76 characters, as ``showq_compat.c`` pads it."""
    text = line.strip()
    if not (line.startswith(" ") and text.startswith("(") and text.endswith(")")):
        return line
    return " " * max(76 - (len(text) - 2), 0) + text + line[len(line.rstrip("\n")) :]
