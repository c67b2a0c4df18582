"""The "nothing lost, nothing made up" proof: what every producer published against what the
store holds, both ways."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Published:
    service: str
    event_id: str
    event_type: str
    published_at: Any


@dataclass(frozen=True)
class Unexplained:
    """A record the store holds that no service's outbox published: made up, or published by
    someone who is not a Cascade service."""

    event_id: str
    event_type: str
    producer: str
    occurred_at: Any


@dataclass
class ServiceTally:
    published: int = 0
    held: int = 0
    missing: int = 0
    error: str | None = None


@dataclass
class Reconciliation:
    """Per service: how many events it published in the window, how many the store holds and
    which are missing. ``complete`` only when every service answered and nothing is missing."""

    services: dict[str, ServiceTally] = field(default_factory=dict)
    missing: list[Published] = field(default_factory=list)
    unexplained: list[Unexplained] = field(default_factory=list)
    """Both ways: records of the window that no outbox published."""

    @property
    def complete(self) -> bool:
        return (
            not self.missing
            and not self.unexplained
            and all(t.error is None for t in self.services.values())
        )

    @property
    def answered(self) -> bool:
        return all(t.error is None for t in self.services.values())

    def explain(self, held: Iterable[Unexplained], published: set[str]) -> None:
        """Keep every held record whose event no service published."""
        self.unexplained.extend(r for r in held if r.event_id not in published)

    def add(self, service: str, published: Iterable[Published], held: set[str]) -> None:
        tally = self.services.setdefault(service, ServiceTally())
        for event in published:
            tally.published += 1
            if event.event_id in held:
                tally.held += 1
            else:
                tally.missing += 1
                self.missing.append(event)

    def failed(self, service: str, error: str) -> None:
        self.services.setdefault(service, ServiceTally()).error = error
