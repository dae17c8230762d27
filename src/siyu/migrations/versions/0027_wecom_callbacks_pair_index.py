"""wecom_callbacks: index on (tenant, external_userid, wecom_userid, occurred_at)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03

An add or deletion callback looks up the later contact events of the same customer and staff
member already received (services.wecom_events: events are applied in CreateTime order).
"""

from __future__ import annotations

from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wecom_callbacks', schema=None) as batch_op:
        batch_op.create_index('ix_wecom_callbacks_pair', ['tenant_id', 'external_userid', 'wecom_userid', 'occurred_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wecom_callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_wecom_callbacks_pair')
