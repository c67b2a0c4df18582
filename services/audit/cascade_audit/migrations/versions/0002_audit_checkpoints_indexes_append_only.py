"""audit: signed checkpoints, query indexes for ten million records, append-only records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
OLD_INDEXES = ['actor', 'event_type', 'occurred_at', 'org_unit', 'plan_id']
PROTECTED = ['audit_record', 'audit_checkpoint']

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit store is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    for name in OLD_INDEXES:
        op.drop_index(f'ix_audit_record_{name}', table_name='audit_record')
    op.create_index('ix_audit_record_plan_story', 'audit_record', ['plan_id', 'occurred_at', 'seq'])
    op.create_index('ix_audit_record_actor_time', 'audit_record', ['actor', 'occurred_at', 'seq'])
    op.create_index('ix_audit_record_type_time', 'audit_record', ['event_type', 'occurred_at', 'seq'])
    op.create_index(
        'ix_audit_record_unit_time', 'audit_record', ['org_unit', 'occurred_at', 'seq'],
        postgresql_ops={'org_unit': 'text_pattern_ops'},
    )
    op.create_index('ix_audit_record_time', 'audit_record', ['occurred_at', 'seq'])
    op.create_index('ix_audit_record_recorded_at', 'audit_record', ['recorded_at'])

    op.create_table(
        'audit_checkpoint',
        sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('checkpoint_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('first_seq', SEQ, nullable=False),
        sa.Column('last_seq', SEQ, nullable=False),
        sa.Column('record_count', sa.Integer(), nullable=False),
        sa.Column('merkle_root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('head_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('previous_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('sealed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('number'),
        sa.UniqueConstraint('checkpoint_id'),
        sa.UniqueConstraint('first_seq'),
        sa.UniqueConstraint('last_seq'),
    )
    op.create_table(
        'checkpoint_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('last_seq', SEQ, nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO checkpoint_head (id, number, last_seq, digest) VALUES (1, 0, 0, NULL)")
    # The chain head exists from the start, so the first appends of two replicas queue on its
    # row lock instead of racing to create it.
    op.execute(
        "INSERT INTO chain_head (id, seq, hash) SELECT 1, 0, '" + "0" * 64 + "' "
        "WHERE NOT EXISTS (SELECT 1 FROM chain_head)"
    )

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for table in PROTECTED:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
            )
    else:
        for table in PROTECTED:
            for action in ('UPDATE', 'DELETE'):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'audit store is append-only'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in PROTECTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
    else:
        for table in PROTECTED:
            for action in ('update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_table('checkpoint_head')
    op.drop_table('audit_checkpoint')
    for name in ['plan_story', 'actor_time', 'type_time', 'unit_time', 'time', 'recorded_at']:
        op.drop_index(f'ix_audit_record_{name}', table_name='audit_record')
    for name in OLD_INDEXES:
        op.create_index(f'ix_audit_record_{name}', 'audit_record', [name], unique=False)
