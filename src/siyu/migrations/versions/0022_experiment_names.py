"""experiments: names unique per brand

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03

Experiments are now made by people (the API and the console), who find a report by its name,
so a brand's experiment names are unique. An older duplicate keeps its name with " #<id>"
after it (the first of each name keeps it unchanged).
"""

from __future__ import annotations

from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE experiments SET name = substr(name, 1, 52) || ' #' || CAST(id AS VARCHAR(12)) "
        "WHERE id NOT IN (SELECT min(id) FROM experiments GROUP BY tenant_id, name)"
    )
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_experiments_tenant_id_name'), ['tenant_id', 'name'])


def downgrade() -> None:
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_experiments_tenant_id_name'), type_='unique')
