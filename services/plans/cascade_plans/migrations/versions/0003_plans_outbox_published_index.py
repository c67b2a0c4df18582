"""plans: index the outbox by publication time, for the audit reconciliation's windows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:10:00.000000

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Inside the migration's transaction and its advisory lock: the outbox is small next to
    # the tables of plans and records, so a plain build blocks the relay for moments only.
    op.create_index('ix_outbox_published_at', 'outbox', ['published_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_published_at', table_name='outbox')
