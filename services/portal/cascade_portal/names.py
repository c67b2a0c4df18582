"""Units, people and approval steps by the names officials use, never by their codes: the
directory's units (``vn.hue.huong-an`` is "Phường Hương An") and people (``approver.hue`` is
their full name, with their title where the directory has one), fetched once and kept briefly
for every screen of the process, and the approval steps by their labels in the catalogue."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cascade_portal.api import Api, ApiError
from cascade_portal.i18n import MESSAGES, translate
from cascade_portal.official import fold

DIRECTORY_SECONDS = 60.0
"""How long a directory answer is reused: units and people change rarely, and a renamed unit
shows under its new name a minute later at most."""

_CODE_LIKE = re.compile(r"(?<![\w@/-])[a-z0-9-]+(?:\.[a-z0-9-]+)+(?![\w@/-])")

SYSTEM_ACTORS = frozenset({"system", "seed", "deadline-scheduler", "results-scheduler"})
"""Who acts when no person does: the schedulers that chase deadlines, the demo's seeding."""


def _empty(value: Any) -> bool:
    return value is None or value == "" or "Undefined" in type(value).__name__


@dataclass(frozen=True)
class Names:
    """What one screen needs to name units and people, in the reader's language."""

    lang: str = "vi"
    units: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    people: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    units_of_people: Mapping[str, str] = field(default_factory=dict)
    """Where a person we cannot look up acts from (their unit), when the screen knows it."""

    def t(self, key: str) -> str:
        return translate(key, self.lang)

    # -- units -------------------------------------------------------------------------------
    def unit(self, code: Any) -> str:
        """A unit's full name; a code the directory does not know stays as it is written (a
        lead unit may be a name already)."""
        if _empty(code):
            return ""
        found = self.units.get(str(code))
        return str(found["name"]) if found else str(code)

    def units_named(self, codes: Iterable[Any]) -> str:
        return "; ".join(self.unit(c) for c in codes or [] if not _empty(c))

    def units_under(self, code: str) -> list[Mapping[str, Any]]:
        """``code`` and every unit below it (not the outside bodies), the unit first, then by
        name."""
        rows = [
            u
            for c, u in self.units.items()
            if (c == code or c.startswith(code + ".")) and u.get("kind", "unit") == "unit"
        ]
        return sorted(rows, key=lambda u: (u["code"] != code, fold(str(u["name"]))))

    def units_near(self, code: str) -> list[Mapping[str, Any]]:
        """The entries a plan of ``code`` names as lead or cooperating: itself, the units and
        outside bodies directly below it, and the unit above."""
        parent = code.rsplit(".", 1)[0] if "." in code else None
        rows = [u for c, u in self.units.items() if c in (code, parent) or u.get("parent") == code]
        return sorted(rows, key=lambda u: (u["code"] != code, fold(str(u["name"]))))

    def unit_code(self, typed: str, near: str | None = None) -> str:
        """What a person typed as a unit, as the plans keep it: the code of the unit named so
        (the one nearest ``near`` when several carry the name), else the text as typed."""
        text = " ".join(typed.split())
        if not text or text in self.units:
            return text
        wanted = fold(text)
        matches = [c for c, u in self.units.items() if fold(str(u["name"])) == wanted]
        if len(matches) > 1 and near:
            for scope in (near, near.rsplit(".", 1)[0] if "." in near else near):
                close = [c for c in matches if c == scope or c.startswith(scope + ".")]
                if len(close) == 1:
                    return close[0]
        return matches[0] if len(matches) == 1 else text

    # -- people ------------------------------------------------------------------------------
    def person(self, username: Any, unit: str | None = None, name: str | None = None) -> str:
        """A person's full name (and title); someone the directory does not show this reader is
        named by ``name`` when the API gave one (the approvals service names deciders and
        comment authors), else by their unit ("Cán bộ Thành phố Huế"); the schedulers as the
        system."""
        if _empty(username):
            return ""
        key = str(username)
        found = self.people.get(key)
        if found:
            title = str(found.get("title") or "").strip()
            return f"{found['name']}, {title}" if title else str(found["name"])
        if key in SYSTEM_ACTORS:
            return self.t("who.system")
        if name:
            return name
        where = unit or self.units_of_people.get(key)
        if where:
            return self.t("who.official_of").replace("{unit}", self.unit(where))
        return self.t("who.someone")

    def comrade(self, username: Any, unit: str | None = None) -> str:
        """A person as the start of a sentence about what they did: "Đ/c Nguyễn Văn An"."""
        name = self.person(username, unit)
        if _empty(username) or str(username) in SYSTEM_ACTORS or str(username) not in self.people:
            return name
        return self.t("who.comrade").replace("{name}", name)

    def people_of(self, unit: str, below: bool = False) -> list[Mapping[str, Any]]:
        """The people of ``unit`` (and of the units below it), by unit then name."""
        rows = [
            p
            for p in self.people.values()
            if p.get("unit") == unit or (below and str(p.get("unit", "")).startswith(unit + "."))
        ]
        return sorted(rows, key=lambda p: (p.get("unit") != unit, fold(str(p.get("name", "")))))

    def knowing(self, units_of_people: Mapping[str, str]) -> Names:
        """The same names, knowing where some more people act from."""
        return replace(self, units_of_people={**self.units_of_people, **units_of_people})

    def humanize(self, text: Any) -> str:
        """Free text from an API (a problem's detail) with the unit codes and login names it
        mentions replaced by their names."""
        if _empty(text):
            return ""

        def named(m: re.Match[str]) -> str:
            code = m.group(0)
            if code in self.units:
                return self.unit(code)
            if code in self.people or code in SYSTEM_ACTORS:
                return self.person(code)
            return code

        return _CODE_LIKE.sub(named, str(text))

    # -- roles and approval steps -------------------------------------------------------------
    def role(self, role: Any) -> str:
        key = f"role.{role}"
        return self.t(key) if key in MESSAGES else str(role or "")

    def step(self, name: Any, unit: str | None = None, role: str | None = None) -> str:
        """An approval step by its label: the routing policy names steps with slugs
        (``city-decision``), the catalogue has their labels; a step it does not know is named by
        who decides it ("Người phê duyệt - Thành phố Huế")."""
        key = f"step.{name}"
        if key in MESSAGES:
            return self.t(key)
        who = " - ".join(x for x in (self.role(role) if role else "", self.unit(unit)) if x)
        return who or self.t("step.unknown")


# -- the directory, fetched once a minute ------------------------------------------------------
async def _fetch(
    api: Api, store: dict[str, tuple[float, Any]], key: str, path: str, **params: str
) -> Any:
    now = time.monotonic()
    kept = store.get(key)
    if kept is not None and now - kept[0] < DIRECTORY_SECONDS:
        return kept[1]
    try:
        if ":" in key:
            params["unit"] = key.split(":", 1)[1]
        value = await api.get(path, **params)
    except ApiError:
        return None  # no names this time: the screens still work, the next one asks again
    if isinstance(value, list):
        store[key] = (now, value)
        return value
    return None


async def load_names(
    api: Api, store: dict[str, tuple[float, Any]], lang: str, viewer_unit: str | None
) -> Names:
    """The directory as ``viewer_unit`` sees it: every unit (the hierarchy is public to those
    signed in) and the people of their unit and below; from ``store`` when fetched under a
    minute ago (one call each, never one per row)."""
    # Units and the outside bodies that lead or cooperate on tasks, all by name.
    units = await _fetch(api, store, "units", "/api/directory/units", kind="all") or []
    people: list[Any] = []
    if viewer_unit:
        people = await _fetch(api, store, f"users:{viewer_unit}", "/api/directory/users") or []
    return Names(
        lang=lang,
        units={str(u["code"]): u for u in units if isinstance(u, dict) and "code" in u},
        people={str(p["username"]): p for p in people if isinstance(p, dict) and "username" in p},
    )
