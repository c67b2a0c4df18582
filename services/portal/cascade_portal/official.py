"""Dates, times and periods the way officials write them, and read back the way they type them.

A day is 03/03/2026 (day first), a moment 14:05 03/03/2026 on Vietnam's clock, a period
"Quý II/2026", "Tháng 3/2026", "6 tháng đầu năm 2026" or "Năm 2026" (in English "Q2 2026",
"March 2026", "First half of 2026", "Year 2026"). The APIs keep ISO dates, UTC timestamps and
period codes (``2026-Q2``, ``2026-03``, ``2026-H1``, ``2026``); this module turns one into the
other and nothing else (no HTTP, no templates)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _vietnam() -> tzinfo:
    try:
        return ZoneInfo("Asia/Ho_Chi_Minh")
    except ZoneInfoNotFoundError:  # no time zone database: Vietnam keeps UTC+7 all year
        return timezone(timedelta(hours=7), "ICT")


VIETNAM = _vietnam()

ROMAN = ("I", "II", "III", "IV")
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Unreadable(ValueError):
    """What a person typed is not a valid date, time or period (``kind``: day, moment,
    period)."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(f"not a valid {kind}: {text!r}")
        self.kind = kind
        self.text = text


def _empty(value: Any) -> bool:
    return value is None or value == "" or "Undefined" in type(value).__name__


# -- writing ---------------------------------------------------------------------------------------
def as_day(value: Any) -> date | None:
    """An API date or timestamp as a calendar day (a timestamp: its day on Vietnam's clock)."""
    if _empty(value):
        return None
    if isinstance(value, datetime):
        return to_vietnam(value).date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) > 10:
        moment = as_moment(text)
        return moment.date() if moment else None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def as_moment(value: Any) -> datetime | None:
    """An API timestamp (naive ones are UTC) on Vietnam's clock."""
    if _empty(value):
        return None
    if isinstance(value, datetime):
        return to_vietnam(value)
    try:
        return to_vietnam(datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def to_vietnam(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)


def day(value: Any) -> str:
    """``2026-12-20`` as 20/12/2026; nothing as nothing; what is not a date as it came."""
    if _empty(value):
        return ""
    found = as_day(value)
    return found.strftime("%d/%m/%Y") if found else str(value)


def clock(value: Any) -> str:
    """The time of day of a timestamp on Vietnam's clock: 14:05."""
    moment = as_moment(value)
    return moment.strftime("%H:%M") if moment else ""


def moment(value: Any, with_time: bool = True) -> str:
    """A timestamp as 14:05 03/03/2026 on Vietnam's clock (or only 03/03/2026)."""
    if _empty(value):
        return ""
    found = as_moment(value)
    if found is None:
        return str(value)
    return found.strftime("%H:%M %d/%m/%Y" if with_time else "%d/%m/%Y")


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")


def _figure(value: Any) -> float | None:
    """``value`` as a finite figure; None for nothing, or for what is not one."""
    if _empty(value):
        return None
    try:
        figure = float(value)
    except (TypeError, ValueError):
        return None
    return figure if figure == figure and abs(figure) != float("inf") else None


def number(value: Any, lang: str = "vi") -> str:
    """A figure as officials write it: at most two decimals, none when whole; in Vietnamese a
    dot between thousands and a decimal comma (1.000; 87,5), in English the other way round
    (1,000; 87.5). Nothing reads as nothing; what is not a number stays as it came."""
    figure = _figure(value)
    if figure is None:
        return "" if _empty(value) else str(value)
    text = f"{figure:,.2f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


_CANONICAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def read_number(text: str, lang: str = "vi") -> float:
    """A figure as a person types it in the portal's language: in Vietnamese "1.000" is one
    thousand, "0,5" one half and "1.234,5" both; in English "1,000", "0.5" and "1,234.5".
    A lone mark of the other language with other than three digits after it ("0.5" in
    Vietnamese) is read as that language's decimal mark. Raises ValueError for anything else,
    so nothing typed is silently saved as another figure."""
    thousands, decimal = (".", ",") if lang == "vi" else (",", ".")
    s = str(text).strip()
    for space in (" ", "\u00a0", "\u202f", "\u2009"):
        s = s.replace(space, "")
    grouped = rf"[+-]?\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+(?:{re.escape(decimal)}\d+)?"
    if re.fullmatch(grouped, s):
        s = s.replace(thousands, "").replace(decimal, ".")
    elif thousands not in s:
        s = s.replace(decimal, ".")
    elif decimal not in s and s.count(thousands) == 1:
        s = s.replace(thousands, ".")
    if not _CANONICAL.fullmatch(s):
        raise ValueError(f"{text!r} is not a number")
    return float(s)


def field_number(value: Any, lang: str = "vi") -> str:
    """A figure as a form field holds it, to be read back by :func:`read_number` unchanged:
    whole numbers without a mark (1000), decimals with the language's decimal mark (0,5 in
    Vietnamese), every digit kept; nothing reads as nothing."""
    figure = _figure(value)
    if figure is None:
        return "" if _empty(value) else str(value)
    text = str(int(figure)) if figure.is_integer() else repr(figure)
    if "e" in text.lower():
        text = f"{figure:.12f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "vi" else text


def period_label(code: Any, lang: str = "vi", in_sentence: bool = False) -> str:
    """A period code as officials name it: ``2026-Q2`` "Quý II/2026", ``2026-03`` "Tháng
    3/2026", ``2026-H1`` "6 tháng đầu năm 2026", ``2026`` "Năm 2026" (English: "Q2 2026",
    "March 2026", "First half of 2026", "Year 2026"). ``in_sentence``: as it reads after a word
    ("Báo cáo tháng 3/2026", "Report for the first half of 2026"). Anything else as it came."""
    key = "" if _empty(code) else str(code).strip()
    en = lang == "en"
    if m := _MONTH.match(key):
        year, month = m[1], int(m[2])
        if en:
            return f"{MONTHS_EN[month - 1]} {year}"
        return _lead(f"Tháng {month}/{year}", in_sentence)
    if m := _QUARTER.match(key):
        year, quarter = m[1], int(m[2])
        if en:
            return f"Q{quarter} {year}"
        return _lead(f"Quý {ROMAN[quarter - 1]}/{year}", in_sentence)
    if m := _HALF.match(key):
        year, first = m[1], m[2] == "1"
        if en:
            text = f"{'First' if first else 'Second'} half of {year}"
            return ("the " + text[0].lower() + text[1:]) if in_sentence else text
        return f"6 tháng {'đầu' if first else 'cuối'} năm {year}"
    if _YEAR.match(key):
        if en:
            return key if in_sentence else f"Year {key}"
        return _lead(f"Năm {key}", in_sentence)
    return key


def _lead(text: str, in_sentence: bool) -> str:
    return text[0].lower() + text[1:] if in_sentence else text


def short_period(code: str) -> str:
    """A period on a chart's axis: 7/2026, Q3/2026, H1/2026, 2026."""
    if m := _MONTH.match(code):
        return f"{int(m[2])}/{m[1]}"
    if m := _QUARTER.match(code):
        return f"Q{m[2]}/{m[1]}"
    if m := _HALF.match(code):
        return f"H{m[2]}/{m[1]}"
    return code


# -- reading ---------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower case without diacritics (đ as d), single spaces: what a person may type either way."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.lower().split())


_DAY_FIRST = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def read_day(text: str) -> date:
    """A day as typed: 03/03/2026, 3/3/2026, 03-03-2026, 03.03.2026 (always day first), or the
    stored 2026-03-03. Anything else, or a day that does not exist (31/02/2026, 03/13/2026),
    raises Unreadable: day and month are never swapped to make it fit."""
    value = " ".join(str(text).split())
    if m := _DAY_FIRST.match(value):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := _ISO_DAY.match(value):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        raise Unreadable("day", text)
    try:
        return date(y, mo, d)
    except ValueError:
        raise Unreadable("day", text) from None


_CLOCK = re.compile(r"(\d{1,2})\s*[:hg]\s*(\d{2})", re.IGNORECASE)
_LINKING_WORDS = {"", "luc", "ngay", "at", "on"}


def read_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """A moment as typed on Vietnam's clock: "14:05 03/03/2026", "03/03/2026 14:05", "14h05
    ngày 03/03/2026", or a day alone (its start; with ``end_of_day`` the start of the next day,
    so "until 03/03/2026" takes the whole day in). The stored ``2026-03-03T14:05`` too."""
    value = " ".join(str(text).split())
    iso = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?", value)
    hour: int | None
    minute: int | None
    if iso:
        the_day = read_day(iso[1])
        hour, minute = int(iso[2]), int(iso[3])
    else:
        found = _CLOCK.search(value)
        rest = value
        hour = minute = None
        if found:
            hour, minute = int(found[1]), int(found[2])
            rest = (value[: found.start()] + " " + value[found.end() :]).strip()
        words = [w for w in rest.split() if fold(w).strip(",") not in _LINKING_WORDS]
        rest = " ".join(words)
        try:
            the_day = read_day(rest)
        except Unreadable:
            raise Unreadable("moment", text) from None
    if hour is None or minute is None:
        start = datetime.combine(the_day, time(0, 0), tzinfo=VIETNAM)
        return start + timedelta(days=1) if end_of_day else start
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise Unreadable("moment", text)
    return datetime.combine(the_day, time(hour, minute), tzinfo=VIETNAM)


_ROMAN_NUMBERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_PERIOD_FORMS: list[tuple[re.Pattern[str], str]] = [
    # the stored codes
    (re.compile(r"^(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])$"), "month"),
    (re.compile(r"^(?P<y>\d{4})-q(?P<q>[1-4])$"), "quarter"),
    (re.compile(r"^(?P<y>\d{4})-h(?P<h>[12])$"), "half"),
    (re.compile(r"^(?P<y>\d{4})$"), "year"),
    # Vietnamese, with or without diacritics (folded first)
    (re.compile(r"^thang (?P<m>\d{1,2}) ?[/-] ?(?P<y>\d{4})$"), "month"),
    (re.compile(r"^thang (?P<m>\d{1,2}) nam (?P<y>\d{4})$"), "month"),
    (re.compile(r"^(?P<m>\d{1,2}) ?/ ?(?P<y>\d{4})$"), "month"),
    (re.compile(r"^quy (?P<r>iv|iii|ii|i|[1-4]) ?[/-] ?(?P<y>\d{4})$"), "quarter"),
    (re.compile(r"^quy (?P<r>iv|iii|ii|i|[1-4]) nam (?P<y>\d{4})$"), "quarter"),
    (re.compile(r"^6 thang (?P<d>dau|cuoi) nam (?P<y>\d{4})$"), "half"),
    (re.compile(r"^(?P<d>dau|cuoi) nam (?P<y>\d{4})$"), "half"),
    (re.compile(r"^nam (?P<y>\d{4})$"), "year"),
    # English, and the short forms of the charts
    (re.compile(r"^q(?P<q>[1-4]) ?[/-]? ?(?P<y>\d{4})$"), "quarter"),
    (re.compile(r"^h(?P<h>[12]) ?[/-]? ?(?P<y>\d{4})$"), "half"),
    (re.compile(r"^(?:the )?(?P<d>first|second) half(?: of)? (?P<y>\d{4})$"), "half"),
    (re.compile(r"^year (?P<y>\d{4})$"), "year"),
    (re.compile(r"^(?P<n>[a-z]+) (?P<y>\d{4})$"), "month_name"),
]


def read_period(text: str) -> str:
    """A period as typed, as its code: "Quý II/2026" (or quý 2/2026, Q2 2026, 2026-Q2) is
    ``2026-Q2``; "Tháng 3/2026" (3/2026, March 2026, 2026-03) ``2026-03``; "6 tháng đầu năm
    2026" (First half of 2026, 2026-H1) ``2026-H1``; "Năm 2026" (2026) ``2026``. Else
    Unreadable."""
    folded = fold(text).strip(" .")
    months = [n.lower() for n in MONTHS_EN]
    for pattern, kind in _PERIOD_FORMS:
        m = pattern.match(folded)
        if not m:
            continue
        found = {k: v for k, v in m.groupdict().items() if v is not None}
        year = found["y"]
        if kind == "month" and 1 <= int(found["m"]) <= 12:
            return f"{year}-{int(found['m']):02d}"
        if kind == "month_name" and found["n"] in months:
            return f"{year}-{months.index(found['n']) + 1:02d}"
        if kind == "quarter":
            number = found.get("q") or found["r"]
            return f"{year}-Q{number if number.isdigit() else _ROMAN_NUMBERS[number]}"
        if kind == "half":
            part = found.get("h") or found["d"]
            return f"{year}-H{1 if part in ('1', 'dau', 'first') else 2}"
        if kind == "year":
            return year
    raise Unreadable("period", text)


def milestone_period(text: str) -> str:
    """A milestone's period as typed, as a code the plans keep (a month or a quarter): a half
    year is due with the quarter that closes it (6 tháng đầu năm 2026: ``2026-Q2``), a year with
    its fourth quarter (Năm 2026: ``2026-Q4``)."""
    code = read_period(text)
    if m := _HALF.match(code):
        return f"{m[1]}-Q{2 if m[2] == '1' else 4}"
    if _YEAR.match(code):
        return f"{code}-Q4"
    return code
