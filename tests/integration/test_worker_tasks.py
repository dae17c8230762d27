from datetime import timedelta

from siyu.domain.access import Role
from siyu.services import auth, users
from siyu.services.clock import utcnow
from siyu.services.credentials import token_hash
from siyu.tasks import last_heartbeat
from tests import factories as f


def test_the_purge_task_removes_only_expired_sessions(context):
    _, admin = f.tenant(context)
    users.create_user(context.uow(), admin, login="p@x.cn", name="p", password=f.PASSWORD, role=Role.OPERATOR)
    old = auth.sign_in(context.uow(), context.settings, "p@x.cn", f.PASSWORD, now=utcnow() - timedelta(days=2))
    fresh = auth.sign_in(context.uow(), context.settings, "p@x.cn", f.PASSWORD)
    assert context.tasks["purge_expired_sessions"].call_local() == 1
    assert context.tasks["purge_expired_sessions"].call_local() == 0
    auth.actor_for_session(context.uow(), fresh.session_token)  # the live one survives
    with context.uow() as uow:
        assert uow.sessions.find(token_hash(old.session_token), utcnow() - timedelta(days=2)) is None


def test_the_heartbeat_task_records_when_the_worker_last_ran(context):
    assert last_heartbeat(context) is None
    context.tasks["heartbeat"]()  # enqueued; the in-memory queue runs it at once
    beat = last_heartbeat(context)
    assert beat is not None and utcnow() - beat < timedelta(seconds=5)


def test_a_customer_import_run_by_the_worker_matches_the_orders_waiting_for_it(context, tmp_path):
    from siyu.services import imports, orders
    from siyu.task_queueing import actor_fields

    _, admin = f.tenant(context)
    [pending] = orders.record_orders(context.uow(), admin, [
        {"source": "mall", "order_id": "W-1", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "10",
         "identities": {"member_no": "VIP-9"}},
    ])
    assert pending.customer_id is None
    upload = tmp_path / "members.csv"
    upload.write_text("姓名,会员号\n王芳,vip-9\n", encoding="utf-8")
    import_id = imports.start_import(context.uow(), admin, filename="members.csv", dry_run=False)
    assert context.tasks["run_customer_import"].call_local(actor_fields(admin), import_id, str(upload), None) == "done"
    matched = orders.get_order(context.uow(), admin, pending.order_id)
    assert matched.customer_id is not None
    assert orders.list_unmatched_orders(context.uow(), admin).total == 0


def test_the_periodic_sweep_matches_orders_and_events_of_every_tenant(context):
    from siyu.domain.customers import CustomerRecord, Profile
    from siyu.domain.identities import IdentityKey
    from siyu.services import customers, events, orders

    found = []
    for phone in ("13800000011", "13800000012"):
        _, admin = f.tenant(context)
        [placed] = orders.record_orders(context.uow(), admin, [
            {"source": "mall", "order_id": "S-1", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "10", "identities": {"phone": phone}},
        ])
        events.track_events(context.uow(), admin, [{"event_id": "s-1", "name": "visit", "occurred_at": "2026-11-01T10:00:00Z",
                                                     "identity": {"kind": "phone", "value": phone}}])
        record = CustomerRecord(keys=(IdentityKey.parse("phone", phone),), profile=Profile(name="后来的人"))
        customer_id = customers.create_customer(context.uow(), admin, record).customer_id  # through the API, not an import
        found.append((admin, placed.order_id, customer_id))
    assert context.tasks["match_orders_everywhere"].call_local() >= 4
    for admin, order_id, customer_id in found:
        assert orders.get_order(context.uow(), admin, order_id).customer_id == customer_id
        assert events.customer_events(context.uow(), admin, customer_id).total == 1
