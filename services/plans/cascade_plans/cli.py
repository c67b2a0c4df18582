"""`cascade`: the command line for officials' IT staff — list plans, import the spreadsheets
officials keep, submit a plan, export it — over Cascade's HTTP API.

    cascade --base-url http://127.0.0.1:8000 token ward.drafter      # embedded/dev mode only
    export CASCADE_TOKEN=...
    cascade plans --status draft
    cascade import PLAN_ID ke-hoach.xlsx
    cascade submit PLAN_ID --acknowledge-warnings
    cascade export PLAN_ID --format docx -o ke-hoach.docx
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = httpx.Timeout(60.0, connect=10.0)

app = typer.Typer(
    name="cascade",
    help="Cascade from the command line: plans, spreadsheet import, submission, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class Settings:
    base_url: str
    token: str | None


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    docx = "docx"


def make_client(
    base_url: str, token: str | None, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The HTTP client every command uses (tests replace it to inject a MockTransport)."""
    headers = {"Accept": "application/json, application/problem+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(
        base_url=base_url.rstrip("/"), headers=headers, timeout=TIMEOUT, transport=transport
    )


@app.callback()
def main(
    ctx: typer.Context,
    base_url: str = typer.Option(
        DEFAULT_URL, "--base-url", envvar="CASCADE_URL", help="Where Cascade's API answers."
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="CASCADE_TOKEN", help="Bearer token (see `cascade token`)."
    ),
) -> None:
    ctx.obj = Settings(base_url=base_url, token=token)


# --- talking to the API ---------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_line(error: dict[str, Any]) -> str:
    """One entry of a problem's ``errors``: an import row (sheet,row,column,reason) or a field
    (field,reason; a 5-clear error also names the task and the missing element)."""
    reason = error.get("reason") or error.get("msg") or ""
    if "row" in error or "sheet" in error:
        where = f"{error.get('sheet') or 'file'}, row {error.get('row')}"
        if error.get("column"):
            where += f", column {error['column']}"
        return f"{where}: {reason}"
    if error.get("task"):
        element = error.get("element_vi") or error.get("element") or ""
        return f"task {error['task']}" + (f" [{element}]" if element else "") + f": {reason}"
    field = error.get("field") or ".".join(str(p) for p in error.get("loc") or [])
    return f"{field}: {reason}" if field else str(reason)


def _problem(response: httpx.Response) -> NoReturn:
    """Print a problem+json answer (title, detail, each error and warning) and exit 1."""
    body = _body(response)
    title = body.get("title") or response.reason_phrase or "Error"
    detail = body.get("detail")
    lines = [f"Error {response.status_code}: {title}"]
    errors = body.get("errors")
    if isinstance(detail, list):  # a framework validation error without the problem wrapper
        errors = (errors or []) + detail
    elif detail:
        lines[0] += f" — {detail}"
    for error in errors or []:
        lines.append(f"  - {_error_line(error) if isinstance(error, dict) else error}")
    warnings = body.get("warnings") or []
    if warnings:
        lines.append("Warnings:")
        lines.extend(f"  - {_error_line(w) if isinstance(w, dict) else w}" for w in warnings)
        if not errors:
            lines.append("Read them, then rerun with --acknowledge-warnings.")
    if not body and response.text:
        lines.append(response.text[:500])
    _fail("\n".join(lines))


def _request(ctx: typer.Context, method: str, path: str, **kwargs: Any) -> httpx.Response:
    settings: Settings = ctx.obj
    try:
        with make_client(settings.base_url, settings.token) as client:
            response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        _fail(f"Cannot reach Cascade at {settings.base_url}: {exc}")
    if not response.is_success:
        _problem(response)
    return response


# --- commands -------------------------------------------------------------------------------


@app.command()
def token(
    ctx: typer.Context, username: str = typer.Argument(help="A user of the directory.")
) -> None:
    """Print a dev access token for USERNAME.

    Embedded/dev mode only: production takes tokens from the identity provider and answers 404.
    Use it as `export CASCADE_TOKEN=$(cascade token USERNAME)`."""
    response = _request(ctx, "POST", "/api/auth/dev-token", json={"username": username})
    typer.echo(_body(response).get("access_token", ""))


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


@app.command("plans")
def list_plans(
    ctx: typer.Context,
    unit: str | None = typer.Option(None, "--unit", help="Org unit code (default: your own)."),
    status: str | None = typer.Option(
        None, "--status", help="draft, submitted, returned, approved, ..."
    ),
) -> None:
    """List the plans you may see, as a plain table."""
    params = {k: v for k, v in (("unit", unit), ("status", status)) if v}
    body = _request(ctx, "GET", "/api/plans", params=params).json()
    items = body.get("items", []) if isinstance(body, dict) else body
    if not items:
        typer.echo("No plans.")
        return
    rows = [
        [
            p.get("id", ""),
            p.get("unit", ""),
            p.get("status", ""),
            str(p.get("version", "")),
            f"{p.get('term_start', '')}-{p.get('term_end', '')}",
            p.get("title", ""),
        ]
        for p in items
    ]
    typer.echo(_table(rows, ["ID", "UNIT", "STATUS", "VERSION", "TERM", "TITLE"]))
    total = body.get("total") if isinstance(body, dict) else None
    if total is not None and total > len(items):
        typer.echo(f"({len(items)} of {total} shown)")


@app.command("import")
def import_file(
    ctx: typer.Context,
    plan_id: str = typer.Argument(help="The plan to fill (a draft or returned plan)."),
    file: Path = typer.Argument(
        exists=True,
        dir_okay=False,
        readable=True,
        help=".xlsx (sheets Nhiệm vụ, Chỉ tiêu) or .csv (tasks)",
    ),
) -> None:
    """Import tasks and indicators from a spreadsheet; every row error is printed."""
    media = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    with file.open("rb") as handle:
        response = _request(
            ctx, "POST", f"/api/plans/{plan_id}/import", files={"file": (file.name, handle, media)}
        )
    body = _body(response)
    typer.echo(
        f"Imported {body.get('tasks', 0)} task(s) and {body.get('indicators', 0)} "
        f"indicator(s) into plan {plan_id}."
    )


@app.command()
def submit(
    ctx: typer.Context,
    plan_id: str = typer.Argument(help="The plan to submit for approval."),
    acknowledge_warnings: bool = typer.Option(
        False,
        "--acknowledge-warnings",
        help="Submit although there are warnings (e.g. tasks copied from the parent).",
    ),
) -> None:
    """Submit a plan; if it is not "5 clear", print each task and missing element."""
    response = _request(
        ctx,
        "POST",
        f"/api/plans/{plan_id}/submit",
        json={"acknowledge_warnings": acknowledge_warnings},
    )
    body = _body(response)
    typer.echo(
        f"Submitted plan {plan_id}: version {body.get('version')}, "
        f"content hash {body.get('content_hash')}"
    )


@app.command()
def export(
    ctx: typer.Context,
    plan_id: str = typer.Argument(help="The plan to export."),
    format: ExportFormat = typer.Option(
        ExportFormat.xlsx, "--format", "-f", help="xlsx or csv (tasks), docx (approved plans)"
    ),
    output: Path = typer.Option(..., "--output", "-o", dir_okay=False, help="File to write."),
) -> None:
    """Export a plan's tasks and indicators (xlsx, csv) or print an approved plan (docx)."""
    response = _request(ctx, "GET", f"/api/plans/{plan_id}/export", params={"format": format.value})
    output.write_bytes(response.content)
    typer.echo(f"Wrote {len(response.content)} bytes to {output}")


if __name__ == "__main__":
    app()
