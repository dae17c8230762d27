"""WeCom sign-in (OAuth) for guides: the self-built app's secret, and the states already used

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

``wecom_settings`` gains the app's Secret (sealed, with its last 4 characters), whose token
exchanges a sign-in code for the WeCom userid; ``wecom_sign_in_states`` keeps each sign-in
``state`` nonce once it is used, so a state is good once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wecom_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('app_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('app_secret_tail', sa.String(length=4), nullable=True))
    op.create_table(
        'wecom_sign_in_states',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_wecom_sign_in_states_tenant_id_tenants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tenant_id', 'nonce', name=op.f('pk_wecom_sign_in_states')),
    )
    op.create_index('ix_wecom_sign_in_states_used', 'wecom_sign_in_states', ['used_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wecom_sign_in_states_used', table_name='wecom_sign_in_states')
    op.drop_table('wecom_sign_in_states')
    with op.batch_alter_table('wecom_settings', schema=None) as batch_op:
        batch_op.drop_column('app_secret_tail')
        batch_op.drop_column('app_secret')
