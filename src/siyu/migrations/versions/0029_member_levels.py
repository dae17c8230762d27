"""member_levels: the mall's member levels per tenant, and each customer's level

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03

customers.member_level holds the level the mall gives (API, imports) by name; member_levels is
the tenant's ordered list with the levels that count as loyal (the funnel's L stage).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_levels',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('loyal', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_member_levels_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_levels')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_member_levels_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_member_levels_tenant_id_name'))
    )
    op.add_column('customers', sa.Column('member_level', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('member_level')
    op.drop_table('member_levels')
