"""Distributed mode: ``cascade-portal`` alone, calling the APIs at ``CASCADE_PORTAL_API_URL``
(here the embedded system stands in for the gateway); sign-in with a pasted bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.infra import IN_CI

if not IN_CI:  # without Playwright the browser tests skip (CI must have it)
    pytest.importorskip("playwright", reason="Playwright is not installed")

from playwright.sync_api import Browser, expect

from tests.processes import serve


@pytest.fixture
def standalone_portal(portal_url: str, tmp_path: Path) -> Iterator[str]:
    with serve(
        "cascade-portal",
        tmp_path,
        "/portal/health",
        port_variable="CASCADE_PORTAL_PORT",
        CASCADE_PORTAL_API_URL=portal_url,
    ) as portal:
        assert f"{portal.base}/portal/" in portal.log_text()
        assert httpx.get(f"{portal.base}/api/portal/health").status_code == 200
        yield portal.base


def test_the_portal_alone_signs_in_with_a_token_and_calls_the_gateway(
    browser: Browser, portal_url: str, standalone_portal: str
) -> None:
    r = httpx.post(f"{portal_url}/api/auth/dev-token", json={"username": "approver.hue"})
    token = r.json()["access_token"]
    context = browser.new_context(base_url=standalone_portal)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Mã truy cập từ hệ thống định danh").fill("not-a-token")
    page.get_by_role("button", name="Đăng nhập bằng mã").click()
    expect(page.locator(".problem")).to_contain_text("Mã truy cập không hợp lệ")
    page.get_by_label("Mã truy cập từ hệ thống định danh").fill(token)
    page.get_by_role("button", name="Đăng nhập bằng mã").click()
    expect(page.locator(".who .user")).to_contain_text("Thành phố Huế")  # by name
    page.get_by_role("link", name="Bao phủ").click()
    expect(page.locator("tr[data-unit='vn.hue.huong-an']")).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "cascade_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{standalone_portal}/portal/sign-in")
    assert not [c for c in context.cookies() if c["name"] == "cascade_session"]
    context.close()
