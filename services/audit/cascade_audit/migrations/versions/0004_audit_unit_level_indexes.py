"""audit: index records by their city's and their ward's part of the unit, with the time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 23:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The same expressions as cascade_audit.models.UNIT_LEVELS (a migration keeps its own copy).
LEVELS = {
    'ix_audit_record_city_time': "((split_part(org_unit::text, '.'::text, 1) || '.'::text) || split_part(org_unit::text, '.'::text, 2))",
    'ix_audit_record_ward_time': (
        "((((split_part(org_unit::text, '.'::text, 1) || '.'::text) || split_"
        "part(org_unit::text, '.'::text, 2)) || '.'::text) || split_part(org_unit::text, '.'::text, 3))"
    ),
}


def upgrade() -> None:
    # PostgreSQL only: SQLite (embedded mode, one city's records) keeps its two-branch subtree
    # query. Built inside the migration's transaction: appends wait while it builds (about a
    # minute per index at ten million records).
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, expression in LEVELS.items():
        op.create_index(name, 'audit_record', [sa.text(expression), 'occurred_at', 'seq'])


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in LEVELS:
        op.drop_index(name, table_name='audit_record')
