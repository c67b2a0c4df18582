"""Dates, times and periods the way Vietnamese officials write them, and read back the way they
type them: day first, never a day and a month swapped to make a date fit, on Vietnam's clock;
periods as "Quý II/2026", "Tháng 3/2026", "6 tháng đầu năm 2026", "Năm 2026"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from cascade_portal.official import (
    Unreadable,
    day,
    field_number,
    milestone_period,
    moment,
    number,
    period_label,
    read_day,
    read_moment,
    read_number,
    read_period,
    short_period,
)
from hypothesis import given
from hypothesis import strategies as st


def test_days_are_written_day_first() -> None:
    assert day("2026-03-03") == "03/03/2026"
    assert day(date(2026, 12, 20)) == "20/12/2026"
    assert day("2026-11-23T17:30:00Z") == "24/11/2026"  # that moment's day in Vietnam
    assert day(None) == "" and day("") == ""
    assert day("sắp tới") == "sắp tới"  # not a date: as it came


def test_moments_are_written_on_vietnams_clock_time_first() -> None:
    assert moment("2026-03-03T07:05:00Z") == "14:05 03/03/2026"
    assert moment("2026-03-03T07:05:00+00:00", with_time=False) == "03/03/2026"
    assert moment("2026-11-23T17:30:00") == "00:30 24/11/2026"  # naive: UTC
    assert moment(None) == "" and moment("soon") == "soon"


@pytest.mark.parametrize(
    ("code", "vi", "en"),
    [
        ("2026-Q2", "Quý II/2026", "Q2 2026"),
        ("2026-Q4", "Quý IV/2026", "Q4 2026"),
        ("2026-03", "Tháng 3/2026", "March 2026"),
        ("2026-12", "Tháng 12/2026", "December 2026"),
        ("2026-H1", "6 tháng đầu năm 2026", "First half of 2026"),
        ("2026-H2", "6 tháng cuối năm 2026", "Second half of 2026"),
        ("2026", "Năm 2026", "Year 2026"),
    ],
)
def test_periods_are_named_as_officials_name_them(code: str, vi: str, en: str) -> None:
    assert period_label(code, "vi") == vi
    assert period_label(code, "en") == en
    assert read_period(vi) == code and read_period(en) == code and read_period(code) == code


def test_a_period_after_a_word_reads_as_part_of_the_sentence() -> None:
    assert f"Báo cáo {period_label('2026-03', 'vi', in_sentence=True)}" == "Báo cáo tháng 3/2026"
    assert period_label("2026-Q1", "vi", in_sentence=True) == "quý I/2026"
    assert period_label("2026", "vi", in_sentence=True) == "năm 2026"
    assert period_label("2026-H1", "en", in_sentence=True) == "the first half of 2026"
    assert period_label("2026", "en", in_sentence=True) == "2026"
    assert period_label("không phải kỳ", "vi") == "không phải kỳ"
    assert short_period("2026-07") == "7/2026" and short_period("2026-Q3") == "Q3/2026"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Quý II/2026", "2026-Q2"),
        ("quý 2/2026", "2026-Q2"),
        ("Quy II/2026", "2026-Q2"),  # without diacritics
        ("QUÝ IV / 2026", "2026-Q4"),
        ("quý III năm 2026", "2026-Q3"),
        ("Q3/2026", "2026-Q3"),
        ("Tháng 3/2026", "2026-03"),
        ("tháng 03/2026", "2026-03"),
        ("thang 11 nam 2026", "2026-11"),
        ("3/2026", "2026-03"),
        ("6 tháng đầu năm 2026", "2026-H1"),
        ("6 thang cuoi nam 2026", "2026-H2"),
        ("Năm 2026", "2026"),
        ("nam 2026", "2026"),
    ],
)
def test_periods_are_read_as_typed(typed: str, code: str) -> None:
    assert read_period(typed) == code


@pytest.mark.parametrize("typed", ["Tháng 13/2026", "Quý V/2026", "2026-Q5", "quý", "sớm", ""])
def test_what_is_not_a_period_is_refused(typed: str) -> None:
    with pytest.raises(Unreadable) as refused:
        read_period(typed)
    assert refused.value.kind == "period" and refused.value.text == typed


def test_a_milestone_is_kept_by_month_or_quarter() -> None:
    """The plans keep milestones by month or quarter: a half year is due with the quarter that
    closes it, a year with its fourth quarter."""
    assert milestone_period("Quý II/2026") == "2026-Q2"
    assert milestone_period("Tháng 3/2026") == "2026-03"
    assert milestone_period("6 tháng đầu năm 2026") == "2026-Q2"
    assert milestone_period("6 tháng cuối năm 2026") == "2026-Q4"
    assert milestone_period("Năm 2026") == "2026-Q4"
    assert milestone_period("2026-Q3") == "2026-Q3"  # the stored form, as before


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("01/03/2026", date(2026, 3, 1)),  # 1 March, never 3 January
        ("1/3/2026", date(2026, 3, 1)),
        ("13/03/2026", date(2026, 3, 13)),
        ("03-01-2026", date(2026, 1, 3)),
        ("03.01.2026", date(2026, 1, 3)),
        (" 30/09/2026 ", date(2026, 9, 30)),
        ("29/02/2028", date(2028, 2, 29)),
        ("2026-03-01", date(2026, 3, 1)),  # the stored form
    ],
)
def test_days_are_read_day_first(typed: str, wanted: date) -> None:
    assert read_day(typed) == wanted


@pytest.mark.parametrize(
    "typed",
    ["31/02/2026", "03/13/2026", "29/02/2026", "32/01/2026", "1/3/26", "20260301", "mai", ""],
)
def test_what_is_not_a_day_is_refused_never_swapped(typed: str) -> None:
    """03/13/2026 is not 13 March: day and month are never swapped to make a date fit."""
    with pytest.raises(Unreadable) as refused:
        read_day(typed)
    assert refused.value.kind == "day"


def test_moments_are_read_on_vietnams_clock() -> None:
    at = read_moment("14:05 03/03/2026")
    assert at.isoformat() == "2026-03-03T14:05:00+07:00"
    assert read_moment("03/03/2026 14:05") == at
    assert read_moment("14h05 ngày 03/03/2026") == at
    assert read_moment("lúc 14:05 ngày 3/3/2026") == at
    assert read_moment("2026-03-03T14:05") == at  # the old form's links still work
    start = read_moment("03/03/2026")
    assert start.isoformat() == "2026-03-03T00:00:00+07:00"
    # "until 03/03/2026" takes the whole day in
    assert read_moment("03/03/2026", end_of_day=True) == start + timedelta(days=1)
    assert read_moment("14:05 03/03/2026", end_of_day=True) == at
    for typed in ("25:00 03/03/2026", "14:05 31/02/2026", "hôm qua"):
        with pytest.raises(Unreadable):
            read_moment(typed)


def test_figures_read_the_vietnamese_way_in_vietnamese() -> None:
    assert number(1000) == "1.000" and number(1000, "en") == "1,000"
    assert number(87.5) == "87,5" and number(87.5, "en") == "87.5"
    assert number(1234567.891) == "1.234.567,89"
    assert number(12.0) == "12" and number(0.0) == "0" and number(-3.25) == "-3,25"
    assert number(None) == "" and number("") == ""
    assert number("không rõ") == "không rõ"  # not a figure: as it came
    assert number(float("nan")) == "nan"


@pytest.mark.parametrize(
    ("typed", "lang", "figure"),
    [
        ("1.000", "vi", 1000.0),
        ("1.000.000", "vi", 1_000_000.0),
        ("0,5", "vi", 0.5),
        ("1.234,5", "vi", 1234.5),
        ("87,5", "vi", 87.5),
        ("0.5", "vi", 0.5),  # a lone dot without three digits after it: a decimal
        (" 12 ", "vi", 12.0),
        ("-3", "vi", -3.0),
        ("1,000", "en", 1000.0),
        ("1,234.5", "en", 1234.5),
        ("0.5", "en", 0.5),
        ("0,5", "en", 0.5),
    ],
)
def test_figures_are_read_the_way_the_language_writes_them(
    typed: str, lang: str, figure: float
) -> None:
    assert read_number(typed, lang) == figure


@pytest.mark.parametrize("typed", ["1.0.0", "1,5,", "mười", "nan", "inf", "1e5", "", "1.000,5,5"])
def test_what_is_not_a_figure_is_refused_never_guessed(typed: str) -> None:
    with pytest.raises(ValueError):
        read_number(typed, "vi")


@given(
    st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12).map(float),
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda f: round(f, 6)),
    ),
    st.sampled_from(["vi", "en"]),
)
def test_a_figure_in_a_form_field_reads_back_unchanged(figure: float, lang: str) -> None:
    assert read_number(field_number(figure, lang), lang) == figure
