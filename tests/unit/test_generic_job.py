"""'Rõ việc' beyond a word count: a job that is only a generic activity — no object, no place,
no people concerned — is a warning to acknowledge, on folded text (case, diacritics)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cascade_plans.domain.plan import TaskContent
from cascade_plans.domain.rules import (
    GENERIC_JOB_REASON_VI,
    check_generic_job,
    content_words,
    is_generic_job,
)

GENERIC = [
    "Tuyên truyền nghị quyết",
    "Thực hiện tốt nhiệm vụ",
    "Tăng cường công tác lãnh đạo",
    "Triển khai thực hiện",
    "Tiếp tục đẩy mạnh công tác tuyên truyền, quán triệt nghị quyết",
    "Tổ chức thực hiện nghị quyết có hiệu quả trên địa bàn",
    "Nâng cao chất lượng, hiệu quả công tác kiểm tra, giám sát",
]
CONCRETE = [
    "Ra quân tổng vệ sinh môi trường, xóa 12 điểm tập kết rác tự phát trên địa bàn phường",
    "Ra quân tổng vệ sinh môi trường, xóa các điểm tập kết rác tự phát trên địa bàn phường",
    "Tuyên truyền nghị quyết cho đoàn viên thanh niên các tổ dân phố ven sông Hương",
    "Quán triệt nghị quyết tại 5 chi bộ",
    "Lắp đặt camera giám sát an ninh ở các tổ dân phố",
]


@pytest.mark.parametrize("job", GENERIC)
def test_a_generic_activity_alone_is_flagged_as_a_warning(job: str) -> None:
    [finding] = check_generic_job(TaskContent(code="1.2", job=job))
    assert (finding.code, finding.severity, finding.field) == (
        "generic-job",
        "warning",
        "tasks.1.2.job",
    )
    out = finding.as_error()
    assert out["reason_vi"] == GENERIC_JOB_REASON_VI
    # the hint says what to add
    assert "đối tượng" in out["reason_vi"] and "địa bàn" in out["reason_vi"]
    assert "object" in out["reason"] and "place" in out["reason"] and "people" in out["reason"]


@pytest.mark.parametrize("job", CONCRETE)
def test_a_job_with_an_object_a_place_or_a_number_is_not(job: str) -> None:
    assert check_generic_job(TaskContent(code="1.2", job=job)) == []


def test_it_reads_folded_text() -> None:
    for job in (
        "TĂNG CƯỜNG CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO",
        "tuyen truyen nghi quyet",
        "Triển  khai thực   hiện!",
    ):
        assert is_generic_job(job), job
    assert content_words("Tuyên truyền nghị quyết cho đoàn viên") == ["doan", "vien"]


def test_a_job_too_short_is_left_to_five_clear() -> None:
    """'5 clear' refuses a job under 3 words already; one error is enough."""
    assert not is_generic_job("Triển khai")
    assert not is_generic_job("")


SEED = Path(__file__).parents[2] / "services/plans/cascade_plans/seed"


@pytest.mark.parametrize("name", ["demo.json", "demo-wards.json"])
def test_no_seeded_demo_job_is_generic(name: str) -> None:
    data = json.loads((SEED / name).read_text(encoding="utf-8"))
    jobs = [t["job"] for p in data["plans"] for t in p.get("tasks", [])]
    assert jobs
    assert [j for j in jobs if is_generic_job(j)] == []
