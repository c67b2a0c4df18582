"""results: the directory's people by name (person_view, from directory.user_changed)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 18:05:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Filled as the directory announces each person (a new or changed user; saving a user again
    # through PUT /api/directory/users/{username} announces them anew); until then a report
    # names its people by their unit, as before.
    op.create_table(
        'person_view',
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('username'),
    )


def downgrade() -> None:
    op.drop_table('person_view')
