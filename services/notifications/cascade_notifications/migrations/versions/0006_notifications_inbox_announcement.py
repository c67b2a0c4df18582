"""notifications: announcements in the inbox as narrow rows (inbox_announcement)

An announcement reaches a whole city (1.66 million members): its copies leave the wide,
four-index ``notification`` table for ``inbox_announcement`` (recipient, announcement,
read_at), keyed by (recipient, announcement_id), its text kept once in ``announcement``.
The copies already fanned out move across; a downgrade writes them back as ``notification``
rows with the announcement's text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000

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
    op.create_table('inbox_announcement',
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('announcement_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('recipient', 'announcement_id')
    )
    op.execute(
        "INSERT INTO inbox_announcement (recipient, announcement_id, read_at)"
        " SELECT recipient, event_id, read_at FROM notification"
        " WHERE event_type = 'notification.announced' AND channel = 'inapp'"
    )
    op.execute("DELETE FROM notification WHERE event_type = 'notification.announced'")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    new_id = "gen_random_uuid()::text" if postgres else "lower(hex(randomblob(16)))"
    op.execute(
        "INSERT INTO notification (id, event_id, event_type, recipient, channel, kind, title,"
        " body, plan_id, critical, created_at, read_at)"
        f" SELECT {new_id}, a.id, 'notification.announced', i.recipient, 'inapp',"
        " 'notification.announced', a.title, a.body, NULL, false, a.created_at, i.read_at"
        " FROM inbox_announcement i JOIN announcement a ON a.id = i.announcement_id"
    )
    op.drop_table('inbox_announcement')
