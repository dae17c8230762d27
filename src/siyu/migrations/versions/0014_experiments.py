"""experiments and their assignments

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02

Experiments (services/experiments): a holdout or variant split of an audience, and one row per
customer per experiment with the first arm the customer was assigned.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('experiments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('arms', sa.JSON(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_experiments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiments')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_experiments_tenant_id_id'))
    )
    op.create_table('experiment_assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('arm', sa.String(length=32), nullable=False),
    sa.Column('assigned_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'],
                            name=op.f('fk_experiment_assignments_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id', 'experiment_id'], ['experiments.tenant_id', 'experiments.id'],
                            name=op.f('fk_experiment_assignments_tenant_id_experiment_id_experiments')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_experiment_assignments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_assignments')),
    sa.UniqueConstraint('tenant_id', 'experiment_id', 'customer_id', name=op.f('uq_experiment_assignments_tenant_id_experiment_id_customer_id')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_experiment_assignments_tenant_id_id'))
    )
    with op.batch_alter_table('experiment_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_experiment_assignments_tenant_customer', ['tenant_id', 'customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('experiment_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_experiment_assignments_tenant_customer')

    op.drop_table('experiment_assignments')
    op.drop_table('experiments')
