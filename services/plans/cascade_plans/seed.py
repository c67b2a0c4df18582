"""Load the demo hierarchy, users and programs from ``seed/demo.json`` into an empty database.

Every unit and user is also announced (``directory.*`` events) so the other services build their
own read models; seeded programs are in force (approved) from the start. ``bodies`` are the
outside bodies (departments, offices, the Fatherland Front, the police, ...) that lead or
cooperate on the programs' tasks: directory entries of kind ``body`` under the unit they belong
to, which make no plan. A task names its lead and cooperating units by directory code.

A program names its parent program by ``key``; each of its task groups covers the parent's task
group named by ``parent_task_group`` (default: the parent's group with the same code) or says
why it does not apply (``not_applicable_reason``); each task links to a parent task by its code
(``parent_task``). A reference to a group or task that does not exist stops the seeding with a
``SeedError`` instead of loading a program that silently covers nothing. Fields the tables do not
hold (``note``, ``source``, ``demo_figure``, ...) document the demo data and are not loaded.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.db import serialize
from cascade_shared.events import PlanApproved
from sqlmodel import select

from cascade_plans.domain.plan import content_hash, in_force, level_of
from cascade_plans.models import AppUser, Indicator, OrgUnit, Plan, PlanVersion, Task, TaskGroup
from cascade_plans.payloads import unit_changed, user_changed
from cascade_plans.store import plan_content

log = logging.getLogger(__name__)

DEMO_FILE = Path(__file__).parent / "seed" / "demo.json"
DEMO_WARDS_FILE = Path(__file__).parent / "seed" / "demo-wards.json"
"""Approved plans of four Huế wards, seeded besides the programs for the demo (make run)."""


class SeedError(ValueError):
    """The seed file refers to a program, task group or task that it does not define."""


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _lookup(table: dict[Any, str], key: Any, what: str) -> str:
    try:
        return table[key]
    except KeyError:
        raise SeedError(f"the seed file refers to an unknown {what}: {key}") from None


async def seed_directory_and_programs(
    runtime: ServiceRuntime, path: Path = DEMO_FILE, more_plans: tuple[Path, ...] = ()
) -> bool:
    """Seed once: does nothing when the directory already has units. Returns whether it seeded.
    ``more_plans`` are files of further plans, seeded after the file's own."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for extra in more_plans:
        data["plans"] += json.loads(extra.read_text(encoding="utf-8"))["plans"]
    async with runtime.sessionmaker() as session, session.begin():
        await serialize(session, "cascade-plans:seed")  # replicas starting at once take turns
        if (await session.exec(select(OrgUnit).limit(1))).first() is not None:
            return False
        directory: set[str] = set()
        for kind, entries in (("unit", data["units"]), ("body", data.get("bodies", []))):
            for u in entries:
                entry = OrgUnit(**{**u, "kind": kind})
                session.add(entry)
                directory.add(entry.code)
                runtime.emit(
                    session,
                    unit_changed(entry),
                    actor="seed",
                    org_unit=entry.code,
                    subject_id=entry.code,
                )
        for u in data["users"]:
            account = AppUser(**u)
            session.add(account)
            runtime.emit(
                session,
                user_changed(account),
                actor="seed",
                org_unit=u["unit"],
                subject_id=u["username"],
            )
        await session.flush()
        plan_ids: dict[str, str] = {}
        task_ids: dict[tuple[str, str], str] = {}
        group_ids: dict[tuple[str, str], str] = {}
        for p in data["plans"]:
            parent_key: str | None = p.get("parent")
            plan = Plan(
                unit=p["unit"],
                title=p["title"],
                resolution=p["resolution"],
                term_start=p["term_start"],
                term_end=p["term_end"],
                parent_plan_id=_lookup(plan_ids, parent_key, "parent program")
                if parent_key
                else None,
                status="approved",
                in_force_version=1,
                drafter="seed",
                seed_key=p["key"],
                note=p.get("note"),
            )
            session.add(plan)
            plan_ids[p["key"]] = plan.id
            groups: dict[str, str] = {}
            for i, g in enumerate(p["task_groups"]):
                parent_group = None
                if parent_key:
                    link = g.get("parent_task_group")
                    if link is not None:
                        parent_group = _lookup(
                            group_ids, (parent_key, link), f"task group of {parent_key}"
                        )
                    else:
                        parent_group = group_ids.get((parent_key, g["code"]))
                group = TaskGroup(
                    plan_id=plan.id,
                    code=g["code"],
                    title=g["title"],
                    position=i,
                    parent_task_group_id=parent_group,
                    not_applicable_reason=g.get("not_applicable_reason"),
                )
                session.add(group)
                groups[g["code"]] = group.id
                group_ids[(p["key"], g["code"])] = group.id
            for i, ind in enumerate(p["indicators"]):
                session.add(
                    Indicator(
                        plan_id=plan.id,
                        position=i,
                        code=ind["code"],
                        name=ind["name"],
                        unit=ind["unit"],
                        baseline=ind.get("baseline"),
                        target=ind["target"],
                        year=ind["year"],
                        comparator=ind.get("comparator", ">="),
                    )
                )
            for i, t in enumerate(p["tasks"]):
                product = t.get("product") or {}
                for unit in (t["lead_unit"], *t.get("cooperating_units", [])):
                    if unit not in directory:
                        raise SeedError(
                            f"task {t['code']} of {p['key']} names {unit!r}, which is not in "
                            "the directory: list it under units or bodies, by its code"
                        )
                parent_task = (
                    _lookup(task_ids, (parent_key, t["parent_task"]), f"task of {parent_key}")
                    if parent_key and t.get("parent_task")
                    else None
                )
                task = Task(
                    plan_id=plan.id,
                    code=t["code"],
                    task_group_id=_lookup(groups, t["task_group"], f"task group of {p['key']}")
                    if t.get("task_group")
                    else None,
                    job=t["job"],
                    lead_unit=t["lead_unit"],
                    cooperating_units=t.get("cooperating_units", []),
                    responsible_person=t.get("responsible_person"),
                    start=_date(t.get("start")),
                    deadline=_date(t.get("deadline")),
                    milestones=t.get("milestones", []),
                    product_description=product.get("description"),
                    product_quantity=product.get("quantity"),
                    product_unit=product.get("unit"),
                    parent_task_id=parent_task,
                    kind=t.get("kind", "task"),
                    budget=t.get("budget"),
                    position=i,
                )
                session.add(task)
                task_ids[(p["key"], t["code"])] = task.id
            await session.flush()
            content, _ = await plan_content(session, plan)
            session.add(
                PlanVersion(
                    plan_id=plan.id,
                    version=1,
                    content=content.as_dict(),
                    content_hash=content_hash(content.as_dict()),
                    submitted_by="seed",
                    outcome="approved",
                )
            )
            runtime.emit(
                session,
                PlanApproved(
                    **in_force(content.as_dict()),
                    plan_id=plan.id,
                    version=1,
                    unit=plan.unit,
                    unit_level=level_of(plan.unit),
                    title=plan.title,
                    drafter="seed",
                ),
                actor="seed",
                org_unit=plan.unit,
                subject_id=plan.id,
            )
    log.info(
        "seeded %d units, %d bodies, %d users, %d programs",
        len(data["units"]),
        len(data.get("bodies", [])),
        len(data["users"]),
        len(data["plans"]),
    )
    return True


async def on_start(runtime: ServiceRuntime) -> None:
    if runtime.settings.seed_demo:
        extra = (DEMO_WARDS_FILE,) if runtime.settings.demo_history else ()
        await seed_directory_and_programs(runtime, more_plans=extra)
