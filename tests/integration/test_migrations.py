"""The schema the tests run on is the migrated one, and the models agree with it."""

from sqlalchemy import inspect

from siyu.adapters.db import migrate
from siyu.adapters.db.tables import metadata


def test_models_and_migrations_agree(backend, migrated_engines):
    with migrated_engines[backend].connect() as connection:
        migrate.check(connection=connection)  # raises if `alembic check` would find a difference


def test_every_tenant_owned_table_carries_tenant_id(backend, migrated_engines):
    inspector = inspect(migrated_engines[backend])
    tables = set(inspector.get_table_names())
    assert set(metadata.tables) <= tables
    for name in metadata.tables:
        if name in ("tenants",):
            continue
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert "tenant_id" in columns, name
