"""Unit codes are paths (``vn.hue.huong-an``): a unit's subtree is a prefix of its code."""

from __future__ import annotations


def like_prefix(unit: str) -> str:
    """A LIKE pattern for the units strictly below ``unit`` (``%`` and ``_`` escaped with \\)."""
    escaped = unit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + ".%"


def unit_within(unit: str, ancestor: str) -> bool:
    """True when ``unit`` is ``ancestor`` or lies below it."""
    return unit == ancestor or unit.startswith(ancestor + ".")


def parent_unit(unit: str) -> str | None:
    """The unit directly above ``unit``; None for the root."""
    return unit.rsplit(".", 1)[0] if "." in unit else None
