"""The queue manager: delivers what is due, retries what was deferred, returns what failed.

It plays Postfix's ``qmgr`` on the lab's asyncio loop, without timers: "due" means due on the lab
clock, and the lab calls ``kick()`` when there may be work (a submitting connection closed, an
example advanced the clock). Entries are tried one at a time, in queue order, so every run of a
scenario opens the same connections in the same order.

Nothing is lost silently. A recipient leaves the queue only delivered, or bounced with a
non-delivery report handed to ``bounce_sink``; an entry whose report could not be handed over
stays queued and is tried again. The one exception is the rule of RFC 5321 §6.1 (and RFC 3461):
a report about a report (null sender ``<>``) is never sent, only logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from labo.queue.dsn import build_report
from labo.queue.entry import QueueEntry, RecipientState, is_null_sender
from labo.queue.outcome import Delivered, Outcome, Permanent, Temporary, one_line
from labo.queue.schedule import RetryPolicy
from labo.queue.store import MailQueue

log = logging.getLogger(__name__)

#: Delivers ``entry`` to ``recipients`` and says what became of each one.
Transport = Callable[[QueueEntry, Sequence[str]], Awaitable[Mapping[str, Outcome]]]
#: Sends a report: ``(mail_from, recipient, message)``, ``mail_from`` being ``"<>"``.
BounceSink = Callable[[str, str, bytes], Awaitable[None]]

#: What a recipient the transport forgot, or a transport that crashed, counts as.
TRANSPORT_FAILURE = "451 4.3.0 mail transport unavailable"


class QueueManager:
    """Runs deliveries of ``queue`` through ``transport``; reports go out as ``reporting_host``."""

    def __init__(
        self,
        queue: MailQueue,
        transport: Transport,
        bounce_sink: BounceSink,
        reporting_host: str,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._queue = queue
        self._transport = transport
        self._bounce_sink = bounce_sink
        self._reporting_host = reporting_host
        self._clock = queue.clock
        self._policy = policy or RetryPolicy()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closed = False

    def kick(self) -> None:
        """Deliver every due entry soon; call on the loop thread (``call_soon_threadsafe``)."""
        if self._closed:
            return
        if self._task is not None and not self._task.done():
            self._again = True  # the running pass will look once more
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="file d’attente")

    @property
    def busy(self) -> bool:
        """True while a delivery run is going on."""
        return self._task is not None and not self._task.done()

    async def wait_idle(self) -> None:
        """Return once no delivery run is going on (nor was started meanwhile)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    def close(self) -> None:
        """Stop delivering; an entry being tried stays queued, to be tried again later."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()

    # -- one run ----------------------------------------------------------------------------------

    async def _run(self) -> None:
        """Passes over the queue until one finds nothing new to do.

        Within a run each entry is tried once, so an entry that keeps failing cannot spin the
        loop; a ``kick()`` during the run (the clock moved, a message arrived) starts afresh.
        """
        seen: set[str] = set()
        while True:
            if self._again:
                seen.clear()
            self._again = False
            now = self._clock.peek()
            due = [e for e in self._queue.entries() if e.id not in seen and e.is_due(now)]
            for entry in due:
                if self._closed:  # cancel() only lands at a real suspension point
                    return
                seen.add(entry.id)
                try:
                    await self._process(entry, now)
                except Exception:
                    log.exception("file d’attente : échec du traitement de %s", entry.id)
            if not due and not self._again:
                return

    async def _process(self, entry: QueueEntry, now: datetime) -> None:
        """One attempt on ``entry``: deliver, record each outcome, report failures, save."""
        targets = [r.address for r in entry.recipients if r.to_try]
        if targets:
            outcomes = await self._deliver(entry, targets)
            expired = self._policy.expired(entry.arrival, now)
            entry = replace(
                entry,
                recipients=tuple(
                    _after(r, outcomes[r.address], expired=expired) if r.to_try else r
                    for r in entry.recipients
                ),
                attempts=entry.attempts + 1,
            )
        entry = await self._report(entry)
        if entry.finished:
            self._queue.remove(entry.id)
            return
        attempts = max(entry.attempts, 1)
        self._queue.update(replace(entry, next_attempt=self._policy.next_attempt(now, attempts)))

    async def _deliver(self, entry: QueueEntry, targets: Sequence[str]) -> dict[str, Outcome]:
        """The transport's outcomes; if it fails, every recipient is deferred, never dropped."""
        try:
            outcomes = await self._transport(entry, targets)
        except Exception as error:
            log.exception("file d’attente : échec du transport pour %s", entry.id)
            reply = f"{TRANSPORT_FAILURE} ({error.__class__.__name__})"
            return {address: Temporary(reply) for address in targets}
        missing = [address for address in targets if address not in outcomes]
        if missing:
            log.error("file d’attente : %s sans résultat pour %s", entry.id, ", ".join(missing))
        return {address: outcomes.get(address, Temporary(TRANSPORT_FAILURE)) for address in targets}

    async def _report(self, entry: QueueEntry) -> QueueEntry:
        """Hand over one report on every bounced recipient not reported yet."""
        failed = [r for r in entry.recipients if r.to_report]
        if not failed:
            return entry
        if is_null_sender(entry.mail_from):
            log.warning(
                "file d’attente : %s, message sans expéditeur (<>) non remis à %s : pas de rapport"
                " de non-remise sur un rapport (RFC 5321 §6.1)",
                entry.id,
                ", ".join(r.address for r in failed),
            )
            return _mark_reported(entry)
        report = build_report(
            entry,
            failed,
            original=entry.read_message(),
            reporting_host=self._reporting_host,
            date=self._clock.now(),
            lifetime=self._policy.lifetime,
        )
        try:
            await self._bounce_sink("<>", entry.mail_from.strip("<>"), report)
        except Exception:
            log.exception("file d’attente : rapport de non-remise de %s à réessayer", entry.id)
            return entry
        return _mark_reported(entry)


def _after(recipient: RecipientState, outcome: Outcome, *, expired: bool) -> RecipientState:
    """The recipient's state after an attempt that ended in ``outcome``."""
    if isinstance(outcome, Delivered):
        return replace(recipient, status="delivered", reply=None, enhanced=None)
    failed = replace(
        recipient,
        reply=one_line(outcome.reply),
        enhanced=outcome.enhanced,
        remote_mta=outcome.remote_mta,
        remote_address=outcome.remote_address,
        in_reply_to=outcome.in_reply_to,
    )
    if isinstance(outcome, Permanent):
        return replace(failed, status="bounced")
    if expired:  # a temporary failure after the queue lifetime: give up (Postfix: "expired")
        return replace(failed, status="bounced", expired=True)
    return replace(failed, status="deferred")


def _mark_reported(entry: QueueEntry) -> QueueEntry:
    return entry.with_recipients(
        tuple(replace(r, reported=True) if r.to_report else r for r in entry.recipients)
    )
