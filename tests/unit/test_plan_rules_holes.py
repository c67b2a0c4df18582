"""The plan rules without holes (issue 14): one lead unit from the directory, "5 clear" values
that make sense, and mechanical copying caught against every task above, on Vietnamese
examples."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from cascade_plans.domain.plan import (
    Milestone,
    TaskContent,
    check_five_clear,
    check_plan,
    names_several_units,
    period_bounds,
)
from cascade_plans.domain.rules import (
    COPY_SIMILARITY,
    ParentTask,
    check_copying,
    check_mechanical_copy,
    copy_score,
    has_local_subject,
    similarity,
)
from cascade_plans.io import TASK_HEADERS, parse_tables, tasks_to_csv, tasks_to_xlsx
from cascade_plans.models import OrgUnit, Task
from cascade_plans.schemas import IndicatorIn, TaskGroupIn, TaskGroupPatch, TaskIn, TaskPatch
from cascade_plans.seed import DEMO_FILE, SeedError, seed_directory_and_programs
from cascade_plans.service import SERVICE
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.events import UnitChanged
from cascade_shared.settings import Settings
from pydantic import ValidationError
from sqlmodel import select

WARD = "vn.hue.huong-an"
DIRECTORY = {
    WARD: "Phường Hương An",
    "vn.hue": "Thành phố Huế",
    "vn.hue.so-y-te": "Sở Y tế thành phố Huế",
    "vn.hue.so-tai-chinh": "Sở Tài chính thành phố Huế",
    "vn.hue.ubnd-cac-phuong-xa": "UBND các phường, xã",
    "vn.hue.huong-an.cong-an": "Công an phường Hương An",
}
COMPLETE = TaskContent(
    code="HA-01",
    job="Xóa 12 điểm tập kết rác tự phát ven sông Hương",
    lead_unit=WARD,
    cooperating_units=("vn.hue.huong-an.cong-an",),
    responsible_person="Phó Chủ tịch UBND phường",
    start=date(2026, 3, 1),
    deadline=date(2026, 9, 30),
    milestones=(Milestone("2026-Q2", "6 điểm"),),
    product_description="điểm tập kết rác được xóa",
    product_quantity=12,
    product_unit="điểm",
)
TERM = (2026, 2031)


def with_(**changes: object) -> TaskContent:
    return TaskContent(**{**COMPLETE.__dict__, **changes})  # type: ignore[arg-type]


def reasons(task: TaskContent, **kwargs: object) -> dict[str, str]:
    return {v.element: v.reason for v in check_five_clear(task, **kwargs)}  # type: ignore[arg-type]


# -- 1 xuyên suốt: exactly one lead unit, an entry of the directory ---------------------------
def test_a_complete_task_with_directory_entries_and_its_term_is_five_clear() -> None:
    assert check_five_clear(COMPLETE, term=TERM, directory=DIRECTORY) == []


@pytest.mark.parametrize(
    "lead",
    [
        "Sở Y tế, Sở Tài chính",
        "Sở Y tế; Sở Tài chính",
        "Sở Y tế và Sở Tài chính",
        "vn.hue.so-y-te, vn.hue.so-tai-chinh",
        "vn.hue.so-y-te/vn.hue.so-tai-chinh",
    ],
)
def test_several_lead_units_in_one_field_are_refused(lead: str) -> None:
    assert names_several_units(lead)
    for directory in (None, DIRECTORY):
        found = reasons(with_(lead_unit=lead), directory=directory)
        assert list(found) == ["responsibility"]
        assert "exactly one" in found["responsibility"]


def test_a_lead_unit_must_be_a_directory_code() -> None:
    by_name = reasons(with_(lead_unit="Sở Y tế thành phố Huế"), directory=DIRECTORY)
    assert "directory code" in by_name["responsibility"]
    unknown = reasons(with_(lead_unit="vn.hue.so-khong-co"), directory=DIRECTORY)
    assert "not in the directory" in unknown["responsibility"]
    assert reasons(with_(lead_unit="vn.hue.so-y-te"), directory=DIRECTORY) == {}
    assert not names_several_units("vn.hue.so-y-te")


def test_cooperating_units_are_directory_entries_each_once_without_the_lead() -> None:
    unknown = reasons(with_(cooperating_units=("Các tổ dân phố",)), directory=DIRECTORY)
    assert unknown["responsibility"].startswith("cooperating unit")
    twice = reasons(with_(cooperating_units=("vn.hue", "vn.hue")), directory=DIRECTORY)
    assert "twice" in twice["responsibility"]
    lead_again = reasons(with_(cooperating_units=(WARD,)), directory=DIRECTORY)
    assert lead_again == {"responsibility": "the lead unit cannot also be a cooperating unit"}


# -- 5 rõ values that make sense -----------------------------------------------------------------
@pytest.mark.parametrize("quantity", [0, -3, float("nan")])
def test_a_product_quantity_is_positive(quantity: float) -> None:
    assert "positive" in reasons(with_(product_quantity=quantity))["product"]


def test_milestone_periods_in_every_format_are_read() -> None:
    assert period_bounds("2026-Q2") == (date(2026, 4, 1), date(2026, 6, 30))
    assert period_bounds("2026-03") == (date(2026, 3, 1), date(2026, 3, 31))
    assert period_bounds("2026-H1") == (date(2026, 1, 1), date(2026, 6, 30))
    assert period_bounds("2026-H2") == (date(2026, 7, 1), date(2026, 12, 31))
    assert period_bounds("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert period_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    for bad in ("2026-Q5", "2026-13", "quý 2", "", "2026-H3"):
        assert period_bounds(bad) is None


@pytest.mark.parametrize("period", ["2026-Q1", "2026-03", "2026-H1", "2026-H2", "2026-Q3", "2026"])
def test_a_milestone_overlapping_start_to_deadline_is_clear(period: str) -> None:
    assert reasons(with_(milestones=(Milestone(period, "x"),)), term=TERM) == {}


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("2026-02", "ends before the task starts (01/03/2026)"),
        ("2025", "ends before the task starts"),
        ("2026-Q4", "begins after the deadline (30/09/2026)"),
        ("2027-H1", "begins after the deadline"),
        ("Q2/2026", "is not a month"),
    ],
)
def test_a_milestone_outside_start_to_deadline_is_refused(period: str, words: str) -> None:
    task = with_(milestones=(Milestone("2026-Q2", "ok"), Milestone(period, "x")))
    assert words in reasons(task, term=TERM)["timeline"]


def test_start_and_deadline_fall_within_the_plans_term() -> None:
    early = with_(start=date(2025, 12, 1), milestones=(Milestone("2026-Q1", "x"),))
    assert "term 2026-2031" in reasons(early, term=TERM)["timeline"]
    late = with_(deadline=date(2032, 3, 31), milestones=(Milestone("2026-Q2", "x"),))
    assert "term 2026-2031" in reasons(late, term=TERM)["timeline"]
    assert reasons(late) == {}  # without the term, nothing to compare with
    errors = [v.as_error() for v in check_plan([COMPLETE, early], term=TERM)]
    assert [(e["task"], e["field"]) for e in errors] == [("HA-01", "tasks.HA-01.timeline")]


# -- schemas: refused at the moment it is set ----------------------------------------------------
def test_task_input_refuses_several_or_named_lead_units_naming_the_field() -> None:
    for lead in ("vn.hue.so-y-te, vn.hue.so-tai-chinh", "Sở Y tế thành phố Huế"):
        with pytest.raises(ValidationError) as info:
            TaskIn(code="T1", lead_unit=lead)
        assert info.value.errors()[0]["loc"] == ("lead_unit",)
        with pytest.raises(ValidationError):
            TaskPatch(lead_unit=lead)
    with pytest.raises(ValidationError, match="listed twice"):
        TaskIn(code="T1", cooperating_units=["vn.hue", "vn.hue"])
    with pytest.raises(ValidationError, match="cannot also be a cooperating unit"):
        TaskIn(code="T1", lead_unit=WARD, cooperating_units=[WARD])
    assert TaskIn(code="T1", lead_unit=" vn.hue.so-y-te ").lead_unit == "vn.hue.so-y-te"
    assert TaskPatch(lead_unit=None).lead_unit is None


def test_task_input_bounds_quantities_lists_and_text() -> None:
    for quantity in (0, -1):
        with pytest.raises(ValidationError):
            TaskIn(code="T1", product_quantity=quantity)
        with pytest.raises(ValidationError):
            TaskPatch(product_quantity=quantity)
    with pytest.raises(ValidationError):
        TaskIn(code="T1", job="x" * 2001)
    with pytest.raises(ValidationError):
        TaskIn(code="T1", milestones=[{"period": "2026-Q2", "description": "x" * 501}])
    with pytest.raises(ValidationError):
        TaskIn(code="T1", milestones=[{"period": "2026-Q2"}] * 73)
    with pytest.raises(ValidationError):
        TaskIn(code="T1", cooperating_units=[f"vn.u{i}" for i in range(31)])
    with pytest.raises(ValidationError):
        IndicatorIn(code="CT1", name="   ", unit="%", target=1, year=2026)


def test_a_not_applicable_reason_is_not_blank_when_set() -> None:
    for blank in ("", "   ", "\n\t"):
        with pytest.raises(ValidationError, match="needs the reason why"):
            TaskGroupPatch(not_applicable_reason=blank)
        with pytest.raises(ValidationError, match="needs the reason why"):
            TaskGroupIn(code="TG01", title="Môi trường", not_applicable_reason=blank)
    assert TaskGroupPatch(not_applicable_reason=None).not_applicable_reason is None  # clears it
    assert TaskGroupPatch(not_applicable_reason="Phường không có biển").not_applicable_reason
    with pytest.raises(ValidationError):
        TaskGroupPatch(not_applicable_reason="x" * 1001)
    with pytest.raises(ValidationError):
        TaskGroupPatch(title="   ")


# -- mechanical copying, against every task above -------------------------------------------------
HUE_JOB = (
    "Huy động lực lượng, phương tiện ra quân xử lý dứt điểm các điểm tập kết rác thải gây ô "
    "nhiễm trên địa bàn các phường, xã; không để phát sinh điểm mới"
)
CENTRAL_JOB = (
    "Bồi dưỡng kỹ năng tổ chức thực thi nghị quyết cho cán bộ lãnh đạo, quản lý cấp tỉnh và cấp xã"
)
H11 = ParentTask(
    code="H-1.1",
    plan_id="plan-hue",
    plan_title="Chương trình hành động của Thành ủy Huế",
    job=HUE_JOB,
    lead_unit="vn.hue.so-nong-nghiep-moi-truong",
    product_quantity=120,
    product_unit="điểm",
    id="task-h11",
)
H41 = ParentTask(
    code="H-4.1",
    plan_id="plan-hue",
    job="Mỗi cán bộ, đảng viên tự soi, tự sửa, đăng ký cam kết nêu gương",
    lead_unit="vn.hue.ban-to-chuc",
    product_quantity=100,
    product_unit="% đảng viên",
    id="task-h41",
)
TW42 = ParentTask(
    code="TW-4.2",
    plan_id="plan-tw",
    plan_title="Chương trình hành động của Trung ương",
    job=CENTRAL_JOB,
    lead_unit="vn.hoc-vien-chinh-tri",
    product_quantity=20000,
    product_unit="lượt cán bộ",
    id="task-tw42",
    level="grandparent",
)
ABOVE = [H11, H41, TW42]


def copying(task: TaskContent) -> dict[str, dict]:
    found = check_copying(task, ABOVE, own_unit=WARD, own_names=("Phường Hương An",))
    return {f.field.rsplit(".", 1)[1]: f.as_error() for f in found}


def ward_task(job: str, **changes: object) -> TaskContent:
    base = {
        "code": "HA-09",
        "job": job,
        "lead_unit": WARD,
        "product_description": "Báo cáo kết quả",
    }
    return TaskContent(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "job",
    [
        HUE_JOB,
        HUE_JOB.upper(),
        "huy dong luc luong phuong tien ra quan xu ly dut diem cac diem tap ket rac thai gay o "
        "nhiem tren dia ban cac phuong xa khong de phat sinh diem moi",  # no diacritics nor commas
        "Huy động  lực lượng - phương tiện ra quân xử lý dứt điểm các điểm tập kết rác thải gây ô "
        "nhiễm trên địa bàn phường; không để phát sinh điểm mới.",  # "các phường, xã" -> phường
        "Tiếp tục huy động lực lượng, phương tiện ra quân xử lý dứt điểm các điểm tập kết rác "
        "thải gây ô nhiễm trên địa bàn phường, không để phát sinh điểm mới trong năm",
        "Xử lý dứt điểm các điểm tập kết rác thải gây ô nhiễm, không để phát sinh điểm mới",
    ],
)
def test_copies_and_near_copies_of_an_unlinked_parent_task_are_flagged(job: str) -> None:
    found = copying(ward_task(job))  # not linked to H-1.1 at all
    assert list(found) == ["job"]
    warning = found["job"]
    assert warning["code"] == "mechanical-copy" and warning["severity"] == "warning"
    assert (warning["parent_task"], warning["parent_plan"]) == ("H-1.1", "plan-hue")
    assert warning["missing"] == ["local subject", "measurable local product"]
    assert "H-1.1" in warning["reason"] and "% alike)" in warning["reason"]
    assert "H-1.1" in warning["reason_vi"] and "sao chép máy móc" in warning["reason_vi"]


def test_a_copy_of_the_grandparent_is_flagged_and_names_that_plan() -> None:
    task = ward_task("Bồi dưỡng kỹ năng tổ chức thực thi nghị quyết cho cán bộ lãnh đạo, quản lý")
    warning = copying(task)["job"]
    assert (warning["parent_task"], warning["parent_plan"]) == ("TW-4.2", "plan-tw")
    assert warning["parent_plan_title"] == "Chương trình hành động của Trung ương"


def test_a_local_subject_or_a_measurable_local_product_makes_it_local() -> None:
    local_place = ward_task(HUE_JOB + " ven sông Hương, tổ dân phố Bồn Trì")
    assert copying(local_place) == {}
    own_name = ward_task(HUE_JOB.replace("các phường, xã", "phường Hương An"))
    assert copying(own_name) == {}
    local_number = ward_task(HUE_JOB + " tại 12 điểm")
    assert copying(local_number) == {}
    measurable = ward_task(HUE_JOB, product_quantity=12, product_unit="điểm")
    assert copying(measurable) == {}
    rewritten = ward_task(
        "Ra quân xử lý dứt điểm 12 điểm tập kết rác thải tự phát trên địa bàn phường Hương An",
        product_quantity=12,
        product_unit="điểm",
    )
    assert copying(rewritten) == {}
    assert similarity(rewritten.job, HUE_JOB) < COPY_SIMILARITY


def test_generic_words_are_no_local_subject() -> None:
    assert not has_local_subject(HUE_JOB + " của Đảng bộ và Nhân dân", HUE_JOB)
    assert not has_local_subject(HUE_JOB.upper() + " PHƯỜNG", HUE_JOB)
    assert has_local_subject(HUE_JOB + " Kim Long", HUE_JOB)


def test_keeping_the_parent_tasks_lead_unit_is_flagged() -> None:
    rewritten = (
        "Ra quân xử lý dứt điểm 12 điểm tập kết rác thải tự phát trên địa bàn phường Hương An"
    )
    kept = ward_task(
        rewritten,
        lead_unit="vn.hue.so-nong-nghiep-moi-truong",
        parent_task="task-h11",
        product_quantity=12,
        product_unit="điểm",
    )
    found = copying(kept)
    assert list(found) == ["lead_unit"]
    assert found["lead_unit"]["code"] == "mechanical-copy-lead-unit"
    assert found["lead_unit"]["parent_task"] == "H-1.1"
    assert found["lead_unit"]["missing"] == ["own lead unit"]
    # a word-for-word copy that also keeps the lead unit says so among what is missing
    copied = ward_task(HUE_JOB, lead_unit="vn.hue.so-nong-nghiep-moi-truong")
    assert copying(copied)["job"]["missing"] == [
        "local subject",
        "measurable local product",
        "own lead unit",
    ]
    # the parent task may itself name the ward (or a body of the ward) to lead
    own = ParentTask(code="H-3.1", plan_id="plan-hue", job="Tu bổ di tích", lead_unit=WARD, id="x")
    task = ward_task("Tu bổ 3 di tích trên địa bàn phường", parent_task="x")
    assert check_copying(task, [own], own_unit=WARD) == []


def test_keeping_the_parents_whole_city_quantity_is_flagged() -> None:
    job = "Ra quân xử lý dứt điểm các điểm tập kết rác thải tự phát ven sông Hương"
    unchanged = ward_task(job, parent_task="task-h11", product_quantity=120, product_unit="điểm")
    found = copying(unchanged)
    assert list(found) == ["product_quantity"]
    assert found["product_quantity"]["code"] == "mechanical-copy-quantity"
    assert found["product_quantity"]["missing"] == ["measurable local product"]
    # a share of its own, a percentage, or a single document is the ward's own
    share = ward_task(job, parent_task="task-h11", product_quantity=12, product_unit="điểm")
    assert copying(share) == {}
    percent = ward_task(
        "100% đảng viên phường Hương An đăng ký cam kết nêu gương",
        parent_task="task-h41",
        product_quantity=100,
        product_unit="% đảng viên",
    )
    assert copying(percent) == {}
    # and a copied job whose only product is the parent's figure is still a copy
    figure = ward_task(HUE_JOB, product_quantity=120, product_unit="điểm")
    assert set(copying(figure)) == {"job", "product_quantity"}


def test_the_old_one_parent_entry_point_still_answers() -> None:
    assert check_mechanical_copy(ward_task(HUE_JOB), HUE_JOB)[0].field == "tasks.HA-09.job"
    assert check_mechanical_copy(ward_task(HUE_JOB), None) == []
    assert copy_score("Xử lý dứt điểm các điểm tập kết rác thải", HUE_JOB) == 100.0  # cut down
    assert copy_score("Xử lý rác", HUE_JOB) < COPY_SIMILARITY  # too short to say


# -- import and export: a lead unit by code or exact name, shown by name -------------------------
HEADERS = list(TASK_HEADERS.values())


def csv_file(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([({"job": "Việc"} | row).get(key, "") for key in TASK_HEADERS])
    return out.getvalue().encode("utf-8-sig")


def test_import_reads_a_lead_unit_by_code_or_exact_name_and_keeps_the_code() -> None:
    data = csv_file(
        {"code": "T1", "lead_unit": "Sở Y tế thành phố Huế"},
        {"code": "T2", "lead_unit": "vn.hue.so-tai-chinh"},
        {"code": "T3", "lead_unit": "  Sở  Y tế thành phố Huế "},
        {
            "code": "T4",
            "lead_unit": WARD,
            "cooperating_units": "UBND các phường, xã; Công an phường Hương An, vn.hue",
        },
    )
    parsed = parse_tables(data, "a.csv", DIRECTORY)
    assert parsed.errors == []
    assert [t["lead_unit"] for t in parsed.tasks] == [
        "vn.hue.so-y-te",
        "vn.hue.so-tai-chinh",
        "vn.hue.so-y-te",
        WARD,
    ]
    assert parsed.tasks[3]["cooperating_units"] == [
        "vn.hue.ubnd-cac-phuong-xa",
        "vn.hue.huong-an.cong-an",
        "vn.hue",
    ]


def test_import_refuses_several_or_unknown_lead_units_naming_the_column() -> None:
    data = csv_file(
        {"code": "T1", "lead_unit": "Sở Y tế thành phố Huế, Sở Tài chính thành phố Huế"},
        {"code": "T2", "lead_unit": "Sở Y tế và Công an phường"},
        {"code": "T3", "lead_unit": "Sở Giáo dục thành phố Huế"},
        {"code": "T4", "lead_unit": WARD, "cooperating_units": "Các tổ dân phố"},
    )
    errors = parse_tables(data, "a.csv", DIRECTORY).errors
    assert [(e.row, e.column) for e in errors] == [
        (2, "Đơn vị chủ trì"),
        (3, "Đơn vị chủ trì"),
        (4, "Đơn vị chủ trì"),
        (5, "Đơn vị phối hợp"),
    ]
    assert "exactly one lead unit" in errors[0].reason and "several" in errors[1].reason
    assert "not in the directory" in errors[2].reason
    # without the directory, the file's format alone is read (as before)
    assert parse_tables(data, "a.csv").errors == []


def test_export_shows_names_and_imports_back_to_the_codes() -> None:
    plan = {
        "tasks": [
            {
                "code": "T1",
                "job": "Khám sàng lọc cho 500 người cao tuổi của phường",
                "lead_unit": "vn.hue.so-y-te",
                "cooperating_units": ["vn.hue.ubnd-cac-phuong-xa", WARD],
            }
        ]
    }
    text = tasks_to_csv(plan, DIRECTORY).decode("utf-8-sig")
    assert "Sở Y tế thành phố Huế" in text and "vn.hue.so-y-te" not in text
    assert "UBND các phường, xã; Phường Hương An" in text
    for data, name in (
        (tasks_to_csv(plan, DIRECTORY), "a.csv"),
        (tasks_to_xlsx(plan, DIRECTORY), "a.xlsx"),
    ):
        [task] = parse_tables(data, name, DIRECTORY).tasks
        assert task["lead_unit"] == "vn.hue.so-y-te"
        assert task["cooperating_units"] == ["vn.hue.ubnd-cac-phuong-xa", WARD]


# -- the directory event -----------------------------------------------------------------------
def test_unit_events_carry_the_kind_and_older_ones_are_units() -> None:
    old = UnitChanged.model_validate(
        {"code": WARD, "name": "Phường Hương An", "level": "ward", "parent": "vn.hue"}
    )
    assert old.kind == "unit"
    body = UnitChanged.model_validate(
        {
            "code": "vn.hue.so-y-te",
            "name": "Sở Y tế thành phố Huế",
            "level": "city",
            "parent": "vn.hue",
            "kind": "body",
        }
    )
    assert body.kind == "body"


# -- the seed registers the bodies its programs name ------------------------------------------
@pytest.fixture
async def plans_runtime(tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    settings = Settings(data_dir=tmp_path, jwt_secret="plan-rules-holes-test-secret-32-bytes")
    runtime = ServiceRuntime(SERVICE, settings, InProcessBus())
    await upgrade(SERVICE, runtime.database_url)
    yield runtime
    await runtime.engine.dispose()


async def test_the_seed_registers_bodies_apart_from_units(plans_runtime: ServiceRuntime) -> None:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    units = {u["code"]: u for u in data["units"]}
    for body in data["bodies"]:  # under the unit it belongs to, at its level
        assert body["parent"] in units and body["code"].startswith(body["parent"] + ".")
        assert body["level"] == units[body["parent"]]["level"]
    assert not {u["unit"] for u in data["users"]} & {b["code"] for b in data["bodies"]}
    assert await seed_directory_and_programs(plans_runtime)
    async with plans_runtime.sessionmaker() as session:
        kinds = {u.code: u.kind for u in (await session.exec(select(OrgUnit))).all()}
        tasks = (await session.exec(select(Task))).all()
    assert kinds["vn.hue.so-y-te"] == "body" and kinds[WARD] == "unit"
    assert {c for c, k in kinds.items() if k == "unit"} == set(units)
    assert all(t.lead_unit in kinds for t in tasks)
    h22 = next(t for t in tasks if t.code == "H-2.2")
    assert (h22.lead_unit, h22.cooperating_units) == ("vn.hue.so-y-te", ["vn.hue.mttq"])


async def test_the_seed_refuses_a_lead_unit_outside_the_directory(
    plans_runtime: ServiceRuntime, tmp_path: Path
) -> None:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    data["plans"][1]["tasks"][0]["lead_unit"] = "Sở Y tế thành phố Huế"
    path = tmp_path / "free-text.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SeedError, match="not in the directory"):
        await seed_directory_and_programs(plans_runtime, path)
