"""Errors raised by the domain and services; the API and console map each to one HTTP code.

Every error carries a stable ``code`` (``stage.in_use``), the English ``template`` of its
message with ``%(name)s`` placeholders, and the ``params`` that fill them::

    raise Conflict("stage.in_use", "%(count)s customers are in this stage; move them first", count=used)

``message`` is the English text with the values in (what the API, the CLI and logs show).
The console translates by code: the catalogs (``web/locale/*/messages.po``) hold one entry per
code (``msgctxt`` = the code, ``msgid`` = the template), in zh_CN and in en, and a test walks
every error raised in ``src/siyu`` to check both have it. ``kind`` is the family (one per
class), which decides the HTTP status. The older form ``InvalidInput("message")`` still works
(its code is the family, and the console shows the English); the catalog test lists such raises.
"""

from __future__ import annotations

Param = str | int | float


class DomainError(Exception):
    """Base class: something a person can read and act on."""

    kind = "error"

    def __init__(self, code: str, template: str | None = None, *, field: str | None = None, **params: Param) -> None:
        if template is None:  # the older form, a bare English message: its code is the family
            code, template = self.kind, code
        self.code = code
        self.template = template
        self.params = params
        self.field = field
        self.message = template % params if params else template
        super().__init__(self.message)


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists (another tenant)."""

    kind = "not_found"


class PermissionDenied(DomainError):
    """The actor is known but their role does not allow this action."""

    kind = "permission_denied"


class InvalidInput(DomainError):
    """Input that breaks a rule; ``field`` names the offending field when there is one."""

    kind = "invalid"


class TooLarge(InvalidInput):
    """Input over a size limit (an upload bigger than the largest file Siyu takes)."""


class Conflict(DomainError):
    """The change clashes with existing data (a duplicate name, a stale version)."""

    kind = "conflict"


class AuthenticationFailed(DomainError):
    """Wrong credentials, unknown, revoked or expired token or session."""

    kind = "unauthenticated"


class AccountLocked(AuthenticationFailed):
    """Too many failed sign-ins; the account is locked until ``until``."""

    kind = "locked"

    def __init__(self, code: str, template: str, *, until: object) -> None:
        super().__init__(code, template)
        self.until = until


class ChannelError(DomainError):
    """The messaging channel (WeCom) refused or failed a call; the message says what to fix.

    ``retryable`` is true when the same call may succeed later unchanged (busy, rate-limited,
    timed out); ``errcode`` is the channel's own code, when it gave one.
    """

    code = "channel_error"
    retryable = False
    errcode: int | None = None
