"""mass sends, their targets and their WeCom tasks

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

Mass sends (services/mass_sends, services/mass_send_worker): the send, one target row per
customer of its audience (through which staff member, or why excluded) and one task row per
staff member and chunk of at most 10,000 customers, with an idempotency key and its state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mass_sends',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('material_ids', sa.JSON(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('customer_ids', sa.JSON(), nullable=True),
    sa.Column('experiment_id', sa.Integer(), nullable=True),
    sa.Column('variant_texts', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('scheduled_at', UTCDateTime(), nullable=False),
    sa.Column('planned_at', UTCDateTime(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'experiment_id'], ['experiments.tenant_id', 'experiments.id'], name=op.f('fk_mass_sends_tenant_id_experiment_id_experiments')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mass_sends_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_sends')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_mass_sends_tenant_id_id'))
    )
    with op.batch_alter_table('mass_sends', schema=None) as batch_op:
        batch_op.create_index('ix_mass_sends_status', ['status', 'scheduled_at'], unique=False)

    op.create_table('mass_send_targets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('mass_send_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('arm', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('sent_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'mass_send_id'], ['mass_sends.tenant_id', 'mass_sends.id'], name=op.f('fk_mass_send_targets_tenant_id_mass_send_id_mass_sends')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mass_send_targets_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_send_targets')),
    sa.UniqueConstraint('tenant_id', 'mass_send_id', 'customer_id', name=op.f('uq_mass_send_targets_tenant_id_mass_send_id_customer_id'))
    )
    with op.batch_alter_table('mass_send_targets', schema=None) as batch_op:
        batch_op.create_index('ix_mass_send_targets_task', ['tenant_id', 'task_id', 'status'], unique=False)

    op.create_table('mass_send_tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('mass_send_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('arm', sa.String(length=32), nullable=False),
    sa.Column('chunk', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('submit_started_at', UTCDateTime(), nullable=True),
    sa.Column('msgid', sa.String(length=64), nullable=True),
    sa.Column('confirmed_at', UTCDateTime(), nullable=True),
    sa.Column('reminded', sa.JSON(), nullable=False),
    sa.Column('polled_at', UTCDateTime(), nullable=True),
    sa.Column('errcode', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'mass_send_id'], ['mass_sends.tenant_id', 'mass_sends.id'], name=op.f('fk_mass_send_tasks_tenant_id_mass_send_id_mass_sends')),
    sa.ForeignKeyConstraint(['tenant_id', 'staff_id'], ['staff.tenant_id', 'staff.id'], name=op.f('fk_mass_send_tasks_tenant_id_staff_id_staff')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mass_send_tasks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_send_tasks')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_mass_send_tasks_idempotency_key')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_mass_send_tasks_tenant_id_id'))
    )
    with op.batch_alter_table('mass_send_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_mass_send_tasks_send', ['tenant_id', 'mass_send_id', 'state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mass_send_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_mass_send_tasks_send')

    op.drop_table('mass_send_tasks')
    with op.batch_alter_table('mass_send_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_mass_send_targets_task')

    op.drop_table('mass_send_targets')
    with op.batch_alter_table('mass_sends', schema=None) as batch_op:
        batch_op.drop_index('ix_mass_sends_status')

    op.drop_table('mass_sends')
