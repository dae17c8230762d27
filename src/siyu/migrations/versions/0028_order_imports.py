"""order_imports: stored runs of order file imports, their bad rows, where each run got to

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03

Like the customer imports' ``imports`` / ``import_errors``: an uploaded order file is a run the
worker reads in batches; ``rows_done`` is the file row the last committed batch ended on, so a
run stopped half way resumes there without writing or counting anything twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

COUNTS = ("rows_total", "rows_good", "rows_bad", "rows_done", "orders_created", "orders_updated", "orders_unchanged",
          "orders_rejected", "orders_unmatched", "refunds_added")


def upgrade() -> None:
    op.create_table('order_imports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('rows_expected', sa.Integer(), nullable=True),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('message_code', sa.String(length=64), nullable=True),
    sa.Column('message_params', sa.JSON(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_imports_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_imports')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_order_imports_tenant_id_id'))
    )
    op.create_table('order_import_errors',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=64), nullable=True),
    sa.Column('value', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'import_id'], ['order_imports.tenant_id', 'order_imports.id'],
                            name=op.f('fk_order_import_errors_tenant_id_import_id_order_imports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_import_errors_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_import_errors')),
    )
    op.create_index('ix_order_import_errors_import', 'order_import_errors', ['tenant_id', 'import_id', 'row_number'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_order_import_errors_import', table_name='order_import_errors')
    op.drop_table('order_import_errors')
    op.drop_table('order_imports')
