"""The printable PDF of a plan: a valid PDF in the layout of an administrative document, every
Vietnamese diacritic readable back from it, and the heading block both printed forms share."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest
from cascade_plans.io.document import (
    MOTTO,
    NATIONAL_HEADING,
    PARTY_HEADING,
    letterhead,
    place_of,
    plan_to_docx,
    vi_long_date,
)
from cascade_plans.io.pdf import FONT_FILES, FONTS, plan_to_pdf
from pypdf import PdfReader

from tests.unit.test_plan_io import make_plan

PARTY_TITLE = (
    "Kế hoạch của Đảng ủy phường Hương An thực hiện Chương trình hành động của Thành ủy Huế"
)


def text_of(pdf: bytes) -> str:
    """The PDF's text, its lines joined by single spaces (a wrapped title reads whole)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def test_the_pdf_is_a_valid_a4_document_with_the_national_heading_and_the_plan() -> None:
    plan = make_plan()
    data = plan_to_pdf(
        plan, "Phường Hoàn Kiếm", superior="Thành phố Hà Nội", issued=date(2026, 2, 5)
    )
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(data))
    first, last = reader.pages[0], reader.pages[-1]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (595, 842)
    assert float(last.mediabox.width) > float(last.mediabox.height)  # the tasks in landscape
    assert reader.metadata.title == plan["title"]
    text = text_of(data)
    assert NATIONAL_HEADING in text and MOTTO in text
    assert "PHƯỜNG HOÀN KIẾM" in text  # the issuing body
    assert "Hoàn Kiếm, ngày 05 tháng 02 năm 2026" in text
    assert "Số:" in text
    assert plan["title"] in text
    assert "Phiên bản 2 — Đã phê duyệt" in text
    # A task's job with its diacritics, and what the tables say of it.
    assert "Xóa 12 điểm tập kết rác tự phát trên địa bàn phường" in text
    assert "Quý 2/2026: xóa 6 điểm" in text
    assert "Hồ sơ được số hóa; 1.234,5 hồ sơ" in text
    assert "Tốc độ tăng trưởng GRDP" in text and "≥ 11" in text
    assert "NV1. Phát triển kinh tế, đô thị văn minh" in text
    # The signature block.
    assert "Nơi nhận:" in text and "Thành phố Hà Nội (để báo cáo);" in text
    assert "TM. PHƯỜNG HOÀN KIẾM" in text and "CHỦ TỊCH" in text


def test_every_vietnamese_letter_prints_from_the_embedded_font() -> None:
    letters = "ăâđêôơưĂÂĐÊÔƠƯ" + "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    plan = make_plan()
    plan["tasks"][0]["job"] = letters + " " + letters.upper()
    data = plan_to_pdf(plan, "Xã Vinh Lộc")
    text = "".join(text_of(data).split())  # the cell wraps the long word anywhere
    assert letters in text and letters.upper() in text
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in PdfReader(io.BytesIO(data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("DejaVuSerif" in name for name in fonts), fonts  # embedded, subset
    assert all((FONTS / name).is_file() for name in FONT_FILES.values())
    assert (FONTS / "LICENSE.txt").is_file()


def test_a_plan_titled_for_a_party_committee_prints_the_party_heading() -> None:
    plan = make_plan() | {"title": PARTY_TITLE}
    head = letterhead(plan, "Phường Hương An")
    assert head.party and head.heading == PARTY_HEADING and head.motto is None
    assert " ".join(head.issuer) == "ĐẢNG ỦY PHƯỜNG HƯƠNG AN"
    assert head.number.endswith("-KH/ĐU") and head.sign_for == "T/M ĐẢNG ỦY PHƯỜNG HƯƠNG AN"
    text = text_of(plan_to_pdf(plan, "Phường Hương An"))
    assert PARTY_HEADING in text and NATIONAL_HEADING not in text
    assert "ĐẢNG ỦY PHƯỜNG HƯƠNG AN" in text and "BÍ THƯ" in text
    # The DOCX prints the same heading.
    document = docx.Document(io.BytesIO(plan_to_docx(plan, "Phường Hương An")))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert PARTY_HEADING in paragraphs and "ĐẢNG ỦY PHƯỜNG HƯƠNG AN" in paragraphs


def test_the_docx_prints_the_same_heading_block_and_signature() -> None:
    plan = make_plan()
    document = docx.Document(
        io.BytesIO(plan_to_docx(plan, "Phường Hoàn Kiếm", issued=date(2026, 11, 20)))
    )
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert NATIONAL_HEADING in paragraphs and MOTTO in paragraphs
    assert "Hoàn Kiếm, ngày 20 tháng 11 năm 2026" in paragraphs
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any(c.startswith("Nơi nhận:") for c in cells)
    assert any(c.startswith("TM. PHƯỜNG HOÀN KIẾM") for c in cells)


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("Thành phố Huế", "Huế"),
        ("Phường Hương An", "Hương An"),
        ("Xã Vinh Lộc", "Vinh Lộc"),
        ("Trung ương", "Hà Nội"),
        (None, ""),
    ],
)
def test_the_date_line_names_the_place(name: str | None, place: str) -> None:
    assert place_of(name) == place


def test_dates_are_written_as_decree_30_writes_them() -> None:
    assert vi_long_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert vi_long_date(date(2026, 3, 15)) == "ngày 15 tháng 3 năm 2026"
    assert "năm" in vi_long_date(None)  # left for the clerk


def test_the_pdf_prints_the_content_it_is_given_not_another() -> None:
    """The route passes the version in force; whatever a revision's working copy holds does
    not reach the renderer."""
    in_force = make_plan()
    in_force["tasks"] = in_force["tasks"][:1]
    text = text_of(plan_to_pdf(in_force, "Phường Hoàn Kiếm"))
    assert "Xóa 12 điểm tập kết rác tự phát" in text
    assert "Số hóa hồ sơ thủ tục hành chính" not in text
