"""How long an example may run: the default, and the range the ``délai`` option accepts.

Shared by the runner (which enforces the limit and advises on it) and the page blocks (which
validate the option), so both always agree.
"""

from __future__ import annotations

#: Seconds an example may run when its block sets no ``délai``.
DEFAULT_TIMEOUT = 10.0
#: The range of ``délai`` (seconds) a block may ask for.
MIN_TIMEOUT = 1.0
MAX_TIMEOUT = 120.0
