"""The services installed beside the chassis, found through the ``cascade.services`` entry
points, and the queue bindings their handlers make: a service's queue is bound to exactly the
event types it registers handlers for, so a binding without a handler cannot be written."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from cascade_shared.chassis.service import ServiceDefinition

ORDER = ["plans", "approvals", "notifications", "results", "audit"]


def load_service(name: str) -> ServiceDefinition:
    """A service's definition, found through the ``cascade.services`` entry points."""
    for ep in entry_points(group="cascade.services"):
        if ep.name == name:
            return ep.load()
    known = sorted(ep.name for ep in entry_points(group="cascade.services"))
    raise SystemExit(f"unknown service {name!r}; known: {', '.join(known)}")


def all_services() -> list[ServiceDefinition]:
    found = {ep.name: ep for ep in entry_points(group="cascade.services")}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    return [found[n].load() for n in names]


@cache
def subscriptions() -> dict[str, list[str]]:
    """Which event types each consuming service's queue is bound to (``#`` = every event):
    the types of the handlers it registers."""
    return {d.name: d.bindings for d in all_services() if d.handlers}
