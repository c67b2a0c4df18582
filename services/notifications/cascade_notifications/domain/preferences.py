"""Which channels a user gets for a kind of event: preference rules, free of HTTP and SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ANY_KIND = "*"


@dataclass(frozen=True)
class ChannelRule:
    """A user's choice for one kind (or ``*``): in-app, e-mail, and e-mail as a daily digest."""

    inapp: bool = True
    email: bool = True
    digest: bool = False


DEFAULT = ChannelRule()


@dataclass(frozen=True)
class Channels:
    inapp: bool
    email: bool
    email_in_digest: bool


def channels_for(
    kind: str, critical: bool, rules: Mapping[str, ChannelRule], *, has_email: bool
) -> Channels:
    """The channels of one message.

    The rule for the kind wins over the user's ``*`` rule, which wins over the default (in-app
    and e-mail, one by one). Critical messages (deadlines, escalations) always reach the in-app
    inbox and are never held for the digest.
    """
    rule = rules.get(kind) or rules.get(ANY_KIND) or DEFAULT
    email = rule.email and has_email
    return Channels(
        inapp=rule.inapp or critical,
        email=email,
        email_in_digest=email and rule.digest and not critical,
    )
