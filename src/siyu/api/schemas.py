"""Request and response schemas, in families: XCreate, XUpdate, XOut, XPage."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from siyu.domain.access import Role
from siyu.domain.organisation import StaffStatus

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorBody(BaseModel):
    code: str = Field(description="Stable code of this error, e.g. `stage.in_use`; the console translates by it")
    kind: str = Field(description="Its family: invalid, not_found, conflict, permission_denied, unauthenticated, locked")
    message: str = Field(description="The error in English, with its values filled in")
    params: dict[str, str | int | float] = Field(description="The values quoted in the message, by name")
    field: str | None = Field(description="The request field at fault, when there is one")


class ProblemsErrorBody(ErrorBody):
    problems: list[ErrorBody] = Field(default_factory=list, description=(
        "A segment rule's every problem (code `segment.rule_problems`): one per group or condition at fault, each "
        "with its `field` path (`groups[0].conditions[1]`)"))


class ErrorOut(BaseModel):
    """Every refused request (a domain error) answers with this body."""

    error: ErrorBody


class ProblemsErrorOut(BaseModel):
    """A refused segment rule: the error, with every problem of the rule."""

    error: ProblemsErrorBody


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int


class RegionCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["华东"])


class RegionUpdate(RegionCreate):
    pass


class RegionOut(Out):
    id: int
    name: str
    created_at: datetime


class RegionPage(PageOut[RegionOut]):
    pass


class StoreCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["上海南京西路店"])
    code: str | None = Field(default=None, max_length=32, examples=["SH001"])
    region_id: int | None = None
    city: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=200)
    is_open: bool = True


class StoreUpdate(StoreCreate):
    pass


class StoreOut(Out):
    id: int
    name: str
    code: str | None
    region_id: int | None
    city: str | None
    address: str | None
    is_open: bool
    created_at: datetime


class StorePage(PageOut[StoreOut]):
    pass


class StaffCreate(BaseModel):
    wecom_userid: str = Field(min_length=1, max_length=64, examples=["zhangsan"])
    name: str = Field(min_length=1, max_length=64, examples=["张三"])
    mobile: str | None = Field(default=None, examples=["13800138000"])
    store_id: int | None = None
    role: Role = Role.GUIDE


class StaffUpdate(StaffCreate):
    pass


class StaffOut(Out):
    id: int
    wecom_userid: str
    name: str
    mobile: str | None
    store_id: int | None
    role: Role
    status: StaffStatus
    resigned_at: datetime | None
    created_at: datetime


class StaffPage(PageOut[StaffOut]):
    pass


class UserCreate(BaseModel):
    login: str = Field(min_length=3, max_length=120)
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: Role
    staff_id: int | None = None
    locale: str = "zh_CN"


class UserOut(Out):
    id: int
    login: str
    name: str
    role: Role
    staff_id: int | None
    locale: str
    is_active: bool
    created_at: datetime


class UserPage(PageOut[UserOut]):
    pass


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["mall-sync"])
    role: Role = Role.OPERATOR


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    secret: str = Field(description="Shown once; store it now. Siyu keeps only a hash.")


class TokenPage(PageOut[TokenOut]):
    pass


class MeOut(BaseModel):
    tenant_id: int
    role: Role
    name: str
    permissions: list[str]


P = TypeVar("P", bound=PageOut)  # type: ignore[type-arg]


def page_out(schema: type[P], page: object) -> P:
    """A domain Page -> its response schema."""
    return schema.model_validate(
        {
            "items": list(page.items),  # type: ignore[attr-defined]
            "total": page.total,  # type: ignore[attr-defined]
            "page": page.page,  # type: ignore[attr-defined]
            "page_size": page.page_size,  # type: ignore[attr-defined]
            "pages": page.pages,  # type: ignore[attr-defined]
        },
        from_attributes=True,
    )
