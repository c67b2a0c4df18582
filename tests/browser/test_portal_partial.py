"""A partial decision through the portal in a real browser: Huế's approver approves one task group
of Hương An's plan and returns the other with a comment; the drafter sees which group stands
(it has no edit form any more) and revises the other; the approver is shown only what was
returned, and approves. Every screen reads as officials write."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.readable import assert_reads_as_officials_write as reads_well
from tests.browser.test_portal_results import in_a_thread
from tests.browser.test_portal_story import signed_in, task_card, until_visible
from tests.infra import IN_CI
from tests.story import create_draft, decide, fixed_and_submitted, queue_item, token, trees_task

if not IN_CI:
    pytest.importorskip("playwright", reason="Playwright is not installed")

from playwright.sync_api import Browser, expect

expect.set_options(timeout=20_000)


async def _waiting_on_the_city(base: str) -> tuple[str, list[dict[str, Any]]]:
    """Hương An's plan with a task in each of the program's first two groups, signed off by
    the ward head (through the API: the browser walk is the decision)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        drafter = await token(client, "drafter.huong-an")
        plan_id = await create_draft(
            client, drafter, "Kế hoạch phường Hương An (phê duyệt từng phần)"
        )
        plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
        groups = plan["task_groups"]
        r = await client.post(
            f"/api/plans/{plan_id}/tasks",
            json=trees_task(groups[1]["code"]),
            headers=drafter,
        )
        assert r.status_code == 201, r.text
        await fixed_and_submitted(client, drafter, plan_id)
        head = await token(client, "head.huong-an")
        r = await decide(client, head, await queue_item(client, head, plan_id))
        assert r.status_code == 200, r.text
        await queue_item(client, await token(client, "approver.hue"), plan_id)
        return plan_id, groups


def test_the_city_approves_in_part_and_decides_the_rest_later(
    browser: Browser, portal_url: str
) -> None:
    plan_id, groups = in_a_thread(_waiting_on_the_city(portal_url))
    first, second = groups[0]["code"], groups[1]["code"]
    plan_url = f"/portal/plans/{plan_id}"

    city = signed_in(browser, portal_url, "approver.hue")
    city.goto(f"{plan_url}#decide")
    city.locator("#decision-partial").check()
    for g in groups:
        box = city.locator(f"#approve-group-{g['code']}")
        if g["code"] == second:
            box.uncheck()
        else:
            box.check()
    task_card(city, "HA-02").get_by_label("Ý kiến về nhiệm vụ này HA-02").fill(
        "Nêu rõ các tuyến kiệt, hẻm được trồng cây"
    )
    reads_well(city)
    city.locator("#decision-confirm").check()  # approving, even in part, is confirmed first
    city.locator("#send-decision").click()
    expect(city.locator(".flash")).to_be_visible()

    drafter = signed_in(browser, portal_url, "drafter.huong-an")
    until_visible(drafter, plan_url, "#approved-in-part")
    banner = drafter.locator("#approved-in-part")
    expect(banner).to_contain_text("phê duyệt một phần")
    expect(banner.locator(f"li[data-code='{first}']")).to_be_visible()
    expect(banner.locator(f"li[data-code='{second}']")).to_have_count(0)
    expect(drafter.locator(f"#group-{first} .frozen")).to_be_visible()
    # The approved group's task has no edit form; the returned one has, with the comment.
    expect(task_card(drafter, "HA-01").locator("form")).to_have_count(0)
    returned = task_card(drafter, "HA-02")
    expect(returned).to_contain_text("Nêu rõ các tuyến kiệt, hẻm được trồng cây")
    reads_well(drafter)
    expect(returned.locator("details")).to_have_attribute("open", "")  # the comment is open
    returned.get_by_label("Nội dung công việc").fill(
        "Trồng mới 300 cây xanh trên 12 tuyến kiệt, hẻm của phường Hương An"
    )
    returned.get_by_role("button", name="Lưu nhiệm vụ").click()
    drafter.locator("#submit-plan").click()
    expect(drafter.locator("#plan-status")).to_have_text("Đã trình")

    # The city sees what it returned, the approved group summed up in a note, and approves.
    until_visible(city, "/portal/queue", f"a[href='{plan_url}#decide']")
    city.goto(f"{plan_url}#decide")
    expect(city.locator("#approved-in-part")).to_contain_text(groups[0]["title"])
    expect(task_card(city, "HA-01")).to_have_count(0)
    expect(task_card(city, "HA-02")).to_be_visible()
    expect(city.locator(f"#approve-group-{first}")).to_be_checked()
    reads_well(city)
    city.locator("#decision input[value=approve]").check()
    city.locator("#decision-confirm").check()
    city.locator("#send-decision").click()
    expect(city.locator(".flash")).to_be_visible()

    until_visible(drafter, plan_url, "#plan-status.status-approved")
    expect(drafter.locator("#approved-in-part")).to_have_count(0)
    city.context.close()
    drafter.context.close()
