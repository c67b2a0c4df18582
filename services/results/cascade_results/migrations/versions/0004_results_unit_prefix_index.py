"""results: an index for subtrees (unit LIKE 'vn.hue.%') whatever the collation

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 04:45:00.000000

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        'ix_tracked_task_unit_prefix', 'tracked_task', ['unit'], unique=False,
        postgresql_ops={'unit': 'varchar_pattern_ops'},
    )


def downgrade() -> None:
    op.drop_index('ix_tracked_task_unit_prefix', table_name='tracked_task')
