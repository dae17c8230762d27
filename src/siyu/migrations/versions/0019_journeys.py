"""journeys, their enrollments, step runs and message outbox

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

Journeys (services/journeys): definitions, one row per customer per entry with the current step,
the steps passed (counts and idempotency keys) and the message steps' outbox.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('journey_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('msgid', sa.String(length=64), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_journey_messages_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_messages')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_journey_messages_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_journey_messages_tenant_id_idempotency_key'))
    )
    op.create_table('journeys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('trigger_kind', sa.String(length=20), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_journeys_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeys')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_journeys_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_journeys_tenant_id_name'))
    )
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.create_index('ix_journeys_status_trigger', ['status', 'trigger_kind'], unique=False)

    op.create_table('journey_enrollments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('entry_key', sa.String(length=40), nullable=False),
    sa.Column('step_id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('next_run_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('claimed_at', UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('entered_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_journey_enrollments_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'journey_id'], ['journeys.tenant_id', 'journeys.id'], name=op.f('fk_journey_enrollments_tenant_id_journey_id_journeys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_journey_enrollments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_enrollments')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_journey_enrollments_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'journey_id', 'customer_id', 'entry_key', name=op.f('uq_journey_enrollments_tenant_id_journey_id_customer_id_entry_key'))
    )
    with op.batch_alter_table('journey_enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_journey_enrollments_due', ['state', 'next_run_at'], unique=False)
        batch_op.create_index('ix_journey_enrollments_journey_step', ['tenant_id', 'journey_id', 'state', 'step_id'], unique=False)

    op.create_table('journey_step_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('ran_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'enrollment_id'], ['journey_enrollments.tenant_id', 'journey_enrollments.id'], name=op.f('fk_journey_step_runs_tenant_id_enrollment_id_journey_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_journey_step_runs_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_step_runs')),
    sa.UniqueConstraint('tenant_id', 'enrollment_id', 'step_id', name=op.f('uq_journey_step_runs_tenant_id_enrollment_id_step_id')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_journey_step_runs_tenant_id_id'))
    )
    with op.batch_alter_table('journey_step_runs', schema=None) as batch_op:
        batch_op.create_index('ix_journey_step_runs_journey', ['tenant_id', 'journey_id', 'step_id', 'outcome'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('journey_step_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_step_runs_journey')

    op.drop_table('journey_step_runs')
    with op.batch_alter_table('journey_enrollments', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_enrollments_journey_step')
        batch_op.drop_index('ix_journey_enrollments_due')

    op.drop_table('journey_enrollments')
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.drop_index('ix_journeys_status_trigger')

    op.drop_table('journeys')
    op.drop_table('journey_messages')
