"""plans: outside bodies in the directory (org_unit.kind: unit or body)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00.000000

"""
import logging
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    # Every entry so far is a unit that makes plans; bodies are registered from now on.
    op.add_column(
        'org_unit',
        sa.Column(
            'kind',
            sqlmodel.sql.sqltypes.AutoString(length=10),
            nullable=False,
            server_default='unit',
        ),
    )
    # A lead unit written as free text (a name, or several) is no directory entry: it is
    # reported, not guessed; the plan's drafters choose the entry (registering the body first)
    # the next time they revise the plan, and its submission refuses it until they do.
    rows = op.get_bind().execute(
        sa.text(
            "SELECT t.plan_id, count(*) FROM task t"
            " LEFT JOIN org_unit u ON u.code = t.lead_unit"
            " WHERE t.lead_unit IS NOT NULL AND u.code IS NULL"
            " GROUP BY t.plan_id"
        )
    )
    for plan_id, n in rows:
        log.warning(
            "plan %s has %d task(s) whose lead unit is not in the directory: register the "
            "bodies (kind 'body') and choose them by code",
            plan_id,
            n,
        )


def downgrade() -> None:
    op.drop_column('org_unit', 'kind')
