"""notifications: when each read-model row last changed, so the latest event wins

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable: rows kept before this migration take the next event, whatever its time.
    op.add_column('delegation', sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('recipient', sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('unit_view', sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('unit_view', 'changed_at')
    op.drop_column('recipient', 'changed_at')
    op.drop_column('delegation', 'changed_at')
