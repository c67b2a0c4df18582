"""The rules a plan must pass beside "5 clear": it covers its parent's task groups, it does not
copy its parent mechanically, its jobs are more than a generic activity, and its indicators make
sense."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz

from cascade_plans.domain.plan import MIN_JOB_WORDS, TaskContent

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a plan: an error blocks submission, a warning must be acknowledged."""

    code: str
    severity: Severity
    field: str
    reason: str
    subject: str
    parent_task: str | None = None
    """For copying: the code of the task above that is copied, ..."""
    parent_plan: str | None = None
    """... the id of its plan ..."""
    parent_plan_title: str | None = None
    missing: tuple[str, ...] = ()
    """... and what the task lacks: "local subject", "measurable local product", "own lead
    unit"."""
    reason_vi: str | None = None

    def as_error(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "field": self.field,
            "reason": self.reason,
            "subject": self.subject,
        }
        if self.parent_task is not None:
            out["parent_task"] = self.parent_task
            out["parent_plan"] = self.parent_plan
            out["parent_plan_title"] = self.parent_plan_title
            out["missing"] = list(self.missing)
        if self.reason_vi:
            out["reason_vi"] = self.reason_vi
        return out


# -- coverage of the parent plan's task groups -----------------------------------------------------
@dataclass(frozen=True)
class GroupCoverage:
    parent_group: str  # code of the parent plan's task group
    child_groups: tuple[str, ...]  # codes of the child's groups linked to it
    task_count: int  # tasks in those child groups
    not_applicable_reason: str | None = None


def check_coverage(parent_groups: list[str], coverage: dict[str, GroupCoverage]) -> list[Finding]:
    """Every task group of the parent plan is covered by at least one task of the child plan, or
    marked not applicable with a reason."""
    findings = []
    for code in parent_groups:
        c = coverage.get(code)
        if c is not None and (c.not_applicable_reason or "").strip():
            continue
        if c is None or c.task_count == 0:
            findings.append(
                Finding(
                    "coverage",
                    "error",
                    f"task_groups.{code}",
                    f"task group {code} of the parent plan has no task here; add one or mark it "
                    "not applicable with a reason",
                    code,
                )
            )
    return findings


# -- mechanical copying (sao chép máy móc) ---------------------------------------------------------
COPY_SIMILARITY = 85.0
"""How alike (0-100) a task's job and a task of the plans above may be before the task counts as
a copy: the larger of rapidfuzz's ``ratio`` and ``token_sort_ratio`` over both texts folded to
lower case without diacritics, punctuation or repeated spaces. 85 catches a copy with a few words
changed, dropped or reordered ("trên địa bàn các phường, xã" made "trên địa bàn phường"); a job
rewritten for the unit ("Ra quân xử lý dứt điểm 12 điểm tập kết rác ... phường Hương An") scores
well below (about 75)."""
MIN_CUT_DOWN_WORDS = 5
"""A job of at least this many words, every one of them taken from a task above, is a cut-down
copy whatever its score."""

_NUMBER = re.compile(r"\d")
_NOT_WORD = re.compile(r"[^\w\s]|_")
# Capitalized words that name no local subject: the institutions every plan names.
_COMMON_CAPITALIZED = frozenset(
    "nhan dan dang nha nuoc nghi quyet dai hoi uy ban ubnd hdnd mttq trung uong chinh phu quoc "
    "hoi to viet nam mat tran doan ket bi thu chu tich so bo thanh phuong xa tinh huyen quan "
    "thi tran thon ap khu pho cap xiv".split()
)
# Words of a unit's name that do not tell it apart ("Phường Hương An" is told by "huong an").
_GENERIC_NAME_WORDS = frozenset(
    "phuong xa thi tran thanh pho tinh quan huyen dang uy bo ubnd ban nhan dan".split()
)
MISSING_VI = {
    "local subject": "đối tượng, địa bàn cụ thể của đơn vị",
    "measurable local product": "sản phẩm đo đếm được của đơn vị",
    "own lead unit": "đơn vị chủ trì của chính đơn vị",
}


def _fold(text: str) -> str:
    """Lower case without diacritics, so "Phường" and "phuong" compare equal."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()


def fold(text: str) -> str:
    return _fold(text)


def fold_words(text: str) -> str:
    """``text`` folded for comparison: lower case, no diacritics, punctuation as spaces, one
    space between words."""
    return " ".join(_NOT_WORD.sub(" ", _fold(text)).split())


def similarity(a: str, b: str) -> float:
    """How alike two jobs are, 0-100, after folding case, diacritics, punctuation and spacing."""
    fa, fb = fold_words(a), fold_words(b)
    return float(max(fuzz.ratio(fa, fb), fuzz.token_sort_ratio(fa, fb)))


def copy_score(job: str, parent_job: str) -> float:
    """:func:`similarity`, or 100 for a cut-down copy (every word taken from ``parent_job``)."""
    words = fold_words(job).split()
    if len(words) >= MIN_CUT_DOWN_WORDS and set(words) <= set(fold_words(parent_job).split()):
        return 100.0
    return similarity(job, parent_job)


@dataclass(frozen=True)
class ParentTask:
    """A task of the parent plan or of the plan above it, as their versions in force hold it."""

    code: str
    plan_id: str
    plan_title: str = ""
    job: str = ""
    lead_unit: str | None = None
    product_quantity: float | None = None
    product_unit: str | None = None
    id: str | None = None
    level: Literal["parent", "grandparent"] = "parent"

    @classmethod
    def from_content(
        cls,
        task: Mapping[str, Any],
        plan_id: str,
        plan_title: str = "",
        level: Literal["parent", "grandparent"] = "parent",
    ) -> ParentTask:
        """From a task of a frozen version's content (``store.task_dict``)."""
        return cls(
            code=str(task.get("code") or ""),
            plan_id=plan_id,
            plan_title=plan_title,
            job=str(task.get("job") or ""),
            lead_unit=task.get("lead_unit"),
            product_quantity=task.get("product_quantity"),
            product_unit=task.get("product_unit"),
            id=task.get("id"),
            level=level,
        )

    @property
    def label(self) -> str:
        plan = f"{self.plan_title} ({self.plan_id})" if self.plan_title else self.plan_id
        return f"task {self.code} of plan {plan}" if plan else f"task {self.code}"


def _distinct_name_words(name: str) -> str:
    return " ".join(w for w in fold_words(name).split() if w not in _GENERIC_NAME_WORDS)


def has_local_subject(job: str, parent_job: str, own_names: Sequence[str] = ()) -> bool:
    """Whether ``job`` adds something of the unit's own to ``parent_job``: a number, a proper
    name (a capitalized word, not the first, that is no institution every plan names), or the
    distinctive words of the unit's own name ("Hương An")."""
    parent_words = set(fold_words(parent_job).split())
    added = [w for w in fold_words(job).split() if w not in parent_words]
    if any(_NUMBER.search(w) for w in added):
        return True
    folded_job, folded_parent = f" {fold_words(job)} ", f" {fold_words(parent_job)} "
    for name in own_names:
        distinct = _distinct_name_words(name)
        if distinct and f" {distinct} " in folded_job and f" {distinct} " not in folded_parent:
            return True
    if job.isupper():  # all capitals: no proper name stands out
        return False
    tokens = _NOT_WORD.sub(" ", job).split()
    return any(
        t[:1].isupper() and fold_words(t) in added and fold_words(t) not in _COMMON_CAPITALIZED
        for t in tokens[1:]
    )


def _ratio_unit(unit: str | None) -> bool:
    folded = fold_words(unit or "")
    return "%" in (unit or "") or folded.startswith(("phan tram", "ty le"))


def keeps_parent_quantity(task: TaskContent, parent: ParentTask) -> bool:
    """The task's product quantity is the parent task's whole-city (or whole-country) figure,
    unchanged, in the same unit. A percentage, and a single product (1 document), are the same
    at every level and do not count."""
    if task.product_quantity is None or parent.product_quantity is None:
        return False
    if task.product_quantity != parent.product_quantity or parent.product_quantity <= 1:
        return False
    if _ratio_unit(task.product_unit) or _ratio_unit(parent.product_unit):
        return False
    unit = fold_words(task.product_unit or "")
    return not unit or unit == fold_words(parent.product_unit or "")


def keeps_parent_lead(task: TaskContent, parent: ParentTask, own_unit: str | None) -> bool:
    """The task is led by the parent task's own lead unit, which is not the unit's own (nor an
    entry registered under it)."""
    lead = (task.lead_unit or "").strip()
    if not lead or lead != (parent.lead_unit or "").strip():
        return False
    return not own_unit or not (lead == own_unit or lead.startswith(own_unit + "."))


def _measurable_local(task: TaskContent, parent: ParentTask) -> bool:
    measurable = (
        task.product_quantity is not None
        and task.product_quantity > 0
        and bool((task.product_unit or "").strip())
    )
    return measurable and not keeps_parent_quantity(task, parent)


def _best_match(task: TaskContent, candidates: Sequence[ParentTask]) -> tuple[ParentTask, float]:
    def rank(c: ParentTask) -> tuple[float, bool, bool]:
        return (copy_score(task.job, c.job), c.id == task.parent_task, c.level == "parent")

    best = max(candidates, key=rank)
    return best, copy_score(task.job, best.job)


def check_copying(
    task: TaskContent,
    candidates: Sequence[ParentTask],
    *,
    own_unit: str | None = None,
    own_names: Sequence[str] = (),
) -> list[Finding]:
    """Mechanical copying (sao chép máy móc), which the leadership forbids; warnings that the
    drafter must acknowledge before submitting.

    ``candidates`` are EVERY task of the parent plan and of the plan above it, linked to this
    task or not, as their versions in force hold them.

    - ``mechanical-copy`` (``tasks.<code>.job``): the job is a copy of one of them (a
      :func:`copy_score` of at least ``COPY_SIMILARITY``) and adds neither a local subject
      (:func:`has_local_subject`) nor a measurable local product (a positive quantity with its
      unit that is not the copied task's figure unchanged).
    - ``mechanical-copy-lead-unit`` (``tasks.<code>.lead_unit``): the task keeps the lead unit of
      the parent task it is linked to (or, unlinked, of the task it copies).
    - ``mechanical-copy-quantity`` (``tasks.<code>.product_quantity``): it keeps that task's
      whole-city quantity unchanged (:func:`keeps_parent_quantity`).

    Each warning names the task above (``parent_task``, ``parent_plan``) and what is missing
    (``missing``)."""
    if not candidates:
        return []
    linked = next((c for c in candidates if c.id and c.id == task.parent_task), None)
    best, score = _best_match(task, candidates) if task.job.strip() else (None, 0.0)
    copied = best if best is not None and score >= COPY_SIMILARITY else None
    reference = linked or copied
    kept_lead = reference is not None and keeps_parent_lead(task, reference, own_unit)
    out: list[Finding] = []

    def warn(code: str, field: str, parent: ParentTask, missing: list[str], why: str) -> None:
        out.append(
            Finding(
                code,
                "warning",
                f"tasks.{task.code}.{field}",
                why,
                task.code,
                parent_task=parent.code,
                parent_plan=parent.plan_id,
                parent_plan_title=parent.plan_title or None,
                missing=tuple(missing),
                reason_vi=_copy_reason_vi(code, parent, missing),
            )
        )

    if copied is not None:
        missing = []
        if not has_local_subject(task.job, copied.job, own_names):
            missing.append("local subject")
        if not _measurable_local(task, copied):
            missing.append("measurable local product")
        if len(missing) == 2:  # a local subject or a measurable local product makes it local
            if keeps_parent_lead(task, copied, own_unit):
                missing.append("own lead unit")
            warn(
                "mechanical-copy",
                "job",
                copied,
                missing,
                f"the job repeats {copied.label} ({score:.0f}% alike) and adds nothing local or "
                f"measurable; missing: {', '.join(missing)}: name local places, quantities and a "
                "measurable product",
            )
    if reference is not None and kept_lead:
        warn(
            "mechanical-copy-lead-unit",
            "lead_unit",
            reference,
            ["own lead unit"],
            f"the lead unit {task.lead_unit} is the one of {reference.label}; missing: own lead "
            "unit: name the unit or body of your own that leads the task",
        )
    if reference is not None and keeps_parent_quantity(task, reference):
        warn(
            "mechanical-copy-quantity",
            "product_quantity",
            reference,
            ["measurable local product"],
            f"the quantity {task.product_quantity:g} {task.product_unit or ''} is the whole "
            f"figure of {reference.label}, unchanged; missing: measurable local product: give "
            "your unit's own share",
        )
    return out


def _copy_reason_vi(code: str, parent: ParentTask, missing: list[str]) -> str:
    where = f"nhiệm vụ {parent.code}" + (f" của {parent.plan_title}" if parent.plan_title else "")
    lacking = "; ".join(MISSING_VI[m] for m in missing)
    head = {
        "mechanical-copy": f"sao chép máy móc {where}",
        "mechanical-copy-lead-unit": f"giữ nguyên đơn vị chủ trì của {where}",
        "mechanical-copy-quantity": f"giữ nguyên số lượng toàn địa bàn của {where}",
    }[code]
    return f"{head}; còn thiếu: {lacking}"


def check_mechanical_copy(task: TaskContent, parent_job: str | None) -> list[Finding]:
    """The job rule of :func:`check_copying` against one parent job: a task whose job is
    (nearly) ``parent_job``, adding no local subject and no measurable product of its own."""
    if not parent_job:
        return []
    found = check_copying(task, [ParentTask(code="", plan_id="", job=parent_job)])
    return [f for f in found if f.code == "mechanical-copy"]


# -- generic jobs (việc chung chung) ---------------------------------------------------------------
GENERIC_MIN_CONTENT_WORDS = 2
"""A job with fewer words than this outside :data:`GENERIC_PHRASES` and :data:`GENERIC_WORDS`,
and no number, names only a generic activity: no object, no place, no people concerned."""

GENERIC_PHRASES: frozenset[str] = frozenset(
    # folded (lower case, no diacritics); each phrase is one Vietnamese word of one to three
    # syllables that says how or that something is done, never what, where or for whom
    (
        "tuyen truyen|pho bien|quan triet|trien khai|thuc hien|to chuc|tang cuong|day manh|"
        "nang cao|cong tac|lanh dao|chi dao|nhiem vu|nghi quyet|chi thi|ket luan|chu truong|"
        "duong loi|chinh sach|phap luat|hieu qua|hieu luc|chat luong|nghiem tuc|kip thoi|"
        "dong bo|quyet liet|thuong xuyen|tiep tuc|tap trung|chu trong|quan tam|doi moi|"
        "phat huy|cung co|kiem tra|giam sat|don doc|theo doi|danh gia|so ket|tong ket|"
        "hoan thanh|ke hoach|chuong trinh|hanh dong|noi dung|van ban|ngay cang|manh me|"
        "tich cuc|sau rong|rong rai|nha nuoc|cap uy|chinh quyen|co quan|don vi|dia phuong|"
        "dia ban|dai hoi|cap tren|nhiem ky|muc tieu|giai phap|de ra|ket qua|xay dung|"
        "phat trien|hoc tap|lam theo|cac cap|cac nganh|toan dien|thiet thuc|trach nhiem|"
        "vai tro|y thuc|nhan thuc|he thong chinh tri|quyet tam|tinh than|co hieu qua|"
        "mot cach|hon nua|dung muc|cu the hoa|thuc chat"
    ).split("|")
)
"""Generic activities and qualities ("tuyên truyền", "triển khai thực hiện", "tăng cường công
tác lãnh đạo", "hiệu quả"), folded."""

GENERIC_WORDS: frozenset[str] = frozenset(
    "cac nhung moi toan viec cua va cho voi de ve theo trong tren tai su mot tot dung du cao "
    "manh sau rong lai duoc da dang se can phai nham bang o tu den nay do the ca chung luon "
    "hien nua them".split()
)
"""Single syllables that carry no object: function words and bare qualities, folded."""

_GENERIC_LONGEST = max(len(p.split()) for p in GENERIC_PHRASES)


def content_words(job: str) -> list[str]:
    """The folded words of ``job`` that are not a generic activity or quality nor a function
    word: what is left to say what the job acts on, where and for whom."""
    words = fold_words(job).split()
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_GENERIC_LONGEST, len(words) - i), 1, -1):
            if " ".join(words[i : i + n]) in GENERIC_PHRASES:
                i += n
                break
        else:
            if words[i] not in GENERIC_WORDS:
                out.append(words[i])
            i += 1
    return out


def is_generic_job(job: str) -> bool:
    """Whether ``job`` is only a generic activity ("Tuyên truyền nghị quyết", "Thực hiện tốt
    nhiệm vụ", "Triển khai thực hiện"): no number, and fewer than
    :data:`GENERIC_MIN_CONTENT_WORDS` words of its own (:func:`content_words`). A job under
    :data:`~cascade_plans.domain.plan.MIN_JOB_WORDS` words is "5 clear"'s to refuse, not this
    rule's."""
    if len(job.split()) < MIN_JOB_WORDS or _NUMBER.search(job):
        return False
    return len(content_words(job)) < GENERIC_MIN_CONTENT_WORDS


GENERIC_JOB_REASON = (
    "the job names only a generic activity; say what is done to what or for whom, and where: "
    "add the object, the place and the people concerned"
)
GENERIC_JOB_REASON_VI = (
    "nhiệm vụ chỉ nêu hoạt động chung chung; ghi rõ làm gì, với đối tượng nào, ở đâu: thêm "
    "đối tượng, địa bàn và những người, đơn vị liên quan"
)


def check_generic_job(task: TaskContent) -> list[Finding]:
    """``generic-job`` (``tasks.<code>.job``): a warning the drafter must acknowledge, when the
    job is only a generic activity (:func:`is_generic_job`)."""
    if not is_generic_job(task.job):
        return []
    return [
        Finding(
            "generic-job",
            "warning",
            f"tasks.{task.code}.job",
            GENERIC_JOB_REASON,
            task.code,
            reason_vi=GENERIC_JOB_REASON_VI,
        )
    ]


# -- indicators --------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorContent:
    code: str
    name: str
    unit: str
    target: float | None
    year: int | None
    baseline: float | None = None
    comparator: str = ">="


def check_indicator(ind: IndicatorContent, term_start: int, term_end: int) -> list[Finding]:
    out = []

    def bad(field: str, reason: str) -> None:
        out.append(
            Finding("indicator", "error", f"indicators.{ind.code}.{field}", reason, ind.code)
        )

    if not ind.name.strip():
        bad("name", "name the indicator")
    if not ind.unit.strip():
        bad("unit", "give the unit of measure (%, km, điểm, ...)")
    if ind.target is None:
        bad("target", "give a numeric target")
    if ind.year is None or not term_start <= ind.year <= term_end:
        bad("year", f"the target year must fall inside the term {term_start}-{term_end}")
    if (
        ind.unit.strip() == "%"
        and ind.target is not None
        and not 0 <= ind.target <= 100
        and "tăng" not in _fold(ind.name)
        and "tang" not in _fold(ind.name)
    ):
        bad("target", "a percentage target lies between 0 and 100")
    if (
        ind.baseline is not None
        and ind.target is not None
        and ind.comparator == ">="
        and ind.target < ind.baseline
    ):
        bad("target", "a target to reach or exceed is below its baseline")
    return out


# -- comments a returned plan came back with ---------------------------------------------------
QUOTE_CHARS = 160
"""How much of a comment's text a finding quotes."""


def check_unanswered_comment(
    comment_id: str, task_code: str | None, text: str, returned_version: int
) -> Finding:
    """A comment the plan was returned with that nobody has answered, where the routing policy
    asks every one to be answered (resolved) before the plan is submitted again: an error, next
    to its task when it is about one."""
    quoted = text.strip()
    if len(quoted) > QUOTE_CHARS:
        quoted = quoted[: QUOTE_CHARS - 1].rstrip() + "…"
    return Finding(
        code="unanswered-comment",
        severity="error",
        field=f"tasks.{task_code}.comment" if task_code else f"comments.{comment_id}",
        reason=(
            f"a comment the plan was returned with (version {returned_version}) is not answered: "
            f"“{quoted}”; mark it resolved with how it was addressed, then submit"
        ),
        subject=comment_id,
        reason_vi=(
            f"góp ý khi trả lại phiên bản {returned_version} chưa được giải quyết: “{quoted}”; "
            "đánh dấu đã giải quyết và ghi cách đã tiếp thu, rồi trình lại"
        ),
    )
