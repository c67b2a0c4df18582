"""results: partial indexes for the chaser's work lists (tasks not yet told overdue or escalated)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNTOLD = "overdue_notified_at IS NULL AND completed_on IS NULL"
UNESCALATED = "escalated_at IS NULL AND completed_on IS NULL"


def upgrade() -> None:
    op.create_index(
        'ix_tracked_task_overdue_untold', 'tracked_task', ['deadline', 'id'], unique=False,
        postgresql_where=sa.text(UNTOLD), sqlite_where=sa.text(UNTOLD),
    )
    op.create_index(
        'ix_tracked_task_escalation_untold', 'tracked_task', ['deadline', 'id'], unique=False,
        postgresql_where=sa.text(UNESCALATED), sqlite_where=sa.text(UNESCALATED),
    )


def downgrade() -> None:
    op.drop_index('ix_tracked_task_escalation_untold', table_name='tracked_task')
    op.drop_index('ix_tracked_task_overdue_untold', table_name='tracked_task')
