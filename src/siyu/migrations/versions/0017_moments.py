"""moments tasks and their senders

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

Moments tasks (services/moments): a moment the brand asks its staff to post, visible by tag,
and one row per sender with their publish status as WeCom reports it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('moments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('material_ids', sa.JSON(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('staff_ids', sa.JSON(), nullable=False),
    sa.Column('store_ids', sa.JSON(), nullable=False),
    sa.Column('tag_ids', sa.JSON(), nullable=False),
    sa.Column('wecom_tag_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('jobid', sa.String(length=128), nullable=True),
    sa.Column('wecom_moment_id', sa.String(length=128), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('submitted_at', UTCDateTime(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_moments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moments')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_moments_tenant_id_id'))
    )
    with op.batch_alter_table('moments', schema=None) as batch_op:
        batch_op.create_index('ix_moments_status', ['status', 'tenant_id'], unique=False)
        batch_op.create_index('ix_moments_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('moment_senders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('moment_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('userid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('published_at', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'moment_id'], ['moments.tenant_id', 'moments.id'], name=op.f('fk_moment_senders_tenant_id_moment_id_moments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'staff_id'], ['staff.tenant_id', 'staff.id'], name=op.f('fk_moment_senders_tenant_id_staff_id_staff')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_moment_senders_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moment_senders')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_moment_senders_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'moment_id', 'staff_id', name=op.f('uq_moment_senders_tenant_id_moment_id_staff_id'))
    )


def downgrade() -> None:
    op.drop_table('moment_senders')
    with op.batch_alter_table('moments', schema=None) as batch_op:
        batch_op.drop_index('ix_moments_tenant_created')
        batch_op.drop_index('ix_moments_status')

    op.drop_table('moments')
