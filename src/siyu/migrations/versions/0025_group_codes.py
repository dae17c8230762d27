"""group_codes: group live codes (群活码) with their pool of customer groups, and their joins

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03

A group code is one QR code (a WeCom join way) that lists at most 5 of its pool's customer
groups; services/group_codes re-lists them as groups reach the code's fill threshold. Joins by
QR scan into a listed group are recorded per code, since WeCom's group callback carries no state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0025'
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('group_codes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('chat_ids', sa.JSON(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('auto_create_room', sa.Boolean(), nullable=False),
    sa.Column('room_base_name', sa.String(length=40), nullable=False),
    sa.Column('room_base_id', sa.Integer(), nullable=True),
    sa.Column('config_id', sa.String(length=64), nullable=True),
    sa.Column('qr_code', sa.String(length=500), nullable=True),
    sa.Column('live_chat_ids', sa.JSON(), nullable=False),
    sa.Column('rotated_at', UTCDateTime(), nullable=True),
    sa.Column('exhausted_at', UTCDateTime(), nullable=True),
    sa.Column('archived_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'channel_id'], ['channels.tenant_id', 'channels.id'], name=op.f('fk_group_codes_tenant_id_channel_id_channels')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_group_codes_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_codes')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_group_codes_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'state', name=op.f('uq_group_codes_tenant_id_state'))
    )
    op.create_index('ix_group_codes_tenant_channel', 'group_codes', ['tenant_id', 'channel_id'], unique=False)
    op.create_table('group_code_joins',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('group_code_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'group_code_id'], ['group_codes.tenant_id', 'group_codes.id'], name=op.f('fk_group_code_joins_tenant_id_group_code_id_group_codes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_group_code_joins_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_code_joins')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_group_code_joins_tenant_id_id'))
    )
    op.create_index('ix_group_code_joins_code_time', 'group_code_joins', ['tenant_id', 'group_code_id', 'occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_group_code_joins_code_time', table_name='group_code_joins')
    op.drop_table('group_code_joins')
    op.drop_index('ix_group_codes_tenant_channel', table_name='group_codes')
    op.drop_table('group_codes')
