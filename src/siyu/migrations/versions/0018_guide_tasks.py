"""guide tasks and lifecycle rules

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

Guide tasks (services/guide_tasks): one task for one staff member, unique per
(tenant, source kind, source key) for the generators; the tenant's lifecycle rules; an index
on stage_changes by stage and time for the rules' query.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('guide_task_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('script', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'stage_id'], ['stages.tenant_id', 'stages.id'], name=op.f('fk_guide_task_rules_tenant_id_stage_id_stages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_guide_task_rules_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_task_rules')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_guide_task_rules_tenant_id_id'))
    )
    op.create_table('guide_tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('script', sa.Text(), nullable=False),
    sa.Column('due_at', UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=80), nullable=True),
    sa.Column('outcome_until', UTCDateTime(), nullable=True),
    sa.Column('reminded_at', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_guide_tasks_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'staff_id'], ['staff.tenant_id', 'staff.id'], name=op.f('fk_guide_tasks_tenant_id_staff_id_staff')),
    sa.ForeignKeyConstraint(['tenant_id', 'store_id'], ['stores.tenant_id', 'stores.id'], name=op.f('fk_guide_tasks_tenant_id_store_id_stores')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_guide_tasks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_tasks')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_guide_tasks_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'source_kind', 'source_key', name=op.f('uq_guide_tasks_tenant_id_source_kind_source_key'))
    )
    with op.batch_alter_table('guide_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_guide_tasks_customer', ['tenant_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_guide_tasks_staff_state_due', ['tenant_id', 'staff_id', 'state', 'due_at'], unique=False)
        batch_op.create_index('ix_guide_tasks_store_due', ['tenant_id', 'store_id', 'due_at'], unique=False)
        batch_op.create_index('ix_guide_tasks_tenant_due', ['tenant_id', 'due_at', 'state', 'staff_id', 'store_id', 'customer_id',
                                                            'closed_at', 'outcome_until'], unique=False)
        batch_op.create_index('ix_guide_tasks_unreminded', ['due_at'], unique=False, sqlite_where=sa.text("state = 'open' AND reminded_at IS NULL"), postgresql_where=sa.text("state = 'open' AND reminded_at IS NULL"))

    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_stage_time', ['tenant_id', 'to_stage_id', 'changed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_changes_stage_time')

    with op.batch_alter_table('guide_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_guide_tasks_unreminded', sqlite_where=sa.text("state = 'open' AND reminded_at IS NULL"), postgresql_where=sa.text("state = 'open' AND reminded_at IS NULL"))
        batch_op.drop_index('ix_guide_tasks_tenant_due')
        batch_op.drop_index('ix_guide_tasks_store_due')
        batch_op.drop_index('ix_guide_tasks_staff_state_due')
        batch_op.drop_index('ix_guide_tasks_customer')

    op.drop_table('guide_tasks')
    op.drop_table('guide_task_rules')
