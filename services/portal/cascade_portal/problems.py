"""The APIs' problem details (RFC 9457) and plan findings, put in the user's language and sorted
to the fields they concern so a page can show each next to its field."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cascade_portal.i18n import MESSAGES, reason_in, translate
from cascade_portal.official import period_label

# Which part of the task form a finding's element or field concerns.
AREA_OF_FIELD = {
    "job": "job",
    "person": "person",
    "responsible_person": "person",
    "responsibility": "responsibility",
    "lead_unit": "responsibility",
    "cooperating_units": "responsibility",
    "timeline": "timeline",
    "start": "timeline",
    "deadline": "timeline",
    "milestones": "timeline",
    "product": "product",
    "product_description": "product",
    "product_quantity": "product",
    "product_unit": "product",
}

# The form field a finding of each element points at (its first field).
FIELD_OF_ELEMENT = {
    "job": "job",
    "person": "responsible_person",
    "responsibility": "lead_unit",
    "timeline": "start",
    "product": "product_description",
}
TASK_FIELDS = frozenset(AREA_OF_FIELD) - set(FIELD_OF_ELEMENT)

_COPY = re.compile(r"\((\d+)% alike\)")


@dataclass(frozen=True)
class Message:
    text: str
    severity: str = "error"  # error | warning
    raw: str = ""
    field: str = ""
    """For a task's finding: the name of the form field it points at (``job``, ``lead_unit``,
    ``milestones``, ...); the page links to ``#<field>-<task id>``."""


def form_field(finding: dict[str, Any]) -> str:
    """The task form's field a finding concerns: the field it names when the form has it, else
    the first field of its "5 clear" element (the milestones, for a milestone's timeline)."""
    last = str(finding.get("element") or str(finding.get("field", "")).split(".")[-1])
    if last in TASK_FIELDS:
        return last
    reason = str(finding.get("reason", ""))
    if last == "timeline" and "milestone" in reason:
        return "milestones"
    if last == "product" and "quantity" in reason:
        return "product_quantity"
    return FIELD_OF_ELEMENT.get(last, "job")


@dataclass
class Findings:
    """Errors and warnings of a plan, by task (and area of its form), group and indicator."""

    tasks: dict[str, dict[str, list[Message]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    groups: dict[str, list[Message]] = field(default_factory=lambda: defaultdict(list))
    indicators: dict[str, list[Message]] = field(default_factory=lambda: defaultdict(list))
    general: list[Message] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    listed: dict[str, dict[str, list[Message]]] = field(
        default_factory=lambda: {"error": defaultdict(list), "warning": defaultdict(list)}
    )
    """Every task's findings by severity, then task code, in the order found: the list at the
    top of the page, each linking to its field."""

    def of_task(self, code: str) -> dict[str, list[Message]]:
        return self.tasks.get(code, {})

    def task_count(self, code: str) -> int:
        return sum(len(v) for v in self.tasks.get(code, {}).values())


def _period(code: str) -> str:
    return period_label(code, "vi", in_sentence=True)


_UNIT_FORM = re.compile(
    r"^name exactly one unit, by its directory code \(such as [^)]*\): '(.*)' "
    r"(looks like several units|is not a code)$"
)
_REASONS_VI: tuple[tuple[re.Pattern[str], Any], ...] = (
    (
        re.compile(r"^a product quantity is a positive number$"),
        lambda m: "số lượng sản phẩm phải lớn hơn 0",
    ),
    (
        re.compile(r"^the milestone (\S+) ends before the task starts \((.+)\)$"),
        lambda m: f"mốc {_period(m[1])} kết thúc trước khi nhiệm vụ bắt đầu ({m[2]})",
    ),
    (
        re.compile(r"^the milestone (\S+) begins after the deadline \((.+)\)$"),
        lambda m: f"mốc {_period(m[1])} bắt đầu sau thời hạn của nhiệm vụ ({m[2]})",
    ),
    (
        re.compile(r"^the milestone period '(.*)' is not a month .*$"),
        lambda m: f"mốc “{m[1]}” không phải là tháng, quý, 6 tháng hay năm (ví dụ: Quý II/2026)",
    ),
    (
        re.compile(
            r"^the start and the deadline fall within the plan's term (\d{4})-(\d{4}) "
            r"\(here (.+) - (.+)\)$"
        ),
        lambda m: (
            f"ngày bắt đầu và thời hạn phải nằm trong thời kỳ của kế hoạch {m[1]}–{m[2]} "
            f"(đang ghi {m[3]} – {m[4]})"
        ),
    ),
    (
        re.compile(r"^(lead unit|cooperating unit): (.+)$"),
        lambda m: (
            f"{'đơn vị chủ trì' if m[1] == 'lead unit' else 'đơn vị phối hợp'}: {reason_vi(m[2])}"
        ),
    ),
    (
        _UNIT_FORM,
        lambda m: (
            f"chọn đúng một đơn vị trong danh mục: “{m[1]}” "
            + (
                "ghi nhiều đơn vị"
                if m[2] == "looks like several units"
                else "chưa phải là một đơn vị trong danh mục"
            )
        ),
    ),
    (
        re.compile(r"^(\S+) is not in the directory: register the unit or body there first$"),
        lambda m: f"{m[1]} chưa có trong danh mục đơn vị; đề nghị đăng ký trước",
    ),
    (
        re.compile(r"^step (\d+) decides the plan as a whole under the routing policy$"),
        lambda m: f"bước {m[1]} chỉ quyết định toàn bộ kế hoạch theo quy trình phê duyệt",
    ),
    (
        re.compile(r"^the version under decision has no task group (.+)$"),
        lambda m: f"phiên bản đang xem xét không có nhóm nhiệm vụ {m[1]}",
    ),
    (
        re.compile(r"^task group (\S+) is approved and frozen$"),
        lambda m: f"nhóm nhiệm vụ {m[1]} đã được phê duyệt nên giữ nguyên, không chỉnh sửa được",
    ),
    (
        re.compile(r"^the cooperating unit (\S+) is listed twice$"),
        lambda m: f"đơn vị phối hợp {m[1]} được ghi hai lần",
    ),
)


_Q = r"['\"](.*)['\"]"  # a value as the importer quotes it (Python's repr)
_IMPORT_REASONS_VI: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(rf"^{_Q} is required: the cell is empty$"), lambda m: "ô bắt buộc đang để trống"),
    (re.compile(rf"^the required column {_Q} is missing$"), lambda m: f"thiếu cột “{m[1]}”"),
    (re.compile(rf"^the column {_Q} appears twice$"), lambda m: f"cột “{m[1]}” bị lặp lại"),
    (re.compile(r"^the (task|indicator|task group) has no code$"), lambda m: "dòng chưa có mã"),
    (
        re.compile(r"^the code (.+) already appears in row (\d+)$"),
        lambda m: f"mã {m[1]} đã có ở dòng {m[2]}",
    ),
    (re.compile(rf"^{_Q} is not a number$"), lambda m: f"“{m[1]}” không phải là số"),
    (re.compile(r"^not a finite number$"), lambda m: "không phải là số hợp lệ"),
    (re.compile(rf"^{_Q} is not a year$"), lambda m: f"“{m[1]}” không phải là năm"),
    (
        re.compile(rf"^{_Q} is not a date(?:: write .*)?$"),
        lambda m: f"“{m[1]}” không phải là ngày (ghi theo dạng 01/03/2026)",
    ),
    (
        re.compile(rf"^{_Q} is not a date of the calendar$"),
        lambda m: f"“{m[1]}” không phải là ngày có thật",
    ),
    (
        re.compile(r"^longer than (\d+) characters$"),
        lambda m: f"dài quá {m[1]} ký tự",
    ),
    (
        re.compile(rf"^{_Q} is the name of several directory entries: give its code$"),
        lambda m: f"“{m[1]}” là tên của nhiều đơn vị trong danh mục: ghi mã đơn vị",
    ),
    (
        re.compile(rf"^{_Q} is not in the directory: give the code or the exact name .*$"),
        lambda m: (
            f"“{m[1]}” chưa có trong danh mục: ghi mã hoặc đúng tên đơn vị, cơ quan đã đăng ký"
        ),
    ),
    (
        re.compile(rf"^name exactly one lead unit: {_Q} looks like several units; .*$"),
        lambda m: (
            f"chỉ ghi một đơn vị chủ trì: “{m[1]}” ghi nhiều đơn vị; ghi các đơn vị còn lại ở "
            "cột “Đơn vị phối hợp”"
        ),
    ),
    (
        re.compile(r"^unknown task group (.+): neither the plan nor the sheet .* has it$"),
        lambda m: f"không có nhóm nhiệm vụ {m[1]} trong kế hoạch hay trang “Nhóm nhiệm vụ”",
    ),
    (
        re.compile(r"^the parent plan has no task group (.+)$"),
        lambda m: f"chương trình cấp trên không có nhóm nhiệm vụ {m[1]}",
    ),
    (
        re.compile(r"^the parent plan has no task (.+)$"),
        lambda m: f"chương trình cấp trên không có nhiệm vụ {m[1]}",
    ),
    (
        re.compile(r"^the plan has no parent plan: leave the cell empty$"),
        lambda m: "kế hoạch không có chương trình cấp trên: để trống ô này",
    ),
    (
        re.compile(rf"^the workbook has no sheet {_Q}$"),
        lambda m: f"tệp không có trang “{m[1]}”",
    ),
    (
        re.compile(r"^not a readable XLSX workbook: .*$"),
        lambda m: "không đọc được tệp XLSX",
    ),
    (
        re.compile(r"^the file is not UTF-8 text: .*$"),
        lambda m: "tệp không phải văn bản UTF-8: lưu lại dưới dạng “CSV UTF-8”",
    ),
)


def import_where(error: dict[str, Any], lang: str) -> str:
    """Where an import error is, as the user reads it: the sheet, the row, the column."""
    sheet, row, column = error.get("sheet") or "", error.get("row") or 0, error.get("column")
    if not sheet:
        return translate("import.at_file", lang)
    if not row:
        key = "import.at_sheet"
    else:
        key = "import.at_cell" if column else "import.at_row"
    return translate(key, lang).format(sheet=sheet, row=row, column=column or "")


def import_reason_vi(reason: str) -> str:
    for pattern, say in _IMPORT_REASONS_VI:
        m = pattern.match(reason)
        if m:
            return str(say(m))
    return reason_vi(reason)


def reason_vi(reason: str) -> str:
    """A plan rule's reason in Vietnamese: the fixed ones from the catalogue, the ones that
    carry values (periods, days, units) by their pattern; raw when unknown."""
    fixed = reason_in(reason, "vi")
    if fixed != reason:
        return fixed
    for pattern, say in _REASONS_VI:
        m = pattern.match(reason)
        if m:
            return str(say(m))
    return reason


def finding_text(finding: dict[str, Any], lang: str) -> str:
    """One finding in ``lang``: what is wrong (its element or kind), then why."""
    reason = str(finding.get("reason", ""))
    code = finding.get("code")
    why = reason_vi(reason) if lang == "vi" else reason
    if "element" in finding:
        return f"{translate('element.' + str(finding['element']), lang)}: {why}"
    copy_or_generic = str(code).startswith("mechanical-copy") or code in (
        "generic-job",
        "unanswered-comment",
    )
    if copy_or_generic and lang == "vi" and finding.get("reason_vi"):
        return f"{translate('finding.' + str(code), lang)}: {finding['reason_vi']}"
    if code == "coverage" and lang == "vi":
        why = (
            f"nhóm {finding.get('subject', '')} của chương trình cấp trên chưa có nhiệm vụ; "
            "thêm nhiệm vụ hoặc ghi lý do không áp dụng"
        )
        return f"{translate('finding.coverage', lang)}: {why}"
    if code == "mechanical-copy" and lang == "vi":
        match = _COPY.search(reason)
        alike = f" ({match.group(1)}% giống)" if match else ""
        why = (
            f"nội dung lặp lại nhiệm vụ cấp trên{alike}, chưa có gì cụ thể của đơn vị: nêu địa "
            "bàn, số lượng và sản phẩm đo đếm được"
        )
        return f"{translate('finding.mechanical-copy', lang)}: {why}"
    if code and f"finding.{code}" in MESSAGES:
        return f"{translate('finding.' + str(code), lang)}: {why}"
    return why


def sort_findings(
    errors: list[dict[str, Any]], warnings: list[dict[str, Any]], lang: str
) -> Findings:
    """Put each error and warning next to what it concerns: ``tasks.<code>.<element|field>``,
    ``task_groups.<code>``, ``indicators.<code>.<field>``; anything else is general."""
    out = Findings()
    for severity, items in (("error", errors), ("warning", warnings)):
        for f in items:
            message = Message(finding_text(f, lang), severity, str(f.get("reason", "")))
            if severity == "error":
                out.errors += 1
            else:
                out.warnings += 1
            parts = str(f.get("field", "")).split(".")
            if parts[0] == "tasks" and len(parts) >= 3:
                code = f.get("task") or ".".join(parts[1:-1])
                area = AREA_OF_FIELD.get(str(f.get("element") or parts[-1]), "job")
                message = Message(message.text, severity, message.raw, form_field(f))
                out.tasks[code][area].append(message)
                out.listed[severity][code].append(message)
            elif parts[0] == "task_groups" and len(parts) >= 2:
                out.groups[".".join(parts[1:])].append(message)
            elif parts[0] == "indicators" and len(parts) >= 3:
                out.indicators[".".join(parts[1:-1])].append(message)
            else:
                out.general.append(message)
    return out


STATUS_KEYS = {
    401: "signin.expired",
    403: "error.forbidden",
    404: "error.not_found",
    409: "error.conflict",
    413: "error.invalid",
    422: "error.invalid",
}


@dataclass(frozen=True)
class ProblemView:
    status: int
    title: str
    detail: str
    messages: list[Message]


def field_label(name: str, lang: str) -> str | None:
    """The label of a field named by an API error (``body.deadline``, ``delegate``, ...)."""
    last = name.split(".")[-1]
    for prefix in ("task", "decision", "delegations", "indicator", "audit", "signin"):
        key = f"{prefix}.{last}"
        if key in MESSAGES:
            return translate(key, lang)
    return None


def problem_view(status: int, body: Any, lang: str) -> ProblemView:
    """A problem+json answer as the user reads it: a title in their language, one line per field
    error (the field's label where the portal knows it), and the API's detail - in Vietnamese
    only when there are no such lines to say it."""
    body = body if isinstance(body, dict) else {}
    key = STATUS_KEYS.get(status, "error.unavailable" if status >= 500 else "error.title")
    messages: list[Message] = []
    for e in body.get("errors") or []:
        if not isinstance(e, dict):
            continue
        if "sheet" in e or "row" in e:  # a row of an imported file
            reason = str(e.get("reason", ""))
            why = import_reason_vi(reason) if lang == "vi" else reason
            messages.append(Message(f"{import_where(e, lang)}: {why}", "error", reason))
            continue
        if "element" in e or e.get("code"):
            messages.append(Message(finding_text(e, lang), "error", str(e.get("reason", ""))))
            continue
        name = str(e.get("field", ""))
        reason = str(e.get("reason", ""))
        label = field_label(name, lang) if name else None
        why = reason_vi(reason) if lang == "vi" else reason
        text = f"{label or name}: {why}" if name else why
        messages.append(Message(text, "error", reason))
    detail = str(body.get("detail") or body.get("title") or "")
    if messages and lang == "vi":
        detail = ""  # the API's English summary of what the Vietnamese lines already say
    return ProblemView(status, translate(key, lang), detail, messages)
