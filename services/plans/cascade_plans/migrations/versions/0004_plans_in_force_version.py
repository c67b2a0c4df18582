"""plans: the version in force beside a revision; plans that break "one in force" are reported

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:10:00.000000

"""
import logging
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.add_column('plan', sa.Column('in_force_version', sa.Integer(), nullable=True))
    # An approved plan's version in force is its newest approved version.
    op.execute(
        "UPDATE plan SET in_force_version = ("
        " SELECT max(v.version) FROM plan_version v"
        " WHERE v.plan_id = plan.id AND v.outcome = 'approved')"
        " WHERE status = 'approved'"
    )
    op.execute(
        "UPDATE plan SET in_force_version = version"
        " WHERE status = 'approved' AND in_force_version IS NULL"
    )
    # One plan per unit and parent program: data written before the rule is reported, not
    # merged; the officials decide which plan stays.
    rows = op.get_bind().execute(
        sa.text(
            "SELECT unit, parent_plan_id, count(*) FROM plan"
            " WHERE parent_plan_id IS NOT NULL AND status <> 'rejected'"
            " GROUP BY unit, parent_plan_id HAVING count(*) > 1"
        )
    )
    for unit, parent, n in rows:
        log.warning(
            "unit %s has %d live plans under parent plan %s; only one may be in force: "
            "reject or withdraw the others",
            unit,
            n,
            parent,
        )


def downgrade() -> None:
    op.drop_column('plan', 'in_force_version')
