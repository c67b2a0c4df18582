"""A printable document (DOCX) of an approved plan: the heading block, the indicators, then the
tasks group by group, in the columns officials print ("5 clear" at a glance), and the signature.

The heading block and the signature follow the layout of Nghị định 30/2020/NĐ-CP: the issuing
body on the left above the document number; on the right the national heading ("CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc") above the place and date. When the plan's title
names a Party committee as its issuer ("Kế hoạch của Đảng ủy phường …"), the heading on the right
is the Party's own, "ĐẢNG CỘNG SẢN VIỆT NAM", and that committee is the issuing body. ``letterhead``
makes these choices once; the PDF (io/pdf.py) prints the same ones."""

from __future__ import annotations

import io
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from cascade_plans.io.tables import fold

FONT = "Times New Roman"
STATUS_VI = {
    "draft": "Dự thảo",
    "submitted": "Đã trình, chờ phê duyệt",
    "returned": "Bị trả lại để hoàn thiện",
    "approved": "Đã phê duyệt",
    "rejected": "Không phê duyệt",
    "withdrawn": "Đã rút lại",
}
COMPARATOR_SIGNS = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}
TASK_COLUMNS = (  # header, width in mm on landscape A4 (277 mm between the margins)
    ("STT", 12),
    ("Nội dung nhiệm vụ", 78),
    ("Đơn vị chủ trì", 26),
    ("Đơn vị phối hợp", 30),
    ("Người chịu trách nhiệm", 32),
    ("Thời gian", 42),
    ("Sản phẩm", 57),
)
INDICATOR_COLUMNS = (  # portrait A4: 170 mm between the margins
    ("STT", 11),
    ("Mã", 18),
    ("Tên chỉ tiêu", 63),
    ("Đơn vị tính", 22),
    ("Giá trị cơ sở", 20),
    ("Mục tiêu", 20),
    ("Năm", 16),
)
OTHER_GROUP = "Nhiệm vụ khác"

NATIONAL_HEADING = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
PARTY_HEADING = "ĐẢNG CỘNG SẢN VIỆT NAM"
PARTY_BODIES = {  # a Party committee's name, folded -> the sign in its documents' numbers
    "dang uy": "ĐU",
    "thanh uy": "TU",
    "tinh uy": "TU",
    "huyen uy": "HU",
    "quan uy": "QU",
    "thi uy": "TU",
    "ban chap hanh trung uong": "TW",
    "ban chap hanh dang bo": "ĐU",
    "ban thuong vu": "ĐU",
    "ban bi thu": "TW",
    "bo chinh tri": "TW",
    "chi bo": "CB",
}
PLACE_PREFIXES = (
    "Thành phố",
    "Tỉnh",
    "Thị xã",
    "Thị trấn",
    "Quận",
    "Huyện",
    "Phường",
    "Xã",
    "Đặc khu",
)
"""What a unit's name starts with before the place name the date line shows ("Huế, ngày …")."""
ISSUER_WIDTH = 26
"""Characters per line of the issuing body's name in the left column of the heading."""
_PARTY_ISSUER = re.compile(r"\bcủa\s+(.+?)\s+(?:thực hiện|triển khai|về)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Letterhead:
    """The heading block and the signature of a printed plan, as both printed forms show them."""

    party: bool
    issuer: list[str]
    """The issuing body in capitals, wrapped to the left column."""
    heading: str
    motto: str | None
    number: str
    place_date: str
    sign_for: str
    signer: str
    recipients: list[str]


def vi_long_date(value: date | None) -> str:
    """ "ngày 05 tháng 02 năm 2026" (a zero before days below 10 and months 1 and 2, as Nghị
    định 30 writes them); blanks for the clerk to fill when the date is not known."""
    if value is None:
        return "ngày      tháng      năm"
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def place_of(unit_name: str | None) -> str:
    """ "Thành phố Huế" -> "Huế", "Phường Hương An" -> "Hương An"; the central level -> Hà Nội."""
    name = unicodedata.normalize("NFC", (unit_name or "").strip())
    if fold(name) == "trung uong":
        return "Hà Nội"
    for prefix in PLACE_PREFIXES:
        if name.lower().startswith(prefix.lower() + " "):
            return name[len(prefix) :].strip()
    return name


def party_issuer(title: str | None) -> str | None:
    """The Party committee a title names as its issuer ("Kế hoạch của Đảng ủy phường Hương An
    thực hiện …" -> "Đảng ủy phường Hương An"), or None."""
    match = _PARTY_ISSUER.search(unicodedata.normalize("NFC", title or ""))
    if match and fold(match[1]).startswith(tuple(PARTY_BODIES)):
        return match[1].strip()
    return None


def letterhead(
    plan: dict[str, Any],
    unit_name: str | None = None,
    *,
    superior: str | None = None,
    issued: date | None = None,
) -> Letterhead:
    """The heading and signature of ``plan``: issued by the Party committee its title names, or
    else by its unit (``unit_name``, or the unit's code). ``superior`` (the unit above) is a
    recipient; ``issued`` is the date of the approval in force, blank when not known. The number
    is left for the clerk who registers the document."""
    unit = unit_name or plan.get("unit") or ""
    committee = party_issuer(plan.get("title"))
    body = (committee or unit).upper()
    issuer = textwrap.wrap(body, ISSUER_WIDTH) or [""]
    place = place_of(unit_name)
    when = vi_long_date(issued)
    place_date = f"{place}, {when}" if place else when.capitalize()
    recipients = [f"{superior} (để báo cáo);"] if superior else []
    recipients += ["Các đơn vị chủ trì, phối hợp thực hiện;", "Lưu: VT."]
    if committee:
        sign = next(v for k, v in PARTY_BODIES.items() if fold(committee).startswith(k))
        return Letterhead(
            party=True,
            issuer=issuer,
            heading=PARTY_HEADING,
            motto=None,
            number=f"Số        -KH/{sign}",
            place_date=place_date,
            sign_for=f"T/M {body}",
            signer="BÍ THƯ",
            recipients=recipients,
        )
    return Letterhead(
        party=False,
        issuer=issuer,
        heading=NATIONAL_HEADING,
        motto=MOTTO,
        number="Số:        /KH",
        place_date=place_date,
        sign_for=f"TM. {body}",
        signer="CHỦ TỊCH",
        recipients=recipients,
    )


def vi_number(value: Any) -> str:
    """12 -> "12", 11.5 -> "11,5", 1234567.25 -> "1.234.567,25" (Vietnamese separators)."""
    if value is None or value == "":
        return ""
    f = float(value)
    text = f"{f:,.0f}" if f.is_integer() else f"{f:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def vi_date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        value = date.fromisoformat(str(value)[:10])
    return value.strftime("%d/%m/%Y")


def vi_period(period: str) -> str:
    """ "2026-Q2" -> "Quý 2/2026", "2026-06" -> "Tháng 6/2026"."""
    year, _, rest = (period or "").partition("-")
    if rest.upper().startswith("Q"):
        return f"Quý {rest[1:]}/{year}"
    if rest.isdigit():
        return f"Tháng {int(rest)}/{year}"
    return period or ""


def _style(doc: Any) -> None:
    for name, size in (("Normal", 12), ("Title", 16), ("Heading 1", 14), ("Heading 2", 13)):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        if name != "Normal":
            style.font.bold = True
    for name in ("Title",):
        doc.styles[name].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _page(section: Any, landscape: bool) -> None:
    width, height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30 if not landscape else 10), Mm(10)


def _centered(
    doc: Any, text: str, *, bold: bool = False, italic: bool = False, size: int | None = None
) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(2)
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)


def _repeat_header(row: Any) -> None:
    """The header row repeats at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _table(doc: Any, columns: tuple[tuple[str, int], ...]) -> Any:
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, (header, width) in zip(table.rows[0].cells, columns, strict=True):
        cell.width = Mm(width)
        cell.text = ""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(header).bold = True
    _repeat_header(table.rows[0])
    return table


def _row(table: Any, columns: tuple[tuple[str, int], ...], values: list[list[str] | str]) -> None:
    cells = table.add_row().cells
    for cell, (_, width), value in zip(cells, columns, values, strict=True):
        cell.width = Mm(width)
        lines = value if isinstance(value, list) else [value]
        cell.text = lines[0] if lines else ""
        for line in lines[1:]:
            run = cell.add_paragraph().add_run(line)
            run.italic = True
            run.font.size = Pt(10)


def _product(task: dict[str, Any]) -> str:
    description = (task.get("product_description") or "").strip()
    amount = " ".join(
        p
        for p in (vi_number(task.get("product_quantity")), (task.get("product_unit") or "").strip())
        if p
    )
    return "; ".join(p for p in (description, amount) if p)


def _timeline(task: dict[str, Any]) -> list[str]:
    start, deadline = vi_date(task.get("start")), vi_date(task.get("deadline"))
    span = (
        f"{start} – {deadline}"
        if start and deadline
        else start or (f"Hoàn thành trước {deadline}" if deadline else "")
    )
    milestones = [
        ": ".join(
            p for p in (vi_period(m.get("period", "")), (m.get("description") or "").strip()) if p
        )
        for m in task.get("milestones") or []
    ]
    return [span, *milestones]


def _two_columns(
    doc: Any, left: tuple[str, dict[str, Any]], right: tuple[str, dict[str, Any]]
) -> None:
    """One line of the heading block: the left text centred over the left column, the right
    text over the right one (centred tab stops, so the text stays in the body's paragraphs)."""
    paragraph = doc.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(0)
    fmt.tab_stops.add_tab_stop(Mm(35), WD_TAB_ALIGNMENT.CENTER)
    fmt.tab_stops.add_tab_stop(Mm(117), WD_TAB_ALIGNMENT.CENTER)
    for text, style in (left, right):
        paragraph.add_run("\t")
        run = paragraph.add_run(text)
        run.bold = style.get("bold", False)
        run.italic = style.get("italic", False)
        run.underline = style.get("underline", False)
        run.font.size = Pt(style.get("size", 12))


def _heading_block(doc: Any, plan: dict[str, Any], head: Letterhead) -> None:
    bold = {"bold": True, "size": 12}
    left = [(line, bold) for line in head.issuer]
    left.append(("*" if head.party else "—————", {"bold": head.party, "size": 12}))
    if head.motto:
        right = [(head.heading, bold), (head.motto, {"bold": True, "underline": True, "size": 13})]
    else:
        right = [(head.heading, {"bold": True, "underline": True, "size": 13})]
    blank: tuple[str, dict[str, Any]] = ("", {})
    for n in range(max(len(left), len(right))):
        _two_columns(
            doc, left[n] if n < len(left) else blank, right[n] if n < len(right) else blank
        )
    _two_columns(doc, (head.number, {"size": 13}), (head.place_date, {"italic": True, "size": 13}))
    doc.add_paragraph()
    doc.add_paragraph(str(plan.get("title") or "Kế hoạch"), style="Title")
    if plan.get("resolution"):
        _centered(doc, f"Thực hiện {plan['resolution']}", italic=True)
    if plan.get("term_start") or plan.get("term_end"):
        _centered(doc, f"Nhiệm kỳ {plan.get('term_start') or ''}–{plan.get('term_end') or ''}")
    status = STATUS_VI.get(str(plan.get("status") or "approved"), str(plan.get("status")))
    _centered(doc, f"Phiên bản {plan.get('version') or 1} — {status}", bold=True)


def _signature(doc: Any, head: Letterhead) -> None:
    """Nơi nhận on the left; on the right, who signs for the issuing body, room to sign."""
    doc.add_paragraph()
    table = doc.add_table(rows=1, cols=2)  # the default table style: no borders
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Mm(130), Mm(130)
    paragraph = left.paragraphs[0]
    run = paragraph.add_run("Nơi nhận:")
    run.bold = run.italic = True
    for line in head.recipients:
        run = left.add_paragraph().add_run(f"- {line}")
        run.font.size = Pt(11)
    for n, line in enumerate((head.sign_for, head.signer)):
        paragraph = right.paragraphs[0] if n == 0 else right.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(line)
        run.bold = True
        run.font.size = Pt(13)


def indicator_cells(n: int, ind: dict[str, Any]) -> list[str]:
    """The printed row of the ``n``-th indicator, in the order of INDICATOR_COLUMNS."""
    sign = COMPARATOR_SIGNS.get(ind.get("comparator") or ">=", ind.get("comparator") or "")
    target = vi_number(ind.get("target"))
    return [
        str(n),
        ind.get("code") or "",
        ind.get("name") or "",
        ind.get("unit") or "",
        vi_number(ind.get("baseline")),
        f"{sign} {target}".strip() if target else "",
        str(ind.get("year") or ""),
    ]


def _indicators(doc: Any, indicators: list[dict[str, Any]]) -> None:
    doc.add_paragraph("I. CÁC CHỈ TIÊU CHỦ YẾU", style="Heading 1")
    if not indicators:
        doc.add_paragraph("Kế hoạch không đặt chỉ tiêu riêng.")
        return
    table = _table(doc, INDICATOR_COLUMNS)
    for n, ind in enumerate(indicators, start=1):
        _row(table, INDICATOR_COLUMNS, list(indicator_cells(n, ind)))


def _grouped(plan: dict[str, Any]) -> list[tuple[str, str | None, list[dict[str, Any]]]]:
    """(heading, not-applicable reason, tasks) per task group in plan order, then the rest."""
    groups = plan.get("task_groups") or []
    by_code: dict[str, list[dict[str, Any]]] = {g.get("code"): [] for g in groups}
    other: list[dict[str, Any]] = []
    for task in plan.get("tasks") or []:
        by_code.get(task.get("task_group"), other).append(task)
    result = []
    for g in groups:
        title = " ".join(
            p for p in (f"{g.get('code')}." if g.get("code") else "", g.get("title") or "") if p
        )
        result.append((title, g.get("not_applicable_reason"), by_code[g.get("code")]))
    if other:
        result.append((OTHER_GROUP, None, other))
    return result


def _tasks(doc: Any, plan: dict[str, Any]) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=True)
    doc.add_paragraph("II. NHIỆM VỤ, GIẢI PHÁP", style="Heading 1")
    number = 0
    for title, not_applicable, tasks in _grouped(plan):
        doc.add_paragraph(title, style="Heading 2")
        if not_applicable and not tasks:
            doc.add_paragraph(f"Không áp dụng: {not_applicable}").runs[0].italic = True
            continue
        if not tasks:
            doc.add_paragraph("Chưa có nhiệm vụ.").runs[0].italic = True
            continue
        table = _table(doc, TASK_COLUMNS)
        for task in tasks:
            number += 1
            job = [task.get("job") or ""]
            if task.get("code"):
                job.append(f"Mã: {task['code']}")
            _row(
                table,
                TASK_COLUMNS,
                [
                    str(number),
                    job,
                    task.get("lead_unit") or "",
                    ", ".join(task.get("cooperating_units") or []),
                    task.get("responsible_person") or "",
                    _timeline(task),
                    _product(task),
                ],
            )


def plan_to_docx(
    plan: dict[str, Any],
    unit_name: str | None = None,
    *,
    superior: str | None = None,
    issued: date | None = None,
) -> bytes:
    """The plan as a Word document: A4, the heading block and indicators upright, the task
    tables in landscape, then the signature. ``plan`` holds the plan's fields and the content
    to print (task_groups, indicators, tasks); see ``letterhead`` for the other arguments."""
    doc = Document()
    _style(doc)
    _page(doc.sections[0], landscape=False)
    doc.core_properties.title = str(plan.get("title") or "")
    doc.core_properties.author = "Cascade"
    head = letterhead(plan, unit_name, superior=superior, issued=issued)
    _heading_block(doc, plan, head)
    _indicators(doc, plan.get("indicators") or [])
    _tasks(doc, plan)
    _signature(doc, head)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
