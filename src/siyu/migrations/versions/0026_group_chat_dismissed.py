"""wecom_group_chats.dismissed_at: when WeCom said the group was dismissed (change_external_chat dismiss)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03

Additive: NULL for every group known so far (live, as far as Siyu knows).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wecom_group_chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dismissed_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wecom_group_chats', schema=None) as batch_op:
        batch_op.drop_column('dismissed_at')
