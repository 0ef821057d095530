"""What running one example produced; plain data so it crosses process boundaries and the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from labo.wire.transcript import ConnectionInfo, Event, Transcript

Status = Literal["ok", "error", "hung"]


@dataclass
class RunResult:
    """The source that ran, the transcript it caused, and the failure if there was one.

    ``error`` is a French explanation for authors (exception with the example's own lines, a
    refused connection, a hang); it is None when the example ran to the end.
    """

    relative: str
    source: str
    transcript: Transcript = field(default_factory=Transcript)
    status: Status = "ok"
    error: str | None = None
    duration: float = 0.0
    from_cache: bool = False
    #: The example left a thread or a process behind, or altered the guard: its worker is done.
    leaked: bool = False
    #: The approved transcript as read before the example ran (the example cannot approve
    #: itself by writing it); None when never approved. Not part of the JSON: read afresh.
    approved: str | None = None
    #: What the run cost its worker (``make bench``): CPU seconds of the example and the lab
    #: until its conversations ended, CPU seconds of the whole job (reset, checks and transcript
    #: included), and the job's wall-clock seconds. Zero for a result that did not come from one.
    cpu_run: float = 0.0
    cpu_job: float = 0.0
    busy: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "relative": self.relative,
            "source": self.source,
            "events": [[e.connection, e.kind, e.text] for e in self.transcript.events],
            "connections": [
                [c.number, c.service, c.client, c.hostname, c.port]
                for c in self.transcript.connections.values()
            ],
            "status": self.status,
            "error": self.error,
            "duration": self.duration,
            "leaked": self.leaked,
            "cost": [self.cpu_run, self.cpu_job, self.busy],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        connections = {row[0]: ConnectionInfo(*row) for row in data["connections"]}
        events = [Event(*row) for row in data["events"]]
        cost = data.get("cost") or (0.0, 0.0, 0.0)
        return cls(
            relative=data["relative"],
            source=data["source"],
            transcript=Transcript(events, connections),
            status=data["status"],
            error=data["error"],
            duration=data["duration"],
            leaked=data.get("leaked", False),
            cpu_run=cost[0],
            cpu_job=cost[1],
            busy=cost[2],
        )
