"""Segments (人群): the list, the editor with its live count, and a segment's page (count,
last sync, members, export).

The editor is ``segments/form.html``: groups of conditions (``siyu.web.segment_editor`` reads
and writes them as form fields). Every change posts the form to ``/segments/editor`` (a kind,
op or button changes the groups: they come back re-rendered) or ``/segments/preview`` (the
count), debounced by htmx; the preview answers the count on the warehouse as of its last sync,
or each problem of the rule next to its condition (out-of-band swaps into ``err-gGcI``), in the
viewer's language. What a viewer sees follows their scope: a guide counts, lists and exports
the customers they follow, a store manager their store's (``siyu.analytics.segments``).
"""

from __future__ import annotations

import re
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import FormData

from siyu.analytics.segments import SegmentCountQuery, SegmentMembersQuery, all_members
from siyu.bootstrap import Context
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, DomainError, InvalidInput, NotFound, Unavailable
from siyu.domain.segments import RuleProblems, Segment
from siyu.services import customers, exports, segments, tags, warehouse_freshness
from siyu.services.clock import utcnow
from siyu.services.segments import Evaluable
from siyu.services.warehouse_freshness import SyncStatus
from siyu.web import segment_editor as ed
from siyu.web.console import get_console
from siyu.web.dashboards import SEGMENT_LABELS
from siyu.web.forms import FORM_WIDE, Paging, PostedForm
from siyu.web.i18n import N_, Language
from siyu.web.lookups import editor_choices
from siyu.web.render import flash, flash_error, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
_WHERE = re.compile(r"^groups\[(\d+)\](?:\.conditions\[(\d+)\])?$")
CHUNK = 64 * 1024


def _labels(language: Language) -> dict[str, Any]:
    """Translated labels for the editor's pickers."""
    tr = language.gettext
    return {
        "kinds": [(k.value, tr(label)) for k, label in ed.KIND_LABELS.items()],
        "op_label": lambda op: tr(ed.OP_LABELS[op]),
        "attribute_label": lambda kind, name, text: tr(text) if kind in ed.ATTRIBUTE_LABELS else (
            language.label("identity", name) if kind == "identity" else text),
        "option_label": lambda kind, value, text: (
            tr(SEGMENT_LABELS[value]) if kind == "rfm" and value in SEGMENT_LABELS else
            language.label("relation", value) if kind == "relation" else
            tr(text) if kind == "profile" else text),
    }


def _problems(language: Language, exc: DomainError) -> dict[str, str]:
    """Each problem's text by where it is: ``gGcI`` (a condition), ``gG`` (a group), else the form."""
    found = exc.problems if isinstance(exc, RuleProblems) else (exc,)
    shown: dict[str, str] = {}
    for problem in found:
        where = _WHERE.match(problem.field or "")
        if where and where.group(2) is not None:
            key = f"g{where.group(1)}c{where.group(2)}"
            label = language.gettext("Group %(group)s, condition %(number)s", group=int(where.group(1)) + 1,
                                     number=int(where.group(2)) + 1)
        elif where:
            key = f"g{where.group(1)}"
            label = language.gettext("Group %(group)s", group=int(where.group(1)) + 1)
        else:
            key, label = FORM_WIDE, ""
        params = {**problem.params, "where": label} if "where" in problem.params else problem.params
        shown.setdefault(key, language.coded(problem.code, params, problem.message))
    return shown


def _count(context: Context, actor: Actor, ready: Evaluable) -> tuple[int, SyncStatus]:
    query = SegmentCountQuery(tenant_id=actor.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved)
    with context.warehouse() as wh:
        status = warehouse_freshness.data_as_of(actor, wh)
        return query.answer(actor, wh, context.analytics_cache).result, status


# -- list -----------------------------------------------------------------------------------

@router.get("/segments")
def list_segments(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    found = segments.list_segments(get_console(request).context.uow(), viewer.actor, paging)
    return page(request, "segments/list.html", {"segments": found})


# -- the editor -----------------------------------------------------------------------------

def _posted(form: FormData) -> tuple[dict[str, str], list[list[ed.Row]]]:
    values = {"name": str(form.get("name") or ""), "description": str(form.get("description") or "")}
    grouped = ed.read_form({key: [str(v) for v in form.getlist(key)] for key in form})
    return values, grouped


def _editor(request: Request, viewer: Viewer, segment: Segment | None, values: dict[str, str], groups: list[list[ed.Row]],
            errors: dict[str, str] | None = None, *, status_code: int = 200, template: str = "segments/form.html",
            preview: dict[str, Any] | None = None, choices: ed.Choices | None = None) -> Response:
    context = get_console(request).context
    language = language_for(request)
    choices = choices or editor_choices(context, viewer.actor, except_segment=segment.id if segment else None)
    view = {"segment": segment, "values": values, "groups": ed.settled(groups, choices), "choices": choices,
            "errors": errors or {}, "ed": ed, "preview": preview, **_labels(language)}
    render = fragment if template != "segments/form.html" else page
    return render(request, template, view, status_code=status_code)


def _preview(request: Request, viewer: Viewer, raw: dict[str, Any], segment_id: int | None) -> dict[str, Any]:
    """The live count, or the rule's problems by where they are (``errors``)."""
    context = get_console(request).context
    language = language_for(request)
    try:
        ready = segments.preview_rule(context.uow(), viewer.actor, raw, segment_id=segment_id)
    except InvalidInput as exc:
        return {"errors": _problems(language, exc)}
    try:
        count, status = _count(context, viewer.actor, ready)
    except Unavailable:
        return {"busy": True, "errors": {}}
    return {"count": count, "status": status, "errors": {}, "scoped": not viewer.actor.scope.whole_tenant}


def _editing(request: Request, viewer: Viewer, form: FormData) -> int | None:
    raw = str(form.get("segment_id") or "")
    if not raw.isdigit():
        return None
    return segments.get_segment(get_console(request).context.uow(), viewer.actor, int(raw)).id


@router.get("/segments/new")
def new_segment(request: Request, viewer: CurrentViewer) -> Response:
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    return _editor(request, viewer, None, {"name": "", "description": ""}, [[ed.Row()]])


@router.post("/segments/editor")
def change_editor(request: Request, viewer: CurrentViewer, form: PostedForm) -> Response:
    """The groups after a change (a kind, attribute or op picked, a group or condition added or
    removed), with the count or problems of the rule they now make."""
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    values, groups = _posted(form)
    groups = ed.change(groups, str(form.get("action") or ""))
    segment_id = _editing(request, viewer, form)
    segment = segments.get_segment(get_console(request).context.uow(), viewer.actor, segment_id) if segment_id else None
    if not is_htmx(request):  # without JavaScript: the whole form again, changed
        return _editor(request, viewer, segment, values, groups)
    choices = editor_choices(get_console(request).context, viewer.actor, except_segment=segment_id)
    shown = ed.settled(groups, choices)
    preview = _preview(request, viewer, ed.raw_rule(shown, choices), segment_id) if shown else None
    return _editor(request, viewer, segment, values, groups, template="segments/_groups.html", preview=preview,
                   errors=(preview or {}).get("errors"), choices=choices)


@router.post("/segments/preview")
def preview_segment(request: Request, viewer: CurrentViewer, form: PostedForm) -> Response:
    """The live count of the rule the form holds, or its problems, condition by condition."""
    _, groups = _posted(form)
    segment_id = _editing(request, viewer, form)
    choices = editor_choices(get_console(request).context, viewer.actor, except_segment=segment_id)
    shown = ed.settled(groups, choices)
    preview = _preview(request, viewer, ed.raw_rule(shown, choices), segment_id)
    if form.get("first") and preview["errors"]:  # the editor just opened: a hint, not a page of red
        return fragment(request, "segments/_preview.html", {"preview": {"errors": {}, "untouched": True}})
    slots = [f"g{g}" for g in range(len(shown))] + [f"g{g}c{i}" for g, rows in enumerate(shown) for i in range(len(rows))]
    return fragment(request, "segments/_preview.html", {"preview": preview, "slots": slots, "oob": True})


def _save(request: Request, viewer: Viewer, form: FormData, segment: Segment | None) -> Response:
    context = get_console(request).context
    values, groups = _posted(form)
    choices = editor_choices(context, viewer.actor, except_segment=segment.id if segment else None)
    shown = ed.settled(groups, choices)
    raw = ed.raw_rule(shown, choices)
    language = language_for(request)
    try:
        segments.preview_rule(context.uow(), viewer.actor, raw, segment_id=segment.id if segment else None)
        if segment is None:
            saved = segments.create_segment(context.uow(), viewer.actor, name=values["name"], description=values["description"],
                                            rule=raw)
            message = N_("Segment “%(name)s” created.")
        else:
            saved = segments.update_segment(context.uow(), viewer.actor, segment.id, name=values["name"],
                                            description=values["description"], rule=raw)
            message = N_("Segment “%(name)s” saved.")
    except (InvalidInput, Conflict) as exc:
        errors = _problems(language, exc) if isinstance(exc, RuleProblems) or (exc.field or "").startswith("groups") \
            else {exc.field or FORM_WIDE: language.error(exc)}
        return _editor(request, viewer, segment, values, groups, errors, status_code=409 if isinstance(exc, Conflict) else 422,
                       choices=choices)
    response = redirect(f"/segments/{saved.id}")
    flash(request, response, message, name=saved.name)
    return response


@router.post("/segments/new")
def create_segment(request: Request, viewer: CurrentViewer, form: PostedForm) -> Response:
    return _save(request, viewer, form, None)


@router.get("/segments/{segment_id:int}/edit")
def edit_segment(request: Request, viewer: CurrentViewer, segment_id: int) -> Response:
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    segment = segments.get_segment(get_console(request).context.uow(), viewer.actor, segment_id)
    return _editor(request, viewer, segment, {"name": segment.name, "description": segment.description},
                   ed.rows_of(segment.rule.to_dict()))


@router.post("/segments/{segment_id:int}/edit")
def update_segment(request: Request, viewer: CurrentViewer, segment_id: int, form: PostedForm) -> Response:
    segment = segments.get_segment(get_console(request).context.uow(), viewer.actor, segment_id)
    return _save(request, viewer, form, segment)


@router.post("/segments/{segment_id:int}/delete")
def delete_segment(request: Request, viewer: CurrentViewer, segment_id: int) -> Response:
    uow = get_console(request).context.uow()
    segment = segments.get_segment(uow, viewer.actor, segment_id)
    try:
        segments.delete_segment(get_console(request).context.uow(), viewer.actor, segment_id)
    except (Conflict, NotFound) as exc:
        response = redirect(f"/segments/{segment_id}")
        flash_error(request, response, exc)
        return response
    response = redirect("/segments")
    flash(request, response, N_("Segment “%(name)s” deleted."), name=segment.name)
    return response


# -- a segment's page -----------------------------------------------------------------------

@router.get("/segments/{segment_id:int}")
def show_segment(request: Request, viewer: CurrentViewer, segment_id: int, paging: Paging) -> Response:
    context = get_console(request).context
    ready = segments.evaluable_segment(context.uow(), viewer.actor, segment_id)
    query = SegmentMembersQuery(tenant_id=viewer.actor.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved,
                                page=paging.page, page_size=paging.page_size)
    view: dict[str, Any] = {"segment": ready.segment, "scoped": not viewer.actor.scope.whole_tenant}
    try:
        with context.warehouse() as wh:
            status = warehouse_freshness.data_as_of(viewer.actor, wh)
            listed = query.answer(viewer.actor, wh, context.analytics_cache).result
    except Unavailable:
        return page(request, "segments/show.html", {**view, "busy": True}, status_code=503)
    rows = customers.rows_of(context.uow(), viewer.actor, listed.items)
    view |= {"status": status, "members": listed, "rows": rows,
             "tag_by_id": {t.id: t for t in tags.list_tags(context.uow(), viewer.actor)}}
    if is_htmx(request):
        return fragment(request, "segments/_members.html", view)
    return page(request, "segments/show.html", view)


@router.get("/segments/{segment_id:int}/export")
def export_segment(request: Request, viewer: CurrentViewer, segment_id: int,
                   fmt: Annotated[exports.SheetFormat, Query(alias="format")] = exports.SheetFormat.CSV) -> Response:
    """The members as CSV or XLSX: the customer export's columns and masking, cut to the viewer's scope."""
    context = get_console(request).context
    ready = segments.evaluable_segment(context.uow(), viewer.actor, segment_id)
    query = SegmentCountQuery(tenant_id=viewer.actor.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved)
    try:
        with context.warehouse() as wh:
            ids = all_members(wh, query.for_actor(viewer.actor))
    except Unavailable as exc:
        return Response(language_for(request).error(exc), status_code=503, media_type="text/plain; charset=utf-8")
    buffer = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115 (closed by _stream)
    try:
        exports.export_listed(context.uow(), viewer.actor, ids, buffer, fmt=fmt, title="segment")
    except BaseException:
        buffer.close()
        raise
    buffer.seek(0)

    def stream() -> Any:
        try:
            while chunk := buffer.read(CHUNK):
                yield chunk
        finally:
            buffer.close()

    filename = f"segment-{segment_id}-{utcnow().astimezone(exports.SHANGHAI):%Y%m%d-%H%M%S}.{fmt.value}"
    return StreamingResponse(stream(), media_type=fmt.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
