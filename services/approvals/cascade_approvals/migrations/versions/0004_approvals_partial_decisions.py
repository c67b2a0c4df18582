"""approvals: partial decisions (a case's task groups, steps that may decide in part)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 14:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Cases opened before know no task groups: they are decided as a whole.
    op.add_column(
        'approval_case',
        sa.Column('task_groups', sa.JSON(), nullable=False, server_default='[]'),
    )
    op.add_column(
        'approval_step',
        sa.Column('partial', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column('approval_step', 'partial')
    op.drop_column('approval_case', 'task_groups')
