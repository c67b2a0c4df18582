"""The demo programs seeded in embedded mode pass the same rules a drafter's plan must pass:
every task "5 clear", every task group of the parent program covered, nothing copied from the
parent mechanically, indicators that make sense; and they say what comes from the sources."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cascade_plans.domain.plan import Milestone, TaskContent, check_plan
from cascade_plans.domain.rules import (
    COPY_SIMILARITY,
    GroupCoverage,
    IndicatorContent,
    check_coverage,
    check_indicator,
    check_mechanical_copy,
    similarity,
)
from cascade_plans.models import OrgUnit, Plan, PlanVersion, Task, TaskGroup
from cascade_plans.schemas import MilestoneIn
from cascade_plans.seed import DEMO_FILE, SeedError, seed_directory_and_programs
from cascade_plans.service import SERVICE
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.settings import Settings
from sqlmodel import select

DATA: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
PLANS: dict[str, dict[str, Any]] = {p["key"]: p for p in DATA["plans"]}
CHILDREN = [p for p in DATA["plans"] if p.get("parent")]
HUE_WARDS = {
    "vn.hue.huong-an": "Phường Hương An",
    "vn.hue.phu-xuan": "Phường Phú Xuân",
    "vn.hue.phong-phu": "Phường Phong Phú",
    "vn.hue.phong-quang": "Phường Phong Quảng",
    "vn.hue.vinh-loc": "Xã Vinh Lộc",
}
PERIOD = re.compile(MilestoneIn.model_fields["period"].metadata[0].pattern)
# Lead and cooperating units are directory entries: the units, and the outside bodies.
DIRECTORY = {u["code"]: u for u in DATA["units"] + DATA["bodies"]}


def task_content(t: dict[str, Any]) -> TaskContent:
    product = t.get("product") or {}
    return TaskContent(
        code=t["code"],
        job=t["job"],
        task_group=t.get("task_group"),
        lead_unit=t.get("lead_unit"),
        cooperating_units=tuple(t.get("cooperating_units", ())),
        responsible_person=t.get("responsible_person"),
        start=date.fromisoformat(t["start"]) if t.get("start") else None,
        deadline=date.fromisoformat(t["deadline"]) if t.get("deadline") else None,
        milestones=tuple(Milestone(m["period"], m["description"]) for m in t["milestones"]),
        product_description=product.get("description"),
        product_quantity=product.get("quantity"),
        product_unit=product.get("unit"),
        parent_task=t.get("parent_task"),
    )


def coverage(child: dict[str, Any], parent: dict[str, Any]) -> dict[str, GroupCoverage]:
    """As the seeder links them: a group covers the parent's group it names, or the one with
    its own code."""
    parent_codes = {g["code"] for g in parent["task_groups"]}
    tasks_in: dict[str, int] = {}
    for t in child["tasks"]:
        tasks_in[t["task_group"]] = tasks_in.get(t["task_group"], 0) + 1
    out = {}
    for code in parent_codes:
        linked = [
            g
            for g in child["task_groups"]
            if g.get("parent_task_group", g["code"] if g["code"] in parent_codes else None) == code
        ]
        reasons = [g["not_applicable_reason"] for g in linked if g.get("not_applicable_reason")]
        out[code] = GroupCoverage(
            code,
            tuple(g["code"] for g in linked),
            sum(tasks_in.get(g["code"], 0) for g in linked),
            reasons[0] if reasons else None,
        )
    return out


def test_every_unit_and_user_of_the_hierarchy_is_kept() -> None:
    units = {u["code"]: u for u in DATA["units"]}
    assert {"vn", "vn.hue", "vn.ha-noi", "vn.da-nang", *HUE_WARDS} == set(units)
    for code, name in HUE_WARDS.items():
        assert units[code]["name"] == name and units[code]["parent"] == "vn.hue"
    users = {u["username"]: u for u in DATA["users"]}
    for ward in HUE_WARDS:
        slug = ward.rsplit(".", 1)[1]
        assert users[f"drafter.{slug}"]["roles"] == ["drafter"]
        assert users[f"head.{slug}"]["roles"] == ["head"]
    roles = {r for u in users.values() for r in u["roles"]}
    assert roles == {"drafter", "head", "approver", "auditor", "admin"}
    assert all(u["unit"] in units for u in users.values())
    assert all(len(u["name"]) > 3 for u in users.values())  # a name a notification can greet


def test_programs_of_central_hue_ha_noi_and_da_nang_form_a_cascade() -> None:
    assert [(p["key"], p["unit"], p.get("parent")) for p in DATA["plans"]] == [
        ("central-program", "vn", None),
        ("hue-program", "vn.hue", "central-program"),
        ("ha-noi-program", "vn.ha-noi", "central-program"),
        ("da-nang-program", "vn.da-nang", "central-program"),
    ]
    for p in DATA["plans"]:
        assert (p["term_start"], p["term_end"]) == (2026, 2031)
        assert "Đại hội XIV" in p["title"] and p["resolution"]
        assert "minh họa" in p["note"]  # demo data says so


@pytest.mark.parametrize("key", list(PLANS))
def test_every_task_is_five_clear(key: str) -> None:
    plan = PLANS[key]
    term = (plan["term_start"], plan["term_end"])
    tasks = [task_content(t) for t in plan["tasks"]]
    assert check_plan(tasks, term=term, directory=DIRECTORY) == []
    for t in plan["tasks"]:  # one lead unit, the plan's own or a body registered under it
        assert DIRECTORY[t["lead_unit"]]["code"].startswith(plan["unit"] + "."), t["code"]
    codes = [t["code"] for t in plan["tasks"]]
    assert len(codes) == len(set(codes))
    groups = {g["code"] for g in plan["task_groups"]}
    assert {t["task_group"] for t in plan["tasks"]} == groups  # every group has work in it
    for t in plan["tasks"]:
        assert t["product"]["quantity"] is not None and t["product"]["unit"], t["code"]
        start, deadline = date.fromisoformat(t["start"]), date.fromisoformat(t["deadline"])
        assert plan["term_start"] <= start.year and deadline.year <= plan["term_end"], t["code"]
        for m in t["milestones"]:
            assert PERIOD.match(m["period"]) and m["description"], (t["code"], m)
            assert start.year <= int(m["period"][:4]) <= deadline.year, (t["code"], m)


@pytest.mark.parametrize("key", [p["key"] for p in CHILDREN])
def test_every_task_group_of_the_parent_program_is_covered(key: str) -> None:
    child = PLANS[key]
    parent = PLANS[child["parent"]]
    parent_codes = [g["code"] for g in parent["task_groups"]]
    links = [g.get("parent_task_group") for g in child["task_groups"]]
    assert all(link is None or link in parent_codes for link in links)
    assert check_coverage(parent_codes, coverage(child, parent)) == []


@pytest.mark.parametrize("key", [p["key"] for p in CHILDREN])
def test_no_task_copies_its_parent_task(key: str) -> None:
    child = PLANS[key]
    parent_jobs = {t["code"]: t["job"] for t in PLANS[child["parent"]]["tasks"]}
    for t in child["tasks"]:
        if t["parent_task"] is None:
            continue
        parent_job = parent_jobs[t["parent_task"]]  # the link names a real parent task
        assert check_mechanical_copy(task_content(t), parent_job) == []
        assert similarity(t["job"], parent_job) < COPY_SIMILARITY, t["code"]


@pytest.mark.parametrize("key", list(PLANS))
def test_indicators_make_sense(key: str) -> None:
    plan = PLANS[key]
    for i in plan["indicators"]:
        found = check_indicator(
            IndicatorContent(
                i["code"],
                i["name"],
                i["unit"],
                i["target"],
                i["year"],
                i["baseline"],
                i["comparator"],
            ),
            plan["term_start"],
            plan["term_end"],
        )
        assert found == [], found
        # a figure not taken from the sources is labelled as a demo figure
        assert i["demo_figure"] == ("số liệu minh họa" in i["name"]), i["code"]


def test_hue_concretizes_the_central_program_task_by_task() -> None:
    hue = PLANS["hue-program"]
    assert all(t["parent_task"] for t in hue["tasks"])
    titles = " | ".join(g["title"] for g in hue["task_groups"])
    for theme in (
        "điểm tập kết rác",
        "an sinh",
        "văn hóa Huế",
        "tự soi, tự sửa",
        "hành chính công",
    ):
        assert theme in titles
    # The walk-through and the story put their ward task into the first group: the environment.
    assert hue["task_groups"][0]["title"].startswith("Vệ sinh môi trường")
    assert len(hue["indicators"]) >= 5 and all(i["demo_figure"] for i in hue["indicators"])


def test_central_program_has_the_five_key_points() -> None:
    groups = [g["title"] for g in PLANS["central-program"]["task_groups"]]
    assert len(groups) == 5
    for point, words in enumerate(
        (
            "thể chế hóa và cụ thể hóa",
            "kỷ luật thực thi",
            "sự hài lòng của Nhân dân",
            "dám nghĩ, dám làm",
            "hiệu lực quản trị quốc gia",
        )
    ):
        assert words in groups[point]


def test_ha_noi_has_twelve_groups_grdp_11_percent_each_year_and_a_sample_of_tasks() -> None:
    hn = PLANS["ha-noi-program"]
    groups = hn["task_groups"]
    assert len(groups) == 12
    titles = " | ".join(g["title"] for g in groups)
    for named in (
        "thế trận lòng dân",
        "Nhà nước pháp quyền xã hội chủ nghĩa",
        "đổi mới sáng tạo",
        "đa trung tâm",
        "sức mạnh mềm",
        "thành phố quốc tế",
        "dẫn dắt, thử nghiệm, lan tỏa",
    ):
        assert named in titles
    representative = [g["code"] for g in groups if not g["named_in_source"]]
    assert representative and all(code in hn["note"] for code in representative)
    grdp = {i["year"]: i for i in hn["indicators"] if "tăng trưởng GRDP" in i["name"]}
    assert sorted(grdp) == list(range(2026, 2032))
    assert all(i["target"] == 11 and i["comparator"] == ">=" for i in grdp.values())
    assert not any(i["demo_figure"] for i in grdp.values())  # from the source
    assert 10 <= len(hn["tasks"]) <= 20 and "212" in hn["note"] and "mẫu" in hn["note"]


def test_text_is_vietnamese_in_composed_form() -> None:
    """Diacritics as composed characters (NFC), so search and comparison behave."""
    text = json.dumps(DATA["plans"], ensure_ascii=False)
    assert unicodedata.normalize("NFC", text) == text
    assert "Nhân dân" in text and "đ" in text


# -- the seeder loads what the file says, links included -----------------------------------------
@pytest.fixture
async def plans_runtime(tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    """The plans service's runtime on a migrated SQLite file (not started: no relay, no bus)."""
    settings = Settings(data_dir=tmp_path, jwt_secret="demo-programs-test-secret-of-32-bytes")
    runtime = ServiceRuntime(SERVICE, settings, InProcessBus())
    await upgrade(SERVICE, runtime.database_url)
    yield runtime
    await runtime.engine.dispose()


async def test_seeder_links_each_program_to_its_parent_groups_and_tasks(
    plans_runtime: ServiceRuntime,
) -> None:
    assert await seed_directory_and_programs(plans_runtime) is True
    assert await seed_directory_and_programs(plans_runtime) is False  # once only
    async with plans_runtime.sessionmaker() as session:
        plans = {p.seed_key: p for p in (await session.exec(select(Plan))).all()}
        assert {k: p.status for k, p in plans.items()} == {k: "approved" for k in PLANS}
        groups = (await session.exec(select(TaskGroup))).all()
        tasks = (await session.exec(select(Task))).all()
        versions = (await session.exec(select(PlanVersion))).all()
    by_id = {g.id: g for g in groups}
    task_by_id = {t.id: t for t in tasks}
    central = plans["central-program"]
    for key, spec in PLANS.items():
        plan = plans[key]
        parent = plans.get(spec.get("parent") or "")
        assert plan.parent_plan_id == (parent.id if parent else None)
        own = {g.code: g for g in groups if g.plan_id == plan.id}
        for g in spec["task_groups"]:
            link = by_id.get(own[g["code"]].parent_task_group_id or "")
            if parent is None:
                assert link is None
            else:
                assert (link.plan_id, link.code) == (central.id, g["parent_task_group"])
        own_tasks = {t.code: t for t in tasks if t.plan_id == plan.id}
        assert set(own_tasks) == {t["code"] for t in spec["tasks"]}
        for t in spec["tasks"]:
            linked = task_by_id.get(own_tasks[t["code"]].parent_task_id or "")
            expected = (central.id, t["parent_task"]) if t["parent_task"] else None
            assert (linked and (linked.plan_id, linked.code)) == expected
    assert sorted((v.version, v.outcome) for v in versions) == [(1, "approved")] * len(PLANS)


async def test_seeder_refuses_a_reference_to_nothing(
    plans_runtime: ServiceRuntime, tmp_path: Path
) -> None:
    broken = json.loads(json.dumps(DATA))
    broken["plans"][1]["tasks"][0]["parent_task"] = "TW-9.9"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SeedError, match=r"TW-9\.9"):
        await seed_directory_and_programs(plans_runtime, path)
    async with plans_runtime.sessionmaker() as session:  # nothing half-seeded
        assert (await session.exec(select(OrgUnit))).first() is None
