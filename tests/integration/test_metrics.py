"""Every service serves Prometheus metrics: requests by route template, events handled by type
and outcome, the outbox backlog and the dead letters, read when asked."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.story import create_draft, eventually, token


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_requests_events_and_the_outbox(client: httpx.AsyncClient) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch (đo lường)")
    assert (await client.get(f"/api/plans/{plan_id}", headers=drafter)).status_code == 200

    async def audited() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        found = samples(r.text)
        applied = value(
            found,
            "cascade_events_handled_total",
            service="audit",
            type="plan.created",
            outcome="applied",
        )
        # The relay counts a row as published once the broker confirmed it and the row is marked,
        # which may come after the audit service already applied the delivered event.
        published = value(found, "cascade_outbox_published_total", service="plans")
        return found if applied >= 1 and published >= 1 else None

    found = await eventually(audited, timeout=30)
    # Requests by route template, never by raw path (one series per route, not per plan).
    assert (
        value(
            found,
            "cascade_http_requests_total",
            method="GET",
            route="/api/plans/{plan_id}",
            status="200",
        )
        >= 1
    )
    assert not any(plan_id in str(labels) for _, labels in found)
    for service in ("plans", "approvals", "notifications", "results", "audit"):
        assert ("cascade_outbox_pending", (("service", service),)) in found
        assert ("cascade_outbox_oldest_unpublished_seconds", (("service", service),)) in found
    assert value(found, "cascade_dead_letters", service="audit") == 0
    assert ("cascade_dead_letters", (("service", "audit"),)) in found
