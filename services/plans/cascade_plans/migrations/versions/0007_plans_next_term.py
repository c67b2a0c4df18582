"""plans: the next term (kế thừa), a plan's link to the plan of the term before and a task's to
the unfinished task it continues

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 11:30:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column(
        'plan',
        sa.Column(
            'previous_plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True
        ),
    )
    op.create_index('ix_plan_previous_plan_id', 'plan', ['previous_plan_id'], unique=False)
    op.add_column(
        'task',
        sa.Column(
            'carried_from_task_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column('task', 'carried_from_task_id')
    op.drop_index('ix_plan_previous_plan_id', table_name='plan')
    op.drop_column('plan', 'previous_plan_id')
