"""Results roll up the hierarchy: a task's progress combines the tasks that concretize it, and an
indicator combines the indicators below it by its own rule.

Both are plain functions of the numbers, so "a roll-up is consistent with its reports" is a
matter of calling them on the reports' figures, at every level, every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeGuard

RollupRule = Literal["none", "sum", "mean", "weighted_mean", "min", "max"]
ROLLUP_RULES: tuple[RollupRule, ...] = ("none", "sum", "mean", "weighted_mean", "min", "max")


def is_rollup_rule(rule: str) -> TypeGuard[RollupRule]:
    return rule in ROLLUP_RULES


def combine_progress(
    own: float | None, children: Sequence[tuple[float | None, float]]
) -> float | None:
    """A task's rolled-up percent: the weighted mean of the tasks that concretize it (each
    with its weight, 1 unless the unit above set one), with the unit's own report counted as
    one more part of weight 1. A child that has not reported counts as 0% done: a ward that
    says nothing has done nothing yet. None when there is nothing at all to combine."""
    parts = [(p if p is not None else 0.0, w) for p, w in children if w > 0]
    if own is not None:
        parts.append((own, 1.0))
    total = sum(w for _, w in parts)
    if total == 0:
        return own
    return round(sum(p * w for p, w in parts) / total, 2)


def rollup_values(rule: RollupRule, values: Sequence[tuple[float, float]]) -> float | None:
    """Combine the children's actual values (value, weight) by ``rule``."""
    if rule == "none" or not values:
        return None
    numbers = [v for v, _ in values]
    if rule == "sum":
        return sum(numbers)
    if rule == "mean":
        return sum(numbers) / len(numbers)
    if rule == "weighted_mean":
        total = sum(w for _, w in values)
        return sum(v * w for v, w in values) / total if total else None
    if rule == "min":
        return min(numbers)
    return max(numbers)


def attainment(
    actual: float | None, target: float, baseline: float | None, comparator: str
) -> float | None:
    """How far the indicator has come from its baseline towards its target, from 0 to 1.

    Higher is better for ``>=``/``>`` (e.g. GRDP growth), lower for ``<=``/``<`` (e.g. late
    files). Without a baseline the ratio to the target is used (inverted when lower is
    better). None when there is no actual value yet."""
    if actual is None:
        return None
    lower_better = comparator in ("<=", "<")
    if comparator == "=":
        return 1.0 if actual == target else 0.0
    if baseline is not None and baseline != target:
        share = (actual - baseline) / (target - baseline)
    elif lower_better:
        share = 1.0 if actual <= target else (target / actual if actual else 0.0)
    else:
        share = 1.0 if actual >= target else (actual / target if target else 0.0)
    return max(0.0, min(1.0, share))


def met(actual: float | None, target: float, comparator: str) -> bool | None:
    if actual is None:
        return None
    return {
        ">=": actual >= target,
        ">": actual > target,
        "<=": actual <= target,
        "<": actual < target,
        "=": actual == target,
    }.get(comparator, actual >= target)
