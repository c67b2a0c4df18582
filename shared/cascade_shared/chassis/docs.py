"""Documents generated from the code, so they cannot drift: the event catalogue and OpenAPI.

``python -m cascade_shared.chassis.docs`` rewrites ``docs/events.md``'s table and
``docs/openapi.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cascade_shared.chassis.registry import subscriptions
from cascade_shared.events import CATALOGUE, routing_key_matches

BEGIN = "<!-- catalogue:begin -->"
END = "<!-- catalogue:end -->"


def _fields(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    names = [f"`{n}`" + ("" if n in required else "?") for n in schema.get("properties", {})]
    return ", ".join(names)


def catalogue_markdown() -> str:
    rows = [
        "| type | v | producer | consumers | what happened | payload (`?` = optional) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for spec in CATALOGUE.values():
        consumers = [
            s
            for s, patterns in subscriptions().items()
            if any(routing_key_matches(p, spec.type) for p in patterns)
        ]
        rows.append(
            f"| `{spec.type}` | {spec.version} | {spec.producer} | {', '.join(consumers)} | "
            f"{spec.description} | {_fields(spec.payload.model_json_schema())} |"
        )
    return "\n".join(rows)


def with_catalogue(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{catalogue_markdown()}\n{END}{tail}"


def openapi() -> dict[str, Any]:
    from cascade_shared.chassis.app import create_app
    from cascade_shared.chassis.registry import all_services
    from cascade_shared.settings import Settings

    app = create_app(all_services(), Settings(jwt_secret="docs"), title="Cascade")
    return app.openapi()


def main(root: str = ".") -> None:
    docs = Path(root) / "docs"
    events = docs / "events.md"
    events.write_text(with_catalogue(events.read_text(encoding="utf-8")), encoding="utf-8")
    (docs / "openapi.json").write_text(
        json.dumps(openapi(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
