"""The audit trail read as sentences: each record ("approval.step_decided" by ``approver.hue``
at 07:05 UTC) as an official would write it down ("Đ/c Nguyễn Văn An trả lại kế hoạch “…” ở
bước 2 (Người phê duyệt - Thành phố Huế) lúc 14:05 ngày 03/03/2026"). Each event type has its
sentence in the catalogue (``says.<type>``, both languages); the record's payload fills it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cascade_portal.i18n import MESSAGES
from cascade_portal.names import Names
from cascade_portal.official import clock, day, fold, period_label
from cascade_portal.official import number as official_number

DECISIONS = {"approved": "approve", "returned": "return", "rejected": "reject"}
"""The decisions of approval.step_decided, as the catalogue's verbs (``trail.decision.*``)."""


class _Blank(dict[str, str]):
    """A sentence's values: a value the record lacks reads as nothing, not as an error."""

    def __missing__(self, key: str) -> str:
        return ""


SELF_NAMED = ("ke hoach", "chuong trinh", "de an", "plan", "program")
"""Titles that say what they are ("Kế hoạch của Đảng ủy phường …"): no "kế hoạch" before them."""


def plan_phrase(payload: Mapping[str, Any], names: Names) -> str:
    """The plan a record concerns: kế hoạch “title” (“Kế hoạch …” when the title says it is a
    plan), or just kế hoạch."""
    title = str(payload.get("title") or payload.get("plan_title") or "").strip()
    if title and fold(title).startswith(SELF_NAMED):
        return f"\u201c{title}\u201d"
    if title:
        return names.t("trail.plan_titled").replace("{title}", title)
    return names.t("trail.plan")


def step_phrase(payload: Mapping[str, Any], names: Names) -> str:
    """An approval step: its number and who decides it (the event names no step slug)."""
    who = names.step(payload.get("step_name"), payload.get("unit"), payload.get("role"))
    text = names.t("trail.step").replace("{n}", str(payload.get("step_no") or "?"))
    return text.replace("{who}", who)


def actor_of(record: Mapping[str, Any]) -> str | None:
    payload = record.get("payload") or {}
    for key in ("decided_by", "submitted_by", "published_by"):
        if not record.get("actor") and payload.get(key):
            return str(payload[key])
    return str(record["actor"]) if record.get("actor") else None


def sentence(record: Mapping[str, Any], names: Names) -> str:
    """One audit record as a sentence in the reader's language, with when it happened on
    Vietnam's clock."""
    payload: Mapping[str, Any] = record.get("payload") or {}
    kind = str(record.get("event_type") or "")
    unit = payload.get("unit") or payload.get("plan_unit") or record.get("org_unit")
    actor = actor_of(record)
    acting_unit = payload.get("unit") if kind == "approval.step_decided" else None
    if kind.startswith("results.report_") and kind != "results.report_submitted":
        acting_unit = str(unit).rsplit(".", 1)[0] if unit and "." in str(unit) else None
    values = _Blank(
        who=names.comrade(actor, acting_unit) if actor else names.t("who.system"),
        plan=plan_phrase(payload, names),
        version=str(payload.get("version") or payload.get("plan_version") or ""),
        step=step_phrase(payload, names),
        unit=names.unit(unit),
        period=period_label(payload.get("period"), names.lang, in_sentence=True),
        due=day(payload.get("due_at") or payload.get("due_on")),
        deadline=day(payload.get("deadline")),
        until=day(payload.get("ends_at")),
        delegate=names.person(payload.get("delegate"), payload.get("unit")),
        escalated_to=names.unit(payload.get("escalated_to_unit")),
        task=str(payload.get("task_code") or ""),
        title=str(payload.get("title") or ""),
        name=str(payload.get("name") or payload.get("code") or ""),
        score=official_number(payload.get("score"), names.lang),
        first=str(payload.get("first_seq") or ""),
        last=str(payload.get("last_seq") or ""),
    )
    decision = DECISIONS.get(str(payload.get("decision") or ""))
    values["decision"] = names.t(f"trail.decision.{decision}") if decision else ""
    behalf = payload.get("on_behalf_of")
    values["behalf"] = (
        names.t("trail.on_behalf").replace("{name}", names.person(behalf, payload.get("unit")))
        if behalf
        else ""
    )
    approved = [str(g.get("code")) for g in payload.get("approved_groups") or []]
    returned = [str(g.get("code")) for g in payload.get("returned_groups") or []]
    values["groups"] = (
        names.t("trail.groups")
        .replace("{approved}", ", ".join(approved))
        .replace("{returned}", ", ".join(returned))
        if approved and returned
        else ""
    )
    outcome = str(payload.get("outcome") or "")
    key = f"trail.outcome.{outcome}"
    values["outcome"] = names.t(key) if key in MESSAGES else outcome
    template = f"says.{kind}"
    text = names.t(template if template in MESSAGES else "says.other").format_map(values)
    when = record.get("occurred_at")
    if when:
        text += names.t("trail.when").format_map(_Blank(time=clock(when), day=day(when)))
    return text[:1].upper() + text[1:]


def event_label(kind: str, names: Names) -> str:
    """An event type by its short label, for the search form."""
    key = f"event.{kind}"
    return names.t(key) if key in MESSAGES else names.t("event.other")
