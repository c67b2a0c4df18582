"""Each consuming service's queue is bound to exactly the event types it has a handler for: no
event is delivered to a service that drops it, and no handler waits for an event never routed."""

from __future__ import annotations

import pytest
from cascade_shared.app import all_services
from cascade_shared.events import CATALOGUE, SUBSCRIPTIONS
from cascade_shared.service import ServiceDefinition

SERVICES = all_services()


@pytest.mark.parametrize("definition", SERVICES, ids=[s.name for s in SERVICES])
def test_bindings_are_the_handled_types(definition: ServiceDefinition) -> None:
    bound = set(SUBSCRIPTIONS.get(definition.name, []))
    handled = set(definition.handlers)
    if "#" in bound:
        assert handled <= {"#"} | set(CATALOGUE)
        return
    assert bound == handled, (
        f"bound without a handler: {sorted(bound - handled)}; "
        f"handled but not bound: {sorted(handled - bound)}"
    )
