"""WeCom's errcodes as typed exceptions, each with a message an admin can act on.

Branch on the class (or ``errcode``), never on WeCom's ``errmsg``. Every code listed in
shared/reference/wecom.md has a class here; :func:`error_for` turns a response into the
right one, and an unknown code still becomes a :class:`WeComError` carrying the code.
``en`` is the message (API, logs); ``zh`` is what the console shows a Chinese-speaking admin.
"""

from __future__ import annotations

from siyu.domain.errors import ChannelError


class WeComError(ChannelError):
    """A WeCom call failed. ``errcode`` is WeCom's code, ``api`` the path that was called."""

    errcode: int | None = None
    en = "WeCom refused the call"
    zh = "企业微信拒绝了该请求"

    def __init__(self, message: str | None = None, *, errcode: int | None = None, api: str = "", errmsg: str = "",
                 field: str | None = None) -> None:
        code = errcode if errcode is not None else type(self).errcode
        where = f" on {api}" if api else ""
        tail = f" (WeCom errcode {code}{where})" if code is not None else (f" ({api})" if api else "")
        super().__init__((message or self.en) + tail, field=field)
        self.errcode = code
        self.api = api
        self.errmsg = errmsg  # kept for the logs; never branched on

    def localized(self, locale: str) -> str:
        """The admin-facing sentence in the console's language (zh_CN or en)."""
        return self.zh if locale.startswith("zh") else self.en


# ---- transport and retry --------------------------------------------------------------


class WeComRetryable(WeComError):
    """The same call may succeed later unchanged; the client retries these with backoff."""

    retryable = True


class WeComBusy(WeComRetryable):
    errcode = -1
    en = "WeCom is busy; the call was retried and still failed — try again in a minute"
    zh = "企业微信系统繁忙，已重试仍失败，请稍后再试"


class WeComFrequencyLimited(WeComRetryable):
    errcode = 45009
    en = "WeCom's call-frequency limit was hit (10,000/min, 150,000/hour per API); calls resume when the window passes"
    zh = "超过企业微信接口调用频率限制（每个接口每分钟 1 万次、每小时 15 万次），请等限流窗口过去后再试"


class WeComConcurrencyLimited(WeComRetryable):
    errcode = 45033
    en = "too many concurrent calls to this WeCom API; lower the sync concurrency"
    zh = "该企业微信接口并发调用过多，请降低同步并发数"


class WeComTimeout(WeComRetryable):
    en = "WeCom did not answer in time; check the server's network to qyapi.weixin.qq.com"
    zh = "企业微信接口超时未响应，请检查服务器到 qyapi.weixin.qq.com 的网络"


class WeComUnavailable(WeComRetryable):
    en = "WeCom answered with a server error or an unreadable body; try again later"
    zh = "企业微信返回服务器错误或无法解析的响应，请稍后再试"


class WeComTokenError(WeComError):
    """The access token is missing, invalid or expired: refresh it and retry once."""

    en = "the WeCom access token was refused even after a refresh; check the customer-contact secret"
    zh = "企业微信 access_token 刷新后仍无效，请检查客户联系 Secret"


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
    en = "the corp ID is wrong: copy it from WeCom admin → My Company → Company Info (企业ID)"
    zh = "企业ID 不正确：请在企业微信管理后台「我的企业 → 企业信息」复制企业ID"


class WeComInvalidSecret(WeComConfigError):
    errcode = 40001
    en = "the secret is wrong: use the Customer Contact secret (Customer & Upstream → Customer Contact → API → Secret)"
    zh = "Secret 不正确：请使用「客户与上下游 → 客户联系 → API → Secret」中的客户联系 Secret"


class WeComNoApiPermission(WeComConfigError):
    errcode = 48002
    en = "this secret has no permission for the API: give the app customer-contact API access in the WeCom admin console"
    zh = "该 Secret 无此接口权限：请在企业微信管理后台为应用开通客户联系 API 权限"


class WeComNoUserPermission(WeComConfigError):
    errcode = 60011
    en = "the app may not see this member: add them to the app's visible range or the customer-contact permission list"
    zh = "应用无权访问该成员：请把成员加入应用可见范围或客户联系使用范围"


class WeComIpNotTrusted(WeComConfigError):
    errcode = 60020
    en = "this server's IP is not trusted: add it under the app's Trusted IPs (企业可信IP) in the WeCom admin console"
    zh = "服务器 IP 不在企业可信 IP 中：请在企业微信管理后台应用详情的「企业可信IP」中添加本服务器 IP"


class WeComNoContactPermission(WeComConfigError):
    errcode = 84074
    en = "no external-contact permission: enable Customer Contact for this member or app"
    zh = "没有外部联系人权限：请为该成员或应用开通客户联系功能"


# ---- customers, welcome messages, mass sends -------------------------------------------


class WeComInvalidInput(WeComError):
    errcode = 40058
    en = "WeCom refused a parameter as invalid"
    zh = "企业微信认为参数不合法"


class WeComInvalidUserId(WeComError):
    errcode = 40003
    en = "unknown WeCom userid: the member may have left or the userid is misspelt"
    zh = "成员 userid 不存在：成员可能已离职或 userid 填写有误"


class WeComInvalidExternalUserId(WeComError):
    errcode = 40096
    en = "unknown external_userid: the customer is not a contact of this corp"
    zh = "external_userid 不合法：该客户不是本企业的外部联系人"


class WeComCustomerLimit(WeComError):
    errcode = 40099
    en = "the member has reached WeCom's customer count limit"
    zh = "成员的客户数已达企业微信上限"


class WeComNoCustomerToSend(WeComError):
    errcode = 41048
    en = "no customer could receive this message"
    zh = "没有可发送的客户"


class WeComMissingWelcomeCode(WeComError):
    errcode = 41049
    en = "no welcome code: WeCom sends none when a welcome message is set in the admin console or the two have chatted"
    zh = "缺少欢迎语 code：管理后台已配置欢迎语或双方已聊过天时企业微信不会下发"


class WeComWelcomeCodeExpired(WeComError):
    errcode = 41050
    en = "the welcome code expired (it is valid for 20 seconds after the add) or is invalid"
    zh = "欢迎语 code 已过期（添加后 20 秒内有效）或无效"


class WeComWelcomeCodeUsed(WeComError):
    errcode = 41051
    en = "the welcome code was used already (another app sent a welcome message, or they have chatted)"
    zh = "欢迎语 code 已被使用（其他应用已发送欢迎语，或双方已聊过天）"


class WeComMassSendDispatching(WeComError):
    errcode = 41063
    en = "the mass message is still being dispatched; ask for results later"
    zh = "群发消息仍在派发中，请稍后再查询结果"


class WeComAttachmentTooLarge(WeComError):
    errcode = 41064
    en = "an attachment is too large for WeCom"
    zh = "附件大小超过企业微信限制"


class WeComBadAttachmentType(WeComError):
    errcode = 41065
    en = "an attachment has a type WeCom does not accept here"
    zh = "附件类型不被企业微信接受"


class WeComNoRelationship(WeComError):
    errcode = 84061
    en = "the member and the customer are not (or no longer) connected"
    zh = "成员与该客户不存在外部联系人关系"


class WeComTooManyOwners(WeComError):
    errcode = 81017
    en = "too many group owners in one groupchat/list call; ask for at most 100"
    zh = "客户群列表查询的群主过多，每次最多 100 个"


# ---- transfers ---------------------------------------------------------------------


class WeComTransferError(WeComError):
    """A customer or group transfer was refused."""


class WeComMemberNotResigned(WeComTransferError):
    errcode = 40097
    en = "the handover member has not resigned: use the on-job transfer instead"
    zh = "交接成员尚未离职：请改用在职继承"


class WeComAlreadyTransferring(WeComTransferError):
    errcode = 40100
    en = "this customer is already being transferred"
    zh = "该客户已在转接中"


class WeComTransferTooFrequent(WeComTransferError):
    errcode = 40128
    en = "this customer was transferred too often (twice at most, with 90 days' protection after a transfer)"
    zh = "该客户转接过于频繁（最多两次，转接后 90 天内受保护）"


class WeComBeingTransferred(WeComTransferError):
    errcode = 40129
    en = "this customer is being taken over right now"
    zh = "该客户正在被接替"


class WeComSameMember(WeComTransferError):
    errcode = 40130
    en = "the handover and takeover members are the same person"
    zh = "原跟进成员与接替成员不能相同"


class WeComNotAFollower(WeComTransferError):
    errcode = 40131
    en = "the handover member does not follow this customer"
    zh = "原跟进成员不是该客户的跟进人"


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
        return WeComError(f"WeCom refused the call: {errmsg or 'no message'}", errcode=errcode, api=api, errmsg=errmsg)
    return cls(errcode=errcode, api=api, errmsg=errmsg)
