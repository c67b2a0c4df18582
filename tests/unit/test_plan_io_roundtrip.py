"""Export -> import reproduces any plan: a property test over generated plans (task groups,
tasks of every kind with budgets, Vietnamese text with ';' and other tricky characters,
indicators, milestones, cooperating units from a small directory)."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any, get_args

from cascade_plans.io.tables import (
    COMPARATORS,
    KIND_LABELS,
    TASK_HEADERS,
    parse_period,
    parse_tables,
    tasks_to_csv,
    tasks_to_xlsx,
)
from cascade_plans.schemas import TaskKind
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DIRECTORY = {
    "vn.hue": "Thành ủy Huế",
    "vn.hue.so-y-te": "Sở Y tế",
    "vn.hue.cong-an": "Công an thành phố Huế",
    "vn.hue.mttq": "Ủy ban MTTQ Việt Nam thành phố, các tổ chức chính trị - xã hội",
    "vn.hue.huong-an": "Phường Hương An",
    "vn.hue.ubnd-cac-phuong-xa": "UBND các phường, xã",
}
PARENT_TASKS = ["H-1.1", "H-1.2", "TW-3.2"]
PARENT_GROUPS = ["TG01", "TG02", "TG03"]

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    "AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
    "áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "ÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
)
TRICKY = " ;,:.-/'\"=+@()%&<>“”–0123456789"


def clean(text: str) -> str:
    """Text as a cell keeps it: composed Unicode, no spaces around."""
    return unicodedata.normalize("NFC", text).strip()


def texts(min_size: int = 1, max_size: int = 40, lines: bool = False) -> st.SearchStrategy[str]:
    alphabet = VIETNAMESE + TRICKY + ("\n" if lines else "")
    return (
        st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)
        .map(clean)
        .filter(lambda s: len(s) >= min_size)
    )


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


codes = st.from_regex(r"[A-ZĐ]{1,3}-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True)
periods = st.builds(
    lambda y, q, m, quarter: f"{y}-Q{q}" if quarter else f"{y}-{m:02d}",
    st.integers(2026, 2031),
    st.integers(1, 4),
    st.integers(1, 12),
    st.booleans(),
)


def _reads_as_one_milestone(description: str) -> bool:
    """A ';' followed by a period would start a milestone: the one thing a description cannot
    hold (as a line break, which export writes as a space)."""
    return not any(parse_period(p.partition(":")[0]) for p in description.split(";")[1:])


milestones = st.lists(
    st.fixed_dictionaries(
        {
            "period": periods,
            "description": texts(min_size=0, max_size=30).filter(_reads_as_one_milestone),
        }
    ),
    max_size=4,
)


def excel_digits(strategy: st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    """A number as Excel holds it: 15 significant digits (a workbook keeps 16)."""
    return strategy.map(lambda x: float(f"{x:.15g}"))


amounts = excel_digits(st.floats(min_value=0, max_value=1e9, allow_nan=False))
positive = excel_digits(st.floats(min_value=0.001, max_value=1e7, allow_nan=False))
figures = excel_digits(st.floats(-1e6, 1e6, allow_nan=False))
days = st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat)


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    group_codes = draw(st.lists(codes, unique=True, max_size=4))
    groups = [
        {
            "code": code,
            "title": draw(texts(max_size=60)),
            "parent_task_group": draw(optional(st.sampled_from(PARENT_GROUPS))),
            "not_applicable_reason": draw(optional(texts())),
        }
        for code in group_codes
    ]
    units = list(DIRECTORY)
    tasks = [
        {
            "code": code,
            "task_group": draw(optional(st.sampled_from(group_codes))) if group_codes else None,
            "job": draw(texts(max_size=80, lines=True)),
            "lead_unit": draw(optional(st.sampled_from(units))),
            "cooperating_units": draw(st.lists(st.sampled_from(units), unique=True, max_size=3)),
            "responsible_person": draw(optional(texts())),
            "start": draw(optional(days)),
            "deadline": draw(optional(days)),
            "milestones": draw(milestones),
            "product_description": draw(optional(texts(lines=True))),
            "product_quantity": draw(optional(positive)),
            "product_unit": draw(optional(texts(max_size=10))),
            "parent_task_code": draw(optional(st.sampled_from(PARENT_TASKS))),
            "kind": draw(st.sampled_from(list(KIND_LABELS))),
            "budget": draw(optional(amounts)),
        }
        for code in draw(st.lists(codes, unique=True, max_size=6))
    ]
    indicators = [
        {
            "code": code,
            "name": draw(texts(max_size=60)),
            "unit": draw(texts(max_size=10)),
            "baseline": draw(optional(figures)),
            "target": draw(figures),
            "year": draw(st.integers(2000, 2100)),
            "comparator": draw(st.sampled_from(COMPARATORS)),
        }
        for code in draw(st.lists(codes, unique=True, max_size=4))
    ]
    return {"title": "Kế hoạch", "task_groups": groups, "tasks": tasks, "indicators": indicators}


def as_parsed(task: dict[str, Any]) -> dict[str, Any]:
    """A task as the import reads it: its dates as dates."""
    return {
        **task,
        "start": date.fromisoformat(task["start"]) if task["start"] else None,
        "deadline": date.fromisoformat(task["deadline"]) if task["deadline"] else None,
    }


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(plans())
def test_an_exported_workbook_imports_back_to_the_same_plan(plan: dict[str, Any]) -> None:
    parsed = parse_tables(tasks_to_xlsx(plan, DIRECTORY), "x.xlsx", DIRECTORY)
    assert parsed.errors == []
    assert parsed.groups == plan["task_groups"]
    assert parsed.tasks == [as_parsed(t) for t in plan["tasks"]]
    assert parsed.indicators == plan["indicators"]
    assert parsed.task_rows == list(range(2, len(plan["tasks"]) + 2))


@FAST
@given(plans())
def test_an_exported_csv_imports_back_to_the_same_tasks(plan: dict[str, Any]) -> None:
    parsed = parse_tables(tasks_to_csv(plan, DIRECTORY), "x.csv", DIRECTORY)
    assert parsed.errors == []
    assert parsed.tasks == [as_parsed(t) for t in plan["tasks"]]


def test_every_kind_of_task_has_its_label_and_the_api_takes_it() -> None:
    assert set(KIND_LABELS) == set(get_args(TaskKind))
    assert "kind" in TASK_HEADERS and "budget" in TASK_HEADERS
