"""Plans in and out of the files officials keep: spreadsheets of tasks and indicators (XLSX, CSV)
and a printable document of an approved plan (DOCX). Pure functions: no HTTP, no database."""

from cascade_plans.io.document import plan_to_docx
from cascade_plans.io.tables import (
    INDICATOR_HEADERS,
    TASK_HEADERS,
    ParsedTables,
    RowError,
    parse_tables,
    tasks_to_csv,
    tasks_to_xlsx,
)

__all__ = [
    "INDICATOR_HEADERS",
    "TASK_HEADERS",
    "ParsedTables",
    "RowError",
    "parse_tables",
    "plan_to_docx",
    "tasks_to_csv",
    "tasks_to_xlsx",
]
