"""The notifications service's event handlers: read models, and one message per recipient and
channel for every event that concerns people.

Every row is written in the handler's transaction (the one that records the event in the inbox)
with ``ON CONFLICT DO NOTHING`` on (event, recipient, channel): a redelivered or replayed event
creates nothing new. E-mails and webhook calls are only queued here; workers send them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cascade_shared.chassis.service import HandlerContext
from cascade_shared.db import table_of
from cascade_shared.envelope import Envelope, as_utc, utcnow
from cascade_shared.events import DelegationChanged, UnitChanged, UserChanged
from cascade_shared.projector import (
    insert_ignoring_repeats,
    insert_or_lock,
    keeps_latest,
    older,
)
from sqlalchemy import or_
from sqlmodel import col, select

from cascade_notifications.domain.digest import next_digest_at
from cascade_notifications.domain.preferences import ChannelRule, channels_for
from cascade_notifications.domain.recipients import (
    RESULT_EVENTS,
    REVISION_EVENTS,
    Addressee,
    DelegationRule,
    Person,
    addressees,
    needs_children,
    units_concerned,
)
from cascade_notifications.domain.templates import render_kind
from cascade_notifications.domain.webhooks import subscribed
from cascade_notifications.models import (
    Delegation,
    Delivery,
    Notification,
    Preference,
    Recipient,
    UnitView,
    WebhookSubscription,
    new_id,
)
from cascade_notifications.signals import after_commit
from cascade_notifications.store import settings_of, signals_of

KEY = ["event_id", "recipient", "channel"]


# -- read models ------------------------------------------------------------------------------
# The latest event wins: each row keeps the ``occurred_at`` of the event it reflects, and an
# event older than that (a concurrent consumer's, a replayed dead letter) changes nothing. The
# row is inserted if new or else locked first, so two consumers of one row apply in turn.
on_unit_changed = keeps_latest(UnitView, UnitChanged, tuple(UnitChanged.model_fields))
on_user_changed = keeps_latest(Recipient, UserChanged, tuple(UserChanged.model_fields))


async def on_delegation_changed(ctx: HandlerContext, envelope: Envelope) -> None:
    """Keep a delegation as its latest event left it. A revoke is final, whatever the order:
    revoked before its grant arrives (the revoked row is kept), the late or replayed grant is
    ignored - approvals never grants a revoked delegation again."""
    change = DelegationChanged.model_validate(envelope.payload)
    revoked = envelope.type == "approval.delegation_revoked"
    changed_at = as_utc(envelope.occurred_at)
    row = await insert_or_lock(
        ctx.session,
        Delegation,
        {
            "delegation_id": change.delegation_id,
            "unit": change.unit,
            "delegator": change.delegator,
            "delegate": change.delegate,
            "starts_at": change.starts_at,
            "ends_at": change.ends_at,
            "active": change.active and not revoked,
            "changed_at": changed_at,
        },
    )
    if row is None:
        return
    if revoked:
        row.active = False
        if not older(envelope.occurred_at, row.changed_at):
            row.changed_at = changed_at
    elif row.active and not older(envelope.occurred_at, row.changed_at):
        row.starts_at, row.ends_at, row.active = change.starts_at, change.ends_at, change.active
        row.changed_at = changed_at
    else:
        return
    ctx.session.add(row)


# -- who ----------------------------------------------------------------------------------------
def _person(r: Recipient) -> Person:
    return Person(r.username, r.unit, tuple(r.roles), r.language, r.email, r.name)


async def _child_units(ctx: HandlerContext, unit: str) -> list[str]:
    """The units directly below ``unit``: from the units read model, and from users' units.
    Outside bodies registered under ``unit`` are no units below it (they make no plan), even
    should someone's account be attached to one."""
    below = select(UnitView.code, UnitView.kind).where(UnitView.parent == unit)
    entries = (await ctx.session.exec(below)).all()
    known = {code for code, kind in entries if kind == "unit"}
    bodies = {code for code, kind in entries if kind != "unit"}
    prefix = unit + ".%"
    deeper = unit + ".%.%"
    from_users = (
        await ctx.session.exec(
            select(Recipient.unit)
            .where(col(Recipient.unit).like(prefix), ~col(Recipient.unit).like(deeper))
            .distinct()
        )
    ).all()
    return sorted((known | set(from_users)) - bodies)


async def _people(
    ctx: HandlerContext, units: Iterable[str], usernames: Iterable[str]
) -> list[Person]:
    units, usernames = set(units), set(usernames)
    if not units and not usernames:
        return []
    rows = (
        await ctx.session.exec(
            select(Recipient).where(
                Recipient.active == True,  # noqa: E712
                or_(col(Recipient.unit).in_(units), col(Recipient.username).in_(usernames)),
            )
        )
    ).all()
    return [_person(r) for r in rows]


async def _delegations(ctx: HandlerContext, unit: str) -> list[DelegationRule]:
    rows = (
        await ctx.session.exec(
            select(Delegation).where(
                Delegation.active == True,  # noqa: E712
                col(Delegation.unit).in_([unit, ""]),
            )
        )
    ).all()
    return [
        DelegationRule(d.delegator, d.delegate, d.unit, d.starts_at, d.ends_at, d.active)
        for d in rows
    ]


async def _rules(ctx: HandlerContext, usernames: list[str]) -> dict[str, dict[str, ChannelRule]]:
    rows = (
        await ctx.session.exec(select(Preference).where(col(Preference.username).in_(usernames)))
    ).all()
    rules: dict[str, dict[str, ChannelRule]] = {}
    for p in rows:
        rules.setdefault(p.username, {})[p.kind] = ChannelRule(p.inapp, p.email, p.digest)
    return rules


NAMED_UNITS = ("unit", "plan_unit", "lead_unit", "escalated_to_unit")
"""Payload fields holding a unit code that messages name: each gets a ``<field>_name``."""


async def with_unit_names(ctx: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` plus the directory's name of each unit it names (when the read model knows
    it), for the templates: "Phường Hương An" rather than ``vn.hue.huong-an``."""
    codes = {payload[f] for f in NAMED_UNITS if isinstance(payload.get(f), str)}
    if not codes:
        return payload
    rows = (
        await ctx.session.exec(
            select(UnitView.code, UnitView.name).where(col(UnitView.code).in_(codes))
        )
    ).all()
    names = {code: name for code, name in rows if name}
    return {
        **payload,
        **{f"{f}_name": names[payload[f]] for f in NAMED_UNITS if payload.get(f) in names},
    }


def event_unit(envelope: Envelope) -> str | None:
    payload = envelope.payload
    return payload.get("plan_unit") or payload.get("unit") or envelope.org_unit


# -- what they get ------------------------------------------------------------------------------
async def queue_webhooks(session: Any, envelope: Envelope, now: datetime) -> int:
    """One signed call per matching subscription, queued for the sender (in ``session``'s
    transaction, once per event and subscription)."""
    subs = (
        await session.exec(
            select(WebhookSubscription).where(WebhookSubscription.active == True)  # noqa: E712
        )
    ).all()
    unit = event_unit(envelope)
    body = envelope.model_dump_json()
    rows = [
        {
            "id": new_id(),
            "event_id": str(envelope.id),
            "event_type": envelope.type,
            "recipient": sub.id,
            "channel": "webhook",
            "target": sub.url,
            "subject": envelope.type,
            "body": body,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for sub in subs
        if subscribed(sub.unit, sub.event_types, envelope.type, unit)
    ]
    return await insert_ignoring_repeats(session, table_of(Delivery), rows, KEY)


async def deliver(
    ctx: HandlerContext,
    envelope: Envelope,
    chosen: list[Addressee],
    plan_id: str | None,
    values: dict[str, Any] | None = None,
) -> None:
    """In-app rows, e-mail deliveries (now or in the digest) and webhook calls for one event.
    ``values`` fill the templates (default: the event's payload)."""
    settings = settings_of(ctx.runtime)
    now = utcnow()
    rules = await _rules(ctx, [a.person.username for a in chosen])
    digest_at = next_digest_at(now, hour=settings.digest_hour, zone=settings.timezone)
    inapp: list[dict[str, Any]] = []
    mail: list[dict[str, Any]] = []
    for a in chosen:
        person = a.person
        message = render_kind(
            a.kind, envelope.payload if values is None else values, person.language
        )
        channels = channels_for(
            a.kind,
            a.critical,
            rules.get(person.username, {}),
            has_email=bool(person.email and settings.smtp_host),
        )
        if channels.inapp:
            inapp.append(
                {
                    "id": new_id(),
                    "event_id": str(envelope.id),
                    "event_type": envelope.type,
                    "recipient": person.username,
                    "channel": "inapp",
                    "kind": a.kind,
                    "title": message.title[:500],
                    "body": message.body[:5000],
                    "plan_id": plan_id,
                    "critical": a.critical,
                    "created_at": now,
                }
            )
        if channels.email:
            mail.append(
                {
                    "id": new_id(),
                    "event_id": str(envelope.id),
                    "event_type": envelope.type,
                    "recipient": person.username,
                    "channel": "email",
                    "target": person.email,
                    "subject": message.title[:500],
                    "body": message.body,
                    "state": "digest" if channels.email_in_digest else "pending",
                    "attempts": 0,
                    "next_attempt_at": digest_at if channels.email_in_digest else now,
                    "created_at": now,
                }
            )
    await insert_ignoring_repeats(ctx.session, table_of(Notification), inapp, KEY)
    await insert_ignoring_repeats(ctx.session, table_of(Delivery), mail, KEY)
    await queue_webhooks(ctx.session, envelope, now)
    signals = signals_of(ctx.runtime)
    after_commit(ctx.session, signals.inbox.notify)
    after_commit(ctx.session, signals.deliveries.notify)


async def on_event_for_people(ctx: HandlerContext, envelope: Envelope) -> None:
    """Steps, deadlines, escalations, plan outcomes and results (reports, overdue tasks,
    evaluations): find the people, then tell them."""
    payload = envelope.payload
    now = utcnow()
    units = units_concerned(envelope.type, payload)
    children = (
        await _child_units(ctx, payload["unit"]) if needs_children(envelope.type, payload) else []
    )
    delegations: list[DelegationRule] = []
    if "role" in payload and envelope.type != "approval.step_escalated":
        delegations = await _delegations(ctx, payload["unit"])
    names = {payload.get("drafter") or ""} | {d.delegate for d in delegations}
    people = await _people(ctx, units | set(children), names - {""})
    chosen = addressees(
        envelope.type,
        payload,
        people,
        delegations=delegations,
        child_units=children,
        now=now,
    )
    values = await with_unit_names(ctx, payload) if chosen else payload
    await deliver(ctx, envelope, chosen, payload.get("plan_id"), values)


HANDLERS = {
    "directory.unit_changed": on_unit_changed,
    "directory.user_changed": on_user_changed,
    "approval.delegation_granted": on_delegation_changed,
    "approval.delegation_revoked": on_delegation_changed,
    "approval.step_assigned": on_event_for_people,
    "approval.step_carried_over": on_event_for_people,
    "approval.step_reminded": on_event_for_people,
    "approval.step_overdue": on_event_for_people,
    "approval.step_escalated": on_event_for_people,
    "plan.approved": on_event_for_people,
    "plan.returned": on_event_for_people,
    "plan.rejected": on_event_for_people,
    "plan.withdrawn": on_event_for_people,
    **{event_type: on_event_for_people for event_type in (*RESULT_EVENTS, *REVISION_EVENTS)},
}
