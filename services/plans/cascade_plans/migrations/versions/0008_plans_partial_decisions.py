"""plans: partial decisions, a task group approved (and frozen) while others were returned

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 14:10:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('task_group', sa.Column('approved_in_version', sa.Integer(), nullable=True))
    op.add_column(
        'task_group',
        sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    )


def downgrade() -> None:
    op.drop_column('task_group', 'approved_by')
    op.drop_column('task_group', 'approved_in_version')
