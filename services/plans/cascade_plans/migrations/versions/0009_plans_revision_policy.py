"""plans: the revision deadlines of the routing policy in force (from approval.policy_installed)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Empty until approvals installs its next policy version: plans' settings apply meanwhile.
    op.create_table(
        'revision_policy',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('remind_days_before', sa.Integer(), nullable=False),
        sa.Column('escalate_days_after', sa.Integer(), nullable=False),
        sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('revision_policy')
