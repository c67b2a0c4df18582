"""A service process whose outbox relay dies (exit 137, as from kill -9) right after the broker
confirmed a batch holding ``plan.submitted`` and before the rows are marked published."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from cascade_shared import outbox
from cascade_shared.chassis.app import serve

_record = outbox.OutboxRelay._record


async def _die_after_confirm(
    self: outbox.OutboxRelay,
    conn: Any,
    rows: Sequence[Any],
    results: Sequence[BaseException | None],
) -> int:
    confirmed = [r for r, err in zip(rows, results, strict=True) if err is None]
    if any(r.envelope["type"] == "plan.submitted" for r in confirmed):
        sys.stderr.write("confirmed by the broker; dying before marking published\n")
        sys.stderr.flush()
        os._exit(137)
    return await _record(self, conn, rows, results)


outbox.OutboxRelay._record = _die_after_confirm  # type: ignore[method-assign]

if __name__ == "__main__":
    serve(sys.argv[1])
