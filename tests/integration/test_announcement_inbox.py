"""Announcements in the inbox API on PostgreSQL: they are kept apart from notifications (one
narrow copy per recipient), yet the inbox shows both newest first in one keyset order, counts
both in the exact unread count, and marks both read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from tests.integration.test_notifications_postgres import (  # noqa: F401 (fixtures)
    HUE,
    Service,
    hook_receiver,
    service,
    smtp_sink,
)
from tests.story import eventually

ANNOUNCEMENTS = [("Hội nghị thứ nhất", 5), ("Hội nghị thứ hai", 15), ("Hội nghị thứ ba", 25)]
"""Titles, and how many minutes ago each was made: between the head's other messages."""


async def announce(svc: Service, title: str, minutes_ago: int) -> str:
    head = svc.headers("head.hue", HUE, "head")
    r = await svc.http.post(
        "/api/notifications/announcements", json={"title": title, "body": "Kính mời"}, headers=head
    )
    assert r.status_code == 202, r.text
    announcement = str(r.json()["id"])

    async def done() -> Any:
        r = await svc.http.get(f"/api/notifications/announcements/{announcement}", headers=head)
        return r.json()["state"] == "done"

    await eventually(done)
    async with svc.runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE announcement SET created_at = now() - :m * interval '1 minute'"
                " WHERE id = :a"
            ),
            {"m": minutes_ago, "a": announcement},
        )
    return announcement


async def pages(svc: Service, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"before": cursor} if cursor else {})}
        r = await svc.http.get("/api/notifications/inbox", params=query, headers=headers)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen


def order(item: dict[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(item["created_at"]), item["id"]


async def test_the_inbox_shows_announcements_among_notifications_in_keyset_pages(
    service: Service,  # noqa: F811 (the fixture imported above)
) -> None:
    svc = service
    head = svc.headers("head.hue", HUE, "head")
    async with svc.runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO notification (id, event_id, event_type, recipient, channel, kind,"
                " title, body, critical, created_at)"
                " SELECT gen_random_uuid()::text, gen_random_uuid()::text, 'plan.approved',"
                " 'head.hue', 'inapp', 'plan.approved', 'Tin số ' || g, '', false,"
                " now() - g * interval '1 minute' FROM generate_series(1, 40) AS g"
            )
        )
    before = (await svc.http.get("/api/notifications/unread-count", headers=head)).json()
    ids = [await announce(svc, title, ago) for title, ago in ANNOUNCEMENTS]
    total = before["unread"] + len(ids)

    items = await pages(svc, head, limit=7)
    assert len(items) == len({i["id"] for i in items}) == total
    assert [order(i) for i in items] == sorted((order(i) for i in items), reverse=True)
    told = [i for i in items if i["event_type"] == "notification.announced"]
    assert [i["id"] for i in told] == ids
    assert [i["title"] for i in told] == [title for title, _ in ANNOUNCEMENTS]
    assert {(i["kind"], i["body"], i["critical"], i["plan_id"]) for i in told} == {
        ("notification.announced", "Kính mời", False, None)
    }
    # Between "Tin số 4" (4 minutes ago) and "Tin số 5" (5 minutes ago, made earlier).
    titles = [i["title"] for i in items]
    assert titles.index("Tin số 4") < titles.index("Hội nghị thứ nhất") < titles.index("Tin số 6")
    r = await svc.http.get("/api/notifications/inbox", params={"limit": 3}, headers=head)
    assert r.json()["unread"] == total

    # Read one announcement: the count drops by one, the copy keeps its read mark.
    r = await svc.http.post(f"/api/notifications/{ids[1]}/read", headers=head)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == ids[1] and r.json()["read_at"] is not None
    again = await svc.http.post(f"/api/notifications/{ids[1]}/read", headers=head)
    assert again.json()["read_at"] == r.json()["read_at"]
    r = await svc.http.get("/api/notifications/unread-count", headers=head)
    assert r.json() == {"unread": total - 1}
    unread = await pages(svc, head, limit=5, unread_only=True)
    assert len(unread) == total - 1 and ids[1] not in {i["id"] for i in unread}
    # Someone the announcement did not reach cannot mark it.
    outsider = svc.headers("approver.ha-noi", "vn.ha-noi", "approver")
    r = await svc.http.post(f"/api/notifications/{ids[0]}/read", headers=outsider)
    assert r.status_code == 404
    r = await svc.http.get("/api/notifications/inbox", headers=outsider)
    assert not [i for i in r.json()["items"] if i["event_type"] == "notification.announced"]

    r = await svc.http.post("/api/notifications/read-all", headers=head)
    assert r.json() == {"marked": total - 1}
    r = await svc.http.get("/api/notifications/unread-count", headers=head)
    assert r.json() == {"unread": 0}
