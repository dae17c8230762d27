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
