"""contact pressure: rules, opt-outs and the customer message log

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

Contact pressure (services/contact_pressure): a tenant's rules (per-day/week/month limits, quiet
hours, WeCom's cap), customers' opt-outs, and one row per message delivered to a customer; and an
index of merged-away customers by the customer they were merged into (screening counts theirs too).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_merged_into', ['tenant_id', 'merged_into_id'], unique=False,
                              sqlite_where=sa.text('merged_into_id IS NOT NULL'), postgresql_where=sa.text('merged_into_id IS NOT NULL'))

    op.create_table('contact_rules',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('per_day', sa.Integer(), nullable=True),
    sa.Column('per_week', sa.Integer(), nullable=True),
    sa.Column('per_month', sa.Integer(), nullable=True),
    sa.Column('quiet_start', sa.Integer(), nullable=True),
    sa.Column('quiet_end', sa.Integer(), nullable=True),
    sa.Column('wecom_cap', sa.String(length=8), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_contact_rules_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_contact_rules'))
    )
    op.create_table('customer_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', UTCDateTime(), nullable=False),
    sa.Column('counts_toward_wecom_cap', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_customer_messages_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_customer_messages_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_messages')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_customer_messages_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'source_kind', 'source_id', 'customer_id', name=op.f('uq_customer_messages_tenant_id_source_kind_source_id_customer_id'))
    )
    with op.batch_alter_table('customer_messages', schema=None) as batch_op:
        batch_op.create_index('ix_customer_messages_tenant_customer_sent', ['tenant_id', 'customer_id', 'sent_at'], unique=False)

    op.create_table('customer_opt_outs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_customer_opt_outs_tenant_id_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_customer_opt_outs_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_opt_outs')),
    sa.UniqueConstraint('tenant_id', 'customer_id', name=op.f('uq_customer_opt_outs_tenant_id_customer_id')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_customer_opt_outs_tenant_id_id'))
    )
    with op.batch_alter_table('customer_opt_outs', schema=None) as batch_op:
        batch_op.create_index('ix_customer_opt_outs_tenant_created', ['tenant_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer_opt_outs', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_opt_outs_tenant_created')

    op.drop_table('customer_opt_outs')
    with op.batch_alter_table('customer_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_messages_tenant_customer_sent')

    op.drop_table('customer_messages')
    op.drop_table('contact_rules')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_merged_into', sqlite_where=sa.text('merged_into_id IS NOT NULL'),
                            postgresql_where=sa.text('merged_into_id IS NOT NULL'))
