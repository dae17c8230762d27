"""Possible duplicates (疑似重复客户): merge or dismiss pairs; the merge history and undo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.customers import MergeCandidate, choose_survivor
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.paging import Page, PageRequest
from siyu.services import actors, customers, merging
from siyu.services.customers import CustomerDetail
from siyu.web.console import get_console
from siyu.web.forms import Paging
from siyu.web.i18n import N_, Language
from siyu.web.lookups import all_stores
from siyu.web.render import flash, flash_error, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer, safe_next
from siyu.web.timeline import merge_reason

router = APIRouter()
PAIRS_PER_PAGE = 10
RECENT_MERGES = PageRequest(page=1, page_size=5)
SAME_NAME_SAME_STORE = N_("Same name, followed in the same store (%(store)s)")
SIMILAR_PHONE = N_("Phone numbers one digit apart")


@dataclass(frozen=True, slots=True)
class Side:
    detail: CustomerDetail
    stores: list[str]
    kept: bool  # the one a merge keeps (the customer known longest)


@dataclass(frozen=True, slots=True)
class PairView:
    first: Side
    second: Side
    reasons: list[str]


def _reason(language: Language, reason: str, store_names: dict[int, str]) -> str:
    kind, _, store = reason.partition(":")
    if kind == "same_name_same_store":
        name = store_names.get(int(store), f"#{store}") if store.isdigit() else store
        return language.gettext(SAME_NAME_SAME_STORE, store=name)
    if kind == "similar_phone":
        return language.gettext(SIMILAR_PHONE)
    return reason


def _side(detail: CustomerDetail, store_names: dict[int, str], kept_id: int) -> Side:
    stores = sorted({store_names[s.store_id] for s in detail.relations if s.store_id in store_names})
    return Side(detail=detail, stores=stores, kept=detail.customer.id == kept_id)


def _names(context: Context, actor: Actor, ids: set[int]) -> dict[int, str]:
    """Names of the live customers among ``ids``; a merged-away customer has none to show."""
    names = {}
    for customer_id in sorted(ids):
        try:
            names[customer_id] = customers.get_customer(context.uow(), actor, customer_id).customer.name
        except NotFound:
            continue
    return names


@router.get("/customers/duplicates")
def list_duplicates(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    context, actor, language = get_console(request).context, viewer.actor, language_for(request)
    found = merging.possible_duplicates(context.uow(), actor)
    start = (paging.page - 1) * PAIRS_PER_PAGE
    store_names = {store.id: store.name for store in all_stores(context, actor)}
    pairs = []
    for pair in found[start:start + PAIRS_PER_PAGE]:
        first = customers.get_customer(context.uow(), actor, pair.first_id)
        second = customers.get_customer(context.uow(), actor, pair.second_id)
        kept = choose_survivor([MergeCandidate(d.customer.id, d.customer.created_at) for d in (first, second)]).id
        pairs.append(PairView(_side(first, store_names, kept), _side(second, store_names, kept),
                              [_reason(language, reason, store_names) for reason in pair.reasons]))
    recent = merging.list_merges(context.uow(), actor, RECENT_MERGES)
    view = {
        "pairs": Page(pairs, total=len(found), page=paging.page, page_size=PAIRS_PER_PAGE),
        "recent": recent,
        "names": _names(context, actor, {m.survivor_id for m in recent.items} | {m.merged_id for m in recent.items}),
        "reasons": {m.id: merge_reason(language, m.reason) for m in recent.items},
        "query": "",
    }
    return page(request, "customers/duplicates.html", view)


def _pair_done(request: Request, message: str, kind: str = "success", **values: str) -> Response:
    response = redirect("/customers/duplicates")
    flash(request, response, message, kind=kind, **values)
    return response


@router.post("/customers/duplicates/{first_id:int}/{second_id:int}/merge")
def merge_pair(request: Request, viewer: CurrentViewer, first_id: int, second_id: int) -> Response:
    context = get_console(request).context
    try:
        record = merging.merge_customers(context.uow(), viewer.actor, first_id, second_id)
    except (InvalidInput, Conflict) as exc:
        return _pair_done(request, language_for(request).error(exc), kind="error")
    kept = customers.get_customer(context.uow(), viewer.actor, record.survivor_id).customer
    return _pair_done(request, N_("Customer #%(merged)s was merged into %(name)s (#%(kept)s). You can undo it below."),
                      merged=str(record.merged_id), name=kept.name, kept=str(kept.id))


@router.post("/customers/duplicates/{first_id:int}/{second_id:int}/dismiss")
def dismiss_pair(request: Request, viewer: CurrentViewer, first_id: int, second_id: int) -> Response:
    merging.dismiss_duplicate(get_console(request).context.uow(), viewer.actor, first_id, second_id)
    return _pair_done(request, N_("Marked as two different people; the pair is not suggested again."))


def _history(request: Request, viewer: Viewer, paging: PageRequest) -> Response:
    context = get_console(request).context
    found = merging.list_merges(context.uow(), viewer.actor, paging)
    ids = {m.survivor_id for m in found.items} | {m.merged_id for m in found.items}
    language = language_for(request)
    view = {"merges": found, "names": _names(context, viewer.actor, ids),
            "actors": actors.actor_names(context.uow(), viewer.actor, (m.actor for m in found.items)),
            "reasons": {m.id: merge_reason(language, m.reason) for m in found.items}, "query": ""}
    return page(request, "customers/merges.html", view)


@router.get("/customers/merges")
def list_merges(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _history(request, viewer, paging)


@router.post("/customers/merges/{merge_id:int}/undo")
def undo_merge(request: Request, viewer: CurrentViewer, merge_id: int, next: Annotated[str, Form()] = "") -> Response:
    target = safe_next(next) if next else "/customers/duplicates"
    response = redirect(target)
    try:
        restored = merging.undo_merge(get_console(request).context.uow(), viewer.actor, merge_id)
    except Conflict as exc:
        flash_error(request, response, exc)
        return response
    flash(request, response, N_("Merge undone: %(name)s (#%(id)s) is a separate customer again."),
          name=restored.name, id=str(restored.id))
    return response
