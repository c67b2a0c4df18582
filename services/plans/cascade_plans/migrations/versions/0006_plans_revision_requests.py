"""plans: revision requests, when a parent plan's revision changes what a plan below concretizes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:20:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'revision_request',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('parent_plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('parent_version', sa.Integer(), nullable=False),
        sa.Column('from_version', sa.Integer(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=True),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('overdue_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('escalated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('closed_by_version', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('plan_id', 'parent_plan_id', 'parent_version'),
    )
    op.create_index('ix_revision_request_plan_id', 'revision_request', ['plan_id'], unique=False)
    op.create_index('ix_revision_request_status', 'revision_request', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_revision_request_status', table_name='revision_request')
    op.drop_index('ix_revision_request_plan_id', table_name='revision_request')
    op.drop_table('revision_request')
