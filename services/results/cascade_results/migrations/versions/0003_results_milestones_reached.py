"""results: milestones reached, per report line and per tracked task

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 04:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('report_task_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestones_reached', sa.JSON(), nullable=True))
    with op.batch_alter_table('tracked_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestones_reached', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tracked_task', schema=None) as batch_op:
        batch_op.drop_column('milestones_reached')
    with op.batch_alter_table('report_task_line', schema=None) as batch_op:
        batch_op.drop_column('milestones_reached')
