"""The composition root: the one place that turns Settings into concrete adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from huey import Huey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu.adapters.db.engine import make_engine
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.queue import make_huey
from siyu.config import Settings, get_settings
from siyu.services import passwords
from siyu.tasks import register_tasks


@dataclass
class Context:
    """Everything an entrypoint needs, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    huey: Huey
    tasks: dict[str, Callable[..., object]] = field(default_factory=dict)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.session_factory)

    def close(self) -> None:
        self.engine.dispose()


def build(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
    huey: Huey | None = None,
) -> Context:
    settings = settings or get_settings()
    passwords.configure(settings.password_hashing)
    engine = engine or make_engine(settings.resolved_database_url)
    session_factory = session_factory or sessionmaker(bind=engine, expire_on_commit=False)
    huey = huey or make_huey(settings.resolved_queue_url)
    context = Context(settings=settings, engine=engine, session_factory=session_factory, huey=huey)
    context.tasks = register_tasks(context)
    return context
