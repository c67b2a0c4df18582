"""Unit codes are paths (``vn.hue.huong-an``): a unit's subtree is a prefix of its code."""

from __future__ import annotations


def like_prefix(unit: str) -> str:
    """A LIKE pattern for the units strictly below ``unit`` (``%`` and ``_`` escaped with \\)."""
    escaped = unit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + ".%"
