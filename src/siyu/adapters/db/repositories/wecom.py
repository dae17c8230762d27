from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import wecom_callbacks, wecom_settings, wecom_sign_in_states
from siyu.domain.paging import Page, PageRequest
from siyu.domain.wecom import CallbackReceipt, WeComSettings, hint

SECRET_COLUMNS = ("contact_secret", "callback_token", "encoding_aes_key", "app_secret")


def _settings(row: Any) -> WeComSettings:
    def shown(name: str) -> str | None:
        return hint("x" * 8 + getattr(row, f"{name}_tail")) if getattr(row, name) else None

    return WeComSettings(
        tenant_id=row.tenant_id, corp_id=row.corp_id, agent_id=row.agent_id, api_base_url=row.api_base_url,
        contact_secret_hint=shown("contact_secret"), callback_token_hint=shown("callback_token"),
        encoding_aes_key_hint=shown("encoding_aes_key"), callback_verified_at=row.callback_verified_at,
        updated_at=row.updated_at, updated_by=row.updated_by, app_secret_hint=shown("app_secret"),
    )


def _receipt(r: Any) -> CallbackReceipt:
    return CallbackReceipt(id=r.id, event=r.event, change_type=r.change_type, wecom_userid=r.wecom_userid,
                           external_userid=r.external_userid, chat_id=r.chat_id, occurred_at=r.occurred_at,
                           received_at=r.received_at, outcome=r.outcome, deliveries=r.deliveries, payload=dict(r.payload))


class WeComRepository:
    """Settings (one row per tenant) and the callback receipts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def settings(self, tenant_id: int) -> WeComSettings | None:
        row = self.session.execute(select(wecom_settings).where(wecom_settings.c.tenant_id == tenant_id)).one_or_none()
        return _settings(row) if row else None

    def sealed(self, tenant_id: int) -> dict[str, Any] | None:
        """The row with its sealed secrets, for the service to open. Never handed further."""
        row = self.session.execute(select(wecom_settings).where(wecom_settings.c.tenant_id == tenant_id)).one_or_none()
        return dict(row._mapping) if row else None

    def save_settings(self, tenant_id: int, values: dict[str, Any]) -> None:
        exists = self.session.execute(
            select(wecom_settings.c.tenant_id).where(wecom_settings.c.tenant_id == tenant_id)
        ).first()
        if exists:
            self.session.execute(update(wecom_settings).where(wecom_settings.c.tenant_id == tenant_id).values(**values))
        else:
            self.session.execute(insert(wecom_settings).values(tenant_id=tenant_id, **values))

    def mark_callback_verified(self, tenant_id: int, at: datetime) -> None:
        self.session.execute(update(wecom_settings).where(wecom_settings.c.tenant_id == tenant_id).values(callback_verified_at=at))

    # ---- sign-in states (OAuth) ----

    def use_sign_in_state(self, tenant_id: int, nonce: str, at: datetime) -> bool:
        """Mark a sign-in state used; True only the first time (``INSERT .. ON CONFLICT DO
        NOTHING`` on the primary key, so two callbacks racing with one state cannot both win)."""
        dialect = self.session.get_bind().dialect.name
        statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(wecom_sign_in_states).values(
            tenant_id=tenant_id, nonce=nonce, used_at=at)
        statement = statement.on_conflict_do_nothing(index_elements=["tenant_id", "nonce"]).returning(wecom_sign_in_states.c.nonce)
        return self.session.execute(statement).scalar_one_or_none() is not None

    def forget_sign_in_states(self, before: datetime) -> int:
        """Delete used states older than any state still inside its lifetime."""
        return self.session.execute(delete(wecom_sign_in_states).where(wecom_sign_in_states.c.used_at < before)).rowcount or 0

    # ---- callback receipts ----

    def record_delivery(self, tenant_id: int, *, event_key: str, received_at: datetime, **values: Any) -> bool:
        """Record the event unless its key is known; True for the first delivery only.

        ``INSERT .. ON CONFLICT DO NOTHING`` on the (tenant, key) unique index, so two
        deliveries racing in two transactions cannot both be first (PostgreSQL makes the
        second wait for the first to commit, then does nothing). A repeat counts a delivery.
        """
        row = {"tenant_id": tenant_id, "event_key": event_key, "received_at": received_at, "deliveries": 1, **values}
        dialect = self.session.get_bind().dialect.name
        statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(wecom_callbacks).values(**row)
        statement = statement.on_conflict_do_nothing(index_elements=["tenant_id", "event_key"]).returning(wecom_callbacks.c.id)
        if self.session.execute(statement).scalar_one_or_none() is not None:
            return True
        c = wecom_callbacks.c
        self.session.execute(
            update(wecom_callbacks).where(c.tenant_id == tenant_id, c.event_key == event_key).values(deliveries=c.deliveries + 1)
        )
        return False

    def latest_contact_event(self, tenant_id: int, wecom_userid: str, external_userid: str, *, change_types: list[str],
                             since: datetime, inclusive: bool, other_than: str) -> tuple[str, datetime, dict[str, Any]] | None:
        """The latest recorded contact event of these change types between the staff member and the
        customer that happened after ``since`` (at it too when ``inclusive``), other than the event
        ``other_than``: (change type, CreateTime, payload)."""
        c = wecom_callbacks.c
        later = c.occurred_at >= since if inclusive else c.occurred_at > since
        row = self.session.execute(
            select(c.change_type, c.occurred_at, c.payload)
            .where(c.tenant_id == tenant_id, c.external_userid == external_userid, c.wecom_userid == wecom_userid,
                   c.event == "change_external_contact", c.change_type.in_(change_types), later, c.event_key != other_than)
            .order_by(c.occurred_at.desc(), c.id.desc()).limit(1)).one_or_none()
        return (str(row.change_type), row.occurred_at, dict(row.payload)) if row else None

    def set_outcome(self, tenant_id: int, event_key: str, outcome: str) -> None:
        c = wecom_callbacks.c
        self.session.execute(
            update(wecom_callbacks).where(c.tenant_id == tenant_id, c.event_key == event_key).values(outcome=outcome[:200])
        )

    def receipts(self, tenant_id: int, request: PageRequest) -> Page[CallbackReceipt]:
        c = wecom_callbacks.c
        query = select(wecom_callbacks).where(c.tenant_id == tenant_id).order_by(c.received_at.desc(), c.id.desc())
        return fetch_page(self.session, query, request, _receipt)
