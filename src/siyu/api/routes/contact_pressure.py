"""Contact pressure: the tenant's rules and customers' opt-outs (do-not-disturb)."""

from __future__ import annotations

from fastapi import APIRouter

from siyu.api.contact_pressure_schemas import ContactRulesOut, ContactRulesUpdate, OptOutCreate, OptOutOut, OptOutPage
from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import page_out
from siyu.services import contact_pressure

router = APIRouter(prefix="/api/v1", tags=["contact pressure"])


@router.get("/contact-rules", response_model=ContactRulesOut)
def get_contact_rules(uow: Uow, actor: CurrentActor) -> ContactRulesOut:
    """Limits per customer across every send, quiet hours, and the WeCom cap (admins)."""
    return ContactRulesOut.of(contact_pressure.get_rules(uow, actor))


@router.put("/contact-rules", response_model=ContactRulesOut)
def update_contact_rules(body: ContactRulesUpdate, uow: Uow, actor: CurrentActor) -> ContactRulesOut:
    return ContactRulesOut.of(contact_pressure.update_rules(uow, actor, body.rules()))


@router.post("/customers/{customer_id}/opt-out", response_model=OptOutOut, status_code=201)
def opt_out(customer_id: int, body: OptOutCreate, uow: Uow, actor: CurrentActor) -> OptOutOut:
    """Do not disturb: no send reaches the customer until the opt-out is removed (409 if already set)."""
    return OptOutOut.model_validate(contact_pressure.opt_out(uow, actor, customer_id, source=body.source, note=body.note))


@router.delete("/customers/{customer_id}/opt-out", status_code=204)
def opt_in(customer_id: int, uow: Uow, actor: CurrentActor) -> None:
    contact_pressure.opt_in(uow, actor, customer_id)


@router.get("/opt-outs", response_model=OptOutPage)
def list_opt_outs(uow: Uow, actor: CurrentActor, paging: Paging) -> OptOutPage:
    """Opted-out customers in the caller's scope, the latest first."""
    return page_out(OptOutPage, contact_pressure.list_opt_outs(uow, actor, paging))
