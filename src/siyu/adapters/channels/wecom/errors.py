"""WeCom's errcodes as typed exceptions, each with a message an admin can act on.

Branch on the class (or ``errcode``), never on WeCom's ``errmsg``. Every code listed in
shared/reference/wecom.md has a class here; :func:`error_for` turns a response into the
right one, and an unknown code still becomes a :class:`WeComError` carrying the code.

Each class is a domain error like any other: its ``code`` (``wecom.ip_not_trusted``) and
English ``template`` are class attributes, and the catalogs (``web/locale/*/messages.po``) hold
its text in zh_CN and en by code, so the console and the setup check show it in the admin's
language. ``message`` adds WeCom's errcode and the API path to the English text (for the API
and the logs); both are kept as attributes and in ``params`` too.
"""

from __future__ import annotations

from siyu.domain.errors import ChannelError


class WeComError(ChannelError):
    """A WeCom call failed. ``errcode`` is WeCom's code, ``api`` the path that was called."""

    errcode: int | None = None
    code = "wecom.refused"
    template = "WeCom refused the call"

    def __init__(self, code: str | None = None, template: str | None = None, *, errcode: int | None = None, api: str = "",
                 errmsg: str = "", field: str | None = None, **params: str | int | float) -> None:
        number = errcode if errcode is not None else type(self).errcode
        if number is not None:
            params["errcode"] = number
        super().__init__(code or self.code, template or self.template, field=field, api=api, **params)
        where = f" on {api}" if api else ""
        tail = f" (WeCom errcode {number}{where})" if number is not None else (f" ({api})" if api else "")
        self.message += tail
        self.args = (self.message,)
        self.errcode = number
        self.api = api
        self.errmsg = errmsg  # kept for the logs; never branched on


# ---- transport and retry --------------------------------------------------------------


class WeComRetryable(WeComError):
    """The same call may succeed later unchanged; the client retries these with backoff."""

    retryable = True


class WeComBusy(WeComRetryable):
    errcode = -1
    code = "wecom.busy"
    template = "WeCom is busy; the call was retried and still failed — try again in a minute"


class WeComFrequencyLimited(WeComRetryable):
    errcode = 45009
    code = "wecom.frequency_limited"
    template = "WeCom's call-frequency limit was hit (10,000/min, 150,000/hour per API); calls resume when the window passes"


class WeComConcurrencyLimited(WeComRetryable):
    errcode = 45033
    code = "wecom.concurrency_limited"
    template = "too many concurrent calls to this WeCom API; lower the sync concurrency"


class WeComTimeout(WeComRetryable):
    code = "wecom.timeout"
    template = "WeCom did not answer in time; check the server's network to qyapi.weixin.qq.com"


class WeComUnavailable(WeComRetryable):
    code = "wecom.unavailable"
    template = "WeCom answered with a server error or an unreadable body; try again later"


class WeComTokenError(WeComError):
    """The access token is missing, invalid or expired: refresh it and retry once."""

    code = "wecom.token_error"
    template = "the WeCom access token was refused even after a refresh; check the customer-contact secret"


class WeComTokenInvalid(WeComTokenError):
    errcode = 40014


class WeComTokenExpired(WeComTokenError):
    errcode = 42001


class WeComTokenMissing(WeComTokenError):
    errcode = 41001


# ---- configuration (what the setup checker reports) ------------------------------------


class WeComConfigError(WeComError):
    """The tenant's WeCom settings are wrong: nothing works until an admin fixes them."""


class WeComInvalidCorpId(WeComConfigError):
    errcode = 40013
    code = "wecom.invalid_corp_id"
    template = "the corp ID is wrong: copy it from WeCom admin → My Company → Company Info (企业ID)"


class WeComInvalidSecret(WeComConfigError):
    errcode = 40001
    code = "wecom.invalid_secret"
    template = "the secret is wrong: use the Customer Contact secret (Customer & Upstream → Customer Contact → API → Secret)"


class WeComNoApiPermission(WeComConfigError):
    errcode = 48002
    code = "wecom.no_api_permission"
    template = "this secret has no permission for the API: give the app customer-contact API access in the WeCom admin console"


class WeComNoUserPermission(WeComConfigError):
    errcode = 60011
    code = "wecom.no_user_permission"
    template = "the app may not see this member: add them to the app's visible range or the customer-contact permission list"


class WeComIpNotTrusted(WeComConfigError):
    errcode = 60020
    code = "wecom.ip_not_trusted"
    template = "this server's IP is not trusted: add it under the app's Trusted IPs (企业可信IP) in the WeCom admin console"


class WeComNoContactPermission(WeComConfigError):
    errcode = 84074
    code = "wecom.no_contact_permission"
    template = "no external-contact permission: enable Customer Contact for this member or app"


# ---- sign-in (OAuth, 网页授权) ---------------------------------------------------------


class WeComInvalidOAuthCode(WeComError):
    errcode = 40029
    code = "wecom.invalid_oauth_code"
    template = "the sign-in code is invalid: it was used already or is older than 5 minutes"


class WeComRedirectNotTrusted(WeComConfigError):
    errcode = 50001
    code = "wecom.redirect_not_trusted"
    template = "the sign-in page's domain is not the app's trusted domain: add it under the app's web authorisation (网页授权及JS-SDK) settings"


# ---- customers, welcome messages, mass sends -------------------------------------------


class WeComInvalidInput(WeComError):
    errcode = 40058
    code = "wecom.invalid_input"
    template = "WeCom refused a parameter as invalid"


class WeComInvalidUserId(WeComError):
    errcode = 40003
    code = "wecom.invalid_user_id"
    template = "unknown WeCom userid: the member may have left or the userid is misspelt"


class WeComInvalidExternalUserId(WeComError):
    errcode = 40096
    code = "wecom.invalid_external_user_id"
    template = "unknown external_userid: the customer is not a contact of this corp"


class WeComCustomerLimit(WeComError):
    errcode = 40099
    code = "wecom.customer_limit"
    template = "the member has reached WeCom's customer count limit"


class WeComNoCustomerToSend(WeComError):
    errcode = 41048
    code = "wecom.no_customer_to_send"
    template = "no customer could receive this message"


class WeComMissingWelcomeCode(WeComError):
    errcode = 41049
    code = "wecom.missing_welcome_code"
    template = "no welcome code: WeCom sends none when a welcome message is set in the admin console or the two have chatted"


class WeComWelcomeCodeExpired(WeComError):
    errcode = 41050
    code = "wecom.welcome_code_expired"
    template = "the welcome code expired (it is valid for 20 seconds after the add) or is invalid"


class WeComWelcomeCodeUsed(WeComError):
    errcode = 41051
    code = "wecom.welcome_code_used"
    template = "the welcome code was used already (another app sent a welcome message, or they have chatted)"


class WeComMassSendDispatching(WeComError):
    errcode = 41063
    code = "wecom.mass_send_dispatching"
    template = "the mass message is still being dispatched; ask for results later"


class WeComAttachmentTooLarge(WeComError):
    errcode = 41064
    code = "wecom.attachment_too_large"
    template = "an attachment is too large for WeCom"


class WeComBadAttachmentType(WeComError):
    errcode = 41065
    code = "wecom.bad_attachment_type"
    template = "an attachment has a type WeCom does not accept here"


class WeComMediaError(WeComError):
    """WeCom refused a media upload or a media id (doc 90313's 4000x and 44001 codes)."""


class WeComBadMediaType(WeComMediaError):
    errcode = 40004
    code = "wecom.bad_media_type"
    template = "WeCom does not take this kind of media file"


class WeComBadFileType(WeComMediaError):
    errcode = 40005
    code = "wecom.bad_file_type"
    template = "WeCom does not take files of this format"


class WeComBadFileSize(WeComMediaError):
    errcode = 40006
    code = "wecom.bad_file_size"
    template = "the file's size is outside what WeCom takes"


class WeComInvalidMediaId(WeComMediaError):
    """The media id is unknown or expired (3 days after upload): upload the file again."""

    errcode = 40007
    code = "wecom.invalid_media_id"
    template = "WeCom no longer knows this media id (they expire 3 days after upload): upload the file again"


class WeComEmptyMedia(WeComMediaError):
    errcode = 44001
    code = "wecom.empty_media"
    template = "the media file is empty"


class WeComNoRelationship(WeComError):
    errcode = 84061
    code = "wecom.no_relationship"
    template = "the member and the customer are not (or no longer) connected"


class WeComTooManyOwners(WeComError):
    errcode = 81017
    code = "wecom.too_many_owners"
    template = "too many group owners in one groupchat/list call; ask for at most 100"


# ---- transfers ---------------------------------------------------------------------


class WeComTransferError(WeComError):
    """A customer or group transfer was refused."""


class WeComMemberNotResigned(WeComTransferError):
    errcode = 40097
    code = "wecom.member_not_resigned"
    template = "the handover member has not resigned: use the on-job transfer instead"


class WeComAlreadyTransferring(WeComTransferError):
    errcode = 40100
    code = "wecom.already_transferring"
    template = "this customer is already being transferred"


class WeComTransferTooFrequent(WeComTransferError):
    errcode = 40128
    code = "wecom.transfer_too_frequent"
    template = "this customer was transferred too often (twice at most, with 90 days' protection after a transfer)"


class WeComBeingTransferred(WeComTransferError):
    errcode = 40129
    code = "wecom.being_transferred"
    template = "this customer is being taken over right now"


class WeComSameMember(WeComTransferError):
    errcode = 40130
    code = "wecom.same_member"
    template = "the handover and takeover members are the same person"


class WeComNotAFollower(WeComTransferError):
    errcode = 40131
    code = "wecom.not_a_follower"
    template = "the handover member does not follow this customer"


def _all(cls: type[WeComError]) -> list[type[WeComError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all(sub))
    return found


BY_ERRCODE: dict[int, type[WeComError]] = {cls.errcode: cls for cls in _all(WeComError) if cls.errcode is not None}
TOKEN_ERRCODES = frozenset(code for code, cls in BY_ERRCODE.items() if issubclass(cls, WeComTokenError))


def error_for(errcode: int, *, api: str, errmsg: str = "") -> WeComError:
    """The typed exception for a WeCom response that was not ``errcode: 0``."""
    cls = BY_ERRCODE.get(errcode)
    if cls is None:  # a code we have no class for: say what WeCom said, so it can be looked up
        return WeComError("wecom.refused_with_message", "WeCom refused the call: %(reason)s", errcode=errcode, api=api,
                          errmsg=errmsg, reason=errmsg or "no message")
    return cls(errcode=errcode, api=api, errmsg=errmsg)
