"""results: the kind of each directory entry (unit_view.kind: unit or body)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 13:05:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Rows kept so far are units: events before bodies existed carried none. A body announced
    # to this service before it was upgraded is kept as a unit until its next change (saving
    # the body in the directory again announces it anew).
    with op.batch_alter_table('unit_view', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'kind',
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default='unit',
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('unit_view', schema=None) as batch_op:
        batch_op.drop_column('kind')
