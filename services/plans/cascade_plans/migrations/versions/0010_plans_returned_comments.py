"""plans: the comments a plan was returned with and whether each is answered; the routing
policy's comment rule (from approval.policy_installed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 17:40:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Comments of returns before this release are not known here: the rule applies to the
    # returns that come after it.
    op.create_table(
        'returned_comment',
        sa.Column('comment_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('plan_version', sa.Integer(), nullable=False),
        sa.Column('task_code', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.PrimaryKeyConstraint('comment_id'),
    )
    op.create_index('ix_returned_comment_plan_id', 'returned_comment', ['plan_id'], unique=False)
    with op.batch_alter_table('revision_policy') as batch_op:
        batch_op.add_column(
            sa.Column(
                'resolve_returned_comments',
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('revision_policy') as batch_op:
        batch_op.drop_column('resolve_returned_comments')
    op.drop_index('ix_returned_comment_plan_id', table_name='returned_comment')
    op.drop_table('returned_comment')
