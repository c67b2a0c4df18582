"""axe-core on every screen of the drafter, the ward head, the city approver and the auditor (and
the sign-in page), in a real browser: no violation of impact "serious" or "critical". The plan
walked is Phong Quảng's: refused first (errors and warnings listed), then submitted, waiting on
the head, then on the city."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.accessible import assert_accessible
from tests.browser.test_portal_errors import _draft
from tests.browser.test_portal_results import in_a_thread
from tests.browser.test_portal_story import signed_in
from tests.infra import IN_CI
from tests.story import decide, queue_item, token

if not IN_CI:
    pytest.importorskip("playwright", reason="Playwright is not installed")
    pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")

from playwright.sync_api import Browser

CONCRETE = "Tuyên truyền nghị quyết cho đoàn viên thanh niên 6 tổ dân phố ven phá Tam Giang"


async def _submitted(base: str, plan_id: str) -> None:
    """PQ-01 fixed, the plan submitted (warnings acknowledged) and waiting on the ward head."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        drafter = await token(client, "drafter.phong-quang")
        plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
        first = next(t for t in plan["tasks"] if t["code"] == "PQ-01")
        r = await client.patch(
            f"/api/plans/{plan_id}/tasks/{first['id']}",
            json={"job": CONCRETE, "responsible_person": "Phó Bí thư Đảng ủy phường"},
            headers=drafter,
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            f"/api/plans/{plan_id}/submit", json={"acknowledge_warnings": True}, headers=drafter
        )
        assert r.status_code == 200, r.text
        await queue_item(client, await token(client, "head.phong-quang"), plan_id)


async def _signed_off(base: str, plan_id: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        head = await token(client, "head.phong-quang")
        r = await decide(client, head, await queue_item(client, head, plan_id))
        assert r.status_code == 200, r.text
        await queue_item(client, await token(client, "approver.hue"), plan_id)


def walk(browser: Browser, base: str, username: str, screens: list[str]) -> None:
    page = signed_in(browser, base, username)
    for url in screens:
        response = page.goto(url)
        assert response is not None and response.status < 400, (username, url)
        assert "/sign-in" not in page.url and page.locator("main h1").count() == 1, url
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert_accessible(page, f"{username} {url}")
    page.context.close()


def test_every_screen_of_the_four_roles_passes_axe(browser: Browser, portal_url: str) -> None:
    anonymous = browser.new_context(base_url=portal_url, locale="vi-VN").new_page()
    anonymous.set_content("<html lang=vi><title>x</title><main><h1>x</h1><input></main></html>")
    with pytest.raises(AssertionError, match=r"\[critical\] label"):  # the check checks
        assert_accessible(anonymous, "an unlabelled field")
    anonymous.goto("/portal/sign-in")
    assert_accessible(anonymous, "sign-in")
    anonymous.context.close()

    plan_id = in_a_thread(_draft(portal_url))
    plan = f"/portal/plans/{plan_id}"
    drafter = [
        "/portal/",
        plan,
        f"{plan}?refused=1",
        "/portal/inbox",
        "/portal/preferences",
        "/portal/results/reports",
        "/portal/lang/en?next=" + plan,
    ]
    walk(browser, portal_url, "drafter.phong-quang", drafter)

    in_a_thread(_submitted(portal_url, plan_id))
    walk(
        browser,
        portal_url,
        "head.phong-quang",
        ["/portal/", "/portal/queue", plan, "/portal/delegations", "/portal/results/reports"],
    )
    walk(browser, portal_url, "drafter.phong-quang", [plan, f"{plan}/diff"])

    in_a_thread(_signed_off(portal_url, plan_id))
    walk(
        browser,
        portal_url,
        "approver.hue",
        [
            "/portal/",
            "/portal/queue",
            plan,
            f"{plan}/diff",
            "/portal/coverage",
            "/portal/delegations",
            "/portal/results/review",
            "/portal/results/dashboard",
            "/portal/inbox",
        ],
    )
    walk(
        browser,
        portal_url,
        "auditor.hue",
        [
            "/portal/",
            "/portal/audit",
            "/portal/audit?search=1",
            f"/portal/audit?search=1&plan_id={plan_id}",
            "/portal/audit/verify",
            plan,
            "/portal/results/dashboard",
        ],
    )
