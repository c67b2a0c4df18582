"""A printable PDF of an approved plan, beside the DOCX: the same heading block, tables and
signature (io/document.py makes every choice of wording and layout; this module only draws).

Laid out as Nghị định 30/2020/NĐ-CP lays out an administrative document on A4: margins of
20 mm top and bottom, 30 mm left and 15 mm right; the page number centred in the top margin from
the second page on. The text is set in DejaVu Serif, vendored in io/fonts/ with its licence and
embedded (subset) in the file, so every Vietnamese diacritic prints wherever it is opened."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, VAlign
from fpdf.fonts import FontFace

from cascade_plans.io.document import (
    INDICATOR_COLUMNS,
    STATUS_VI,
    TASK_COLUMNS,
    Letterhead,
    _grouped,
    _product,
    _timeline,
    indicator_cells,
    letterhead,
)

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVuSerif"
FONT_FILES = {
    "": "DejaVuSerif.ttf",
    "B": "DejaVuSerif-Bold.ttf",
    "I": "DejaVuSerif-Italic.ttf",
    "BI": "DejaVuSerif-BoldItalic.ttf",
}
PORTRAIT_MARGINS = (30.0, 20.0, 15.0)  # left, top, right (mm); 20 mm at the bottom
LANDSCAPE_MARGINS = (20.0, 20.0, 15.0)
BOTTOM = 20.0
LEFT_COLUMN = 0.4
"""The share of the width the issuing body's column takes in the heading block."""
WIDER = {"Mã": 36, "Tên chỉ tiêu": 45}
"""Indicator columns the PDF widens (DejaVu Serif sets wider than the DOCX's Times New Roman)."""
SIGNATURE_HEIGHT = 55.0
"""Room the signature block needs (mm): it is not split from its page."""


def _t(value: Any) -> str:
    """Text as printed: composed Unicode (the font has every composed Vietnamese letter)."""
    return unicodedata.normalize("NFC", "" if value is None else str(value))


class _Document(FPDF):
    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FONT, "", 12)
            self.set_xy(self.l_margin, 10)
            self.cell(
                self.epw, 6, str(self.page_no()), align=Align.C, new_x="LMARGIN", new_y="NEXT"
            )
        self.set_xy(self.l_margin, self.t_margin)


def _new_document() -> _Document:
    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(FONTS / name))
    pdf.set_margins(*PORTRAIT_MARGINS)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    pdf.set_author("Cascade")
    pdf.set_creator("Cascade")
    pdf.set_lang("vi")
    return pdf


def _fit(pdf: FPDF, text: str, style: str, size: float, width: float) -> None:
    """Set the font, one point smaller at a time until ``text`` fits on one line of ``width``."""
    while size > 8:
        pdf.set_font(FONT, style, size)
        if pdf.get_string_width(text) <= width - 2:
            return
        size -= 0.5
    pdf.set_font(FONT, style, size)


def _rule(pdf: FPDF, x_center: float, y: float, length: float) -> None:
    pdf.set_line_width(0.3)
    pdf.line(x_center - length / 2, y, x_center + length / 2, y)


def _heading_block(pdf: FPDF, plan: dict[str, Any], head: Letterhead) -> None:
    x0, y0 = pdf.l_margin, pdf.get_y()
    left_w = pdf.epw * LEFT_COLUMN
    right_x, right_w = x0 + left_w, pdf.epw - left_w
    # Left: the issuing body, bold capitals; under it a short rule (a star for the Party).
    pdf.set_xy(x0, y0)
    pdf.set_font(FONT, "B", 12)  # wrapped to the column as this font measures it
    pdf.multi_cell(
        left_w, 6, _t(" ".join(head.issuer)), align=Align.C, new_x="LMARGIN", new_y="NEXT"
    )
    if head.party:
        pdf.set_font(FONT, "", 12)
        pdf.set_x(x0)
        pdf.cell(left_w, 6, "*", align=Align.C, new_x="LMARGIN", new_y="NEXT")
    else:
        _rule(pdf, x0 + left_w / 2, pdf.get_y() + 1, left_w / 3)
        pdf.set_y(pdf.get_y() + 3)
    left_bottom = pdf.get_y()
    # Right: the national heading and motto, or the Party's heading, underlined.
    pdf.set_xy(right_x, y0)
    lines = [(head.heading, 12.5 if head.motto else 13.5)]
    if head.motto:
        lines.append((head.motto, 13.5))
    for n, (text, size) in enumerate(lines):
        _fit(pdf, text, "B", size, right_w)
        pdf.set_x(right_x)
        pdf.cell(right_w, 6.5, _t(text), align=Align.C, new_x="LMARGIN", new_y="NEXT")
        if n == len(lines) - 1:
            _rule(pdf, right_x + right_w / 2, pdf.get_y() + 0.3, pdf.get_string_width(_t(text)))
    y = max(left_bottom, pdf.get_y() + 3) + 2
    # Number on the left, place and date on the right, on one line.
    pdf.set_font(FONT, "", 12.5)
    pdf.set_xy(x0, y)
    pdf.cell(left_w, 7, _t(head.number), align=Align.C, new_x="LMARGIN", new_y="NEXT")
    _fit(pdf, head.place_date, "I", 12.5, right_w)
    pdf.set_xy(right_x, y)
    pdf.cell(right_w, 7, _t(head.place_date), align=Align.C, new_x="LMARGIN", new_y="NEXT")
    # The title, and what the plan carries out.
    pdf.ln(8)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(
        0, 7, _t(plan.get("title") or "Kế hoạch"), align=Align.C, new_x="LMARGIN", new_y="NEXT"
    )
    _rule(pdf, x0 + pdf.epw / 2, pdf.get_y() + 1.5, 30)
    pdf.ln(4)
    if plan.get("resolution"):
        pdf.set_font(FONT, "I", 12.5)
        pdf.multi_cell(
            0,
            6.5,
            _t(f"Thực hiện {plan['resolution']}"),
            align=Align.C,
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if plan.get("term_start") or plan.get("term_end"):
        pdf.set_font(FONT, "", 12.5)
        term = f"Nhiệm kỳ {plan.get('term_start') or ''}–{plan.get('term_end') or ''}"
        pdf.multi_cell(0, 6.5, _t(term), align=Align.C, new_x="LMARGIN", new_y="NEXT")
    status = STATUS_VI.get(str(plan.get("status") or "approved"), str(plan.get("status")))
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(
        0,
        6.5,
        _t(f"Phiên bản {plan.get('version') or 1} — {status}"),
        align=Align.C,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)


def _section(pdf: FPDF, text: str, size: float = 13) -> None:
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, _t(text), align=Align.L, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "I", 12)
    pdf.multi_cell(0, 6, _t(text), align=Align.L, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _table(
    pdf: FPDF,
    columns: tuple[tuple[str, int], ...],
    rows: list[list[str]],
    size: float,
    centred: tuple[int, ...] = (0,),
) -> None:
    """A bordered table whose header row repeats on every page it runs onto."""
    pdf.set_font(FONT, "", size)
    with pdf.table(
        col_widths=tuple(width for _, width in columns),
        width=pdf.epw,
        line_height=size * 0.48,
        headings_style=FontFace(emphasis="BOLD"),
        text_align=tuple(Align.C if i in centred else Align.L for i in range(len(columns))),
        v_align=VAlign.T,
        padding=1,
    ) as table:
        header = table.row()
        for title, _ in columns:
            header.cell(_t(title), align=Align.C, v_align=VAlign.M)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(_t(value))
    pdf.ln(3)


def _indicators(pdf: FPDF, indicators: list[dict[str, Any]]) -> None:
    _section(pdf, "I. CÁC CHỈ TIÊU CHỦ YẾU")
    if not indicators:
        _note(pdf, "Kế hoạch không đặt chỉ tiêu riêng.")
        return
    rows = [indicator_cells(n, ind) for n, ind in enumerate(indicators, start=1)]
    columns = tuple((title, WIDER.get(title, width)) for title, width in INDICATOR_COLUMNS)
    _table(pdf, columns, rows, 11, centred=(0, 3, 4, 5, 6))


def _tasks(pdf: FPDF, plan: dict[str, Any]) -> None:
    pdf.set_margins(*LANDSCAPE_MARGINS)
    pdf.add_page(orientation="landscape")
    _section(pdf, "II. NHIỆM VỤ, GIẢI PHÁP")
    number = 0
    for title, not_applicable, tasks in _grouped(plan):
        _section(pdf, title, 12)
        if not_applicable and not tasks:
            _note(pdf, f"Không áp dụng: {not_applicable}")
            continue
        if not tasks:
            _note(pdf, "Chưa có nhiệm vụ.")
            continue
        rows = []
        for task in tasks:
            number += 1
            job = task.get("job") or ""
            if task.get("code"):
                job += f"\nMã: {task['code']}"
            rows.append(
                [
                    str(number),
                    job,
                    task.get("lead_unit") or "",
                    ", ".join(task.get("cooperating_units") or []),
                    task.get("responsible_person") or "",
                    "\n".join(line for line in _timeline(task) if line),
                    _product(task),
                ]
            )
        _table(pdf, TASK_COLUMNS, rows, 10)


def _signature(pdf: FPDF, head: Letterhead) -> None:
    """Nơi nhận on the left; on the right, who signs for the issuing body and room to sign."""
    if pdf.get_y() + SIGNATURE_HEIGHT > pdf.page_break_trigger:
        pdf.add_page(orientation=pdf.cur_orientation.value)
    pdf.ln(4)
    x0, y0 = pdf.l_margin, pdf.get_y()
    half = pdf.epw / 2
    pdf.set_xy(x0, y0)
    pdf.set_font(FONT, "BI", 12)
    pdf.cell(half, 6, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    for line in head.recipients:
        pdf.set_x(x0)
        pdf.multi_cell(half, 5.5, _t(f"- {line}"), align=Align.L, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(x0 + half, y0)
    for line in (head.sign_for, head.signer):
        pdf.set_font(FONT, "B", 13)
        pdf.set_x(x0 + half)
        pdf.multi_cell(half, 6.5, _t(line), align=Align.C, new_x="LMARGIN", new_y="NEXT")


def plan_to_pdf(
    plan: dict[str, Any],
    unit_name: str | None = None,
    *,
    superior: str | None = None,
    issued: date | None = None,
) -> bytes:
    """The plan as a PDF: A4, the heading block and indicators upright, the task tables in
    landscape, then the signature. The arguments are those of ``plan_to_docx``."""
    head = letterhead(plan, unit_name, superior=superior, issued=issued)
    pdf = _new_document()
    pdf.set_title(_t(plan.get("title") or ""))
    pdf.set_subject(_t(plan.get("resolution") or ""))
    pdf.add_page()
    _heading_block(pdf, plan, head)
    _indicators(pdf, plan.get("indicators") or [])
    _tasks(pdf, plan)
    _signature(pdf, head)
    return bytes(pdf.output())
