"""Domain errors -> HTTP, in one place for the whole API."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from siyu.domain import errors

STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.TooLarge: 413,
    errors.InvalidInput: 422,
    errors.Conflict: 409,
    errors.AccountLocked: 423,
    errors.AuthenticationFailed: 401,
    errors.ChannelError: 502,
    errors.Unavailable: 503,
}


def status_for(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def render(exc: errors.DomainError) -> JSONResponse:
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    # The shape of siyu.api.schemas.ErrorOut: the stable code, its family, the English message and its values.
    body = {"error": _error_body(exc)}
    problems = getattr(exc, "problems", None)  # a segment rule's every problem (siyu.domain.segments.RuleProblems)
    if problems:
        body["error"]["problems"] = [_error_body(p) for p in problems]
    return JSONResponse(body, status_code=status, headers=headers)


def _error_body(exc: errors.DomainError) -> dict[str, object]:
    return {"code": exc.code, "kind": exc.kind, "message": exc.message, "params": exc.params, "field": exc.field}
