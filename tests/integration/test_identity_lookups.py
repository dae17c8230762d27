"""OneID's key lookup (``IdentityRepository.owners``) finds keys through the unique
(tenant, kind, value) key, never through the search box's pg_trgm index."""

from __future__ import annotations

from sqlalchemy import event, insert, text

from siyu.adapters.db.tables import customer_identities
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services.clock import utcnow
from tests import factories as f


def test_a_key_lookup_reads_the_unique_key_not_the_search_index(context):
    tenant, _ = f.tenant(context)
    now = utcnow()
    with context.uow() as uow:
        session = uow.session
        customer_id = uow.customers.add(tenant.id, now=now, name="顾客")
        session.execute(insert(customer_identities), [
            {"tenant_id": tenant.id, "customer_id": customer_id, "kind": "phone", "value": f"130{i:08d}", "source": "import", "created_at": now}
            for i in range(6000)])
        postgresql = session.get_bind().dialect.name == "postgresql"
        if postgresql:
            session.execute(text("ANALYZE customer_identities"))
        plans: list[str] = []
        connection = session.connection()

        def explain(conn, cursor, statement, parameters, context_, executemany):  # noqa: ANN001
            if postgresql and statement.startswith("SELECT customer_identities.value") and not plans:
                explained = conn.connection.cursor()
                explained.execute("EXPLAIN " + statement, parameters)
                plans.append("\n".join(row[0] for row in explained.fetchall()))

        event.listen(connection, "before_cursor_execute", explain)
        try:
            wanted = [IdentityKey(IdentityKind.PHONE, f"130{i:08d}") for i in range(0, 6000, 12)] + [IdentityKey(IdentityKind.PHONE, "13999999999")]
            found = uow.identities.owners(tenant.id, wanted)
        finally:
            event.remove(connection, "before_cursor_execute", explain)
        assert found == {key: customer_id for key in wanted[:-1]}
        if postgresql:
            assert plans and "ix_search_identities_value" not in plans[0], plans
            # and the search box, later in the same transaction, may use its index again
            assert session.execute(text("SHOW enable_bitmapscan")).scalar_one() == "on"
