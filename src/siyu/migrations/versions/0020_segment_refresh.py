"""segments: the last materialisation into their smart tag

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

A segment kept as a smart tag records its last refresh (services/smart_tags): when, how many
members, how many customers were tagged and untagged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refreshed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('refreshed_members', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('refreshed_added', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('refreshed_removed', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.drop_column('refreshed_removed')
        batch_op.drop_column('refreshed_added')
        batch_op.drop_column('refreshed_members')
        batch_op.drop_column('refreshed_at')
