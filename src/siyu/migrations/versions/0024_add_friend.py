"""add_friend: bulk add-friend batches and their numbers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03

services/add_friend: a batch of imported phones, each assigned to a staff member (with a guide
task) and tracked until its customer is added; unique per (tenant, batch, phone), so importing
a file twice adds nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('add_friend_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_add_friend_batches_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_add_friend_batches')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_add_friend_batches_tenant_id_id'))
    )
    op.create_table('add_friend_numbers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('added_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('added_at', UTCDateTime(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'batch_id'], ['add_friend_batches.tenant_id', 'add_friend_batches.id'], name=op.f('fk_add_friend_numbers_tenant_id_batch_id_add_friend_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_add_friend_numbers_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'staff_id'], ['staff.tenant_id', 'staff.id'], name=op.f('fk_add_friend_numbers_tenant_id_staff_id_staff')),
    sa.ForeignKeyConstraint(['tenant_id', 'task_id'], ['guide_tasks.tenant_id', 'guide_tasks.id'], name=op.f('fk_add_friend_numbers_tenant_id_task_id_guide_tasks')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_add_friend_numbers_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_add_friend_numbers')),
    sa.UniqueConstraint('tenant_id', 'batch_id', 'phone', name=op.f('uq_add_friend_numbers_tenant_id_batch_id_phone')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_add_friend_numbers_tenant_id_id'))
    )
    with op.batch_alter_table('add_friend_numbers', schema=None) as batch_op:
        batch_op.create_index('ix_add_friend_numbers_batch_state', ['tenant_id', 'batch_id', 'state', 'staff_id'], unique=False)
        batch_op.create_index('ix_add_friend_numbers_phone', ['tenant_id', 'phone', 'state'], unique=False)
        batch_op.create_index('ix_add_friend_numbers_state', ['state', 'tenant_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('add_friend_numbers', schema=None) as batch_op:
        batch_op.drop_index('ix_add_friend_numbers_state')
        batch_op.drop_index('ix_add_friend_numbers_phone')
        batch_op.drop_index('ix_add_friend_numbers_batch_state')

    op.drop_table('add_friend_numbers')
    op.drop_table('add_friend_batches')
