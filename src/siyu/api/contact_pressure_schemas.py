"""Contact-pressure schemas: the tenant's rules and customers' opt-outs (do-not-disturb)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut
from siyu.domain.contact_pressure import ContactRules


class ContactRulesOut(BaseModel):
    per_day: int | None = Field(description="At most this many messages per customer per Shanghai day, across every send; null: no limit")
    per_week: int | None = Field(description="Per Monday-to-Sunday Shanghai week; null: no limit")
    per_month: int | None = Field(description="Per Shanghai calendar month; null: no limit")
    quiet_start: str | None = Field(description="Quiet hours start, Shanghai time HH:MM (null: no quiet hours)", examples=["21:30"])
    quiet_end: str | None = Field(description="Quiet hours end (not quiet itself); before the start: they wrap midnight", examples=["08:00"])
    wecom_cap: str = Field(description="WeCom's per-customer mass-send cap the admin chose: month (as many as the month has days), "
                                       "week (7) or day (1)")

    @classmethod
    def of(cls, rules: ContactRules) -> ContactRulesOut:
        hours = rules.quiet_hours
        return cls(per_day=rules.per_day, per_week=rules.per_week, per_month=rules.per_month,
                   quiet_start=hours[0].strftime("%H:%M") if hours else None, quiet_end=hours[1].strftime("%H:%M") if hours else None,
                   wecom_cap=rules.wecom_cap.value)


class ContactRulesUpdate(BaseModel):
    """The whole rule set (a limit left out or null is no limit)."""

    per_day: int | None = None
    per_week: int | None = None
    per_month: int | None = None
    quiet_start: str | None = Field(default=None, max_length=5, examples=["21:30"])
    quiet_end: str | None = Field(default=None, max_length=5, examples=["08:00"])
    wecom_cap: str = Field(default="month", max_length=8)

    def rules(self) -> ContactRules:
        return ContactRules.parse(per_day=self.per_day, per_week=self.per_week, per_month=self.per_month,
                                  quiet_start=self.quiet_start, quiet_end=self.quiet_end, wecom_cap=self.wecom_cap)


class OptOutCreate(BaseModel):
    source: str = Field(default="api", description="manual, import, customer_request or api")
    note: str | None = Field(default=None, max_length=200)


class OptOutOut(Out):
    customer_id: int
    customer_name: str
    source: str
    note: str | None
    actor: str = Field(description="Who set it: user:ID, token:ID or system")
    created_at: datetime


class OptOutPage(PageOut[OptOutOut]):
    pass
