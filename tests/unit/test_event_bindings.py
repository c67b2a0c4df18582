"""Each consuming service's queue is bound to exactly the event types it has a handler for: no
event is delivered to a service that drops it, and no handler waits for an event never routed."""

from __future__ import annotations

import pytest
from cascade_shared.chassis.registry import all_services, subscriptions
from cascade_shared.chassis.service import ServiceDefinition
from cascade_shared.events import CATALOGUE

SERVICES = all_services()


@pytest.mark.parametrize("definition", SERVICES, ids=[s.name for s in SERVICES])
def test_a_queue_is_bound_to_the_types_its_service_handles(definition: ServiceDefinition) -> None:
    handled = list(definition.handlers)
    if handled:
        assert subscriptions()[definition.name] == handled
    else:  # the portal consumes nothing, so it has no queue
        assert definition.name not in subscriptions()


@pytest.mark.parametrize("definition", SERVICES, ids=[s.name for s in SERVICES])
def test_every_handled_type_is_catalogued(definition: ServiceDefinition) -> None:
    """A handler registered under a misspelt type would bind its queue to nothing."""
    unknown = [t for t in definition.handlers if t != "#" and t not in CATALOGUE]
    assert not unknown, f"{definition.name} handles types the catalogue lacks: {unknown}"
