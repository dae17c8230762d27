"""The WeCom setup checker: tells an admin exactly what is wrong with their WeCom link.

Each check makes the smallest real call that proves one thing (a token proves the corp ID and
secret; the follow-user list proves the customer-contact permission and the trusted IP) and
turns a failure into the sentence in WeCom's own console words (zh_CN and en) that says what
to change. Used by ``siyu wecom check`` (a console page can render the same result).
"""

from __future__ import annotations

from dataclasses import dataclass

from siyu.adapters.channels.port import Channel
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.error_texts import error_text
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import ChannelError, DomainError, InvalidInput
from siyu.services.wecom_settings import ChannelFactory, load_secrets


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    en: str
    zh: str

    def message(self, locale: str) -> str:
        return self.zh if locale.startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class CheckReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _failure(name: str, exc: DomainError) -> Check:
    """The error in both languages, by its code (the console's catalogs), with WeCom's errcode."""
    english = exc.template % exc.params if exc.params else exc.template
    errcode = getattr(exc, "errcode", None)
    tail = f" (errcode {errcode})" if errcode is not None else ""
    return Check(name, False, error_text("en", exc.code, exc.params, english) + tail,
                 error_text("zh_CN", exc.code, exc.params, english) + tail)


def check_wecom(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor) -> CheckReport:
    actor.require(Permission.WECOM_MANAGE)
    with uow:
        settings = uow.wecom.settings(actor.tenant_id)
        try:
            secrets = load_secrets(uow, box, actor.tenant_id)
        except InvalidInput as exc:
            return CheckReport((_failure("settings", exc),))
    if settings is None or secrets is None:
        return CheckReport((Check("settings", False, "WeCom is not set up: enter the corp ID and the customer-contact secret",
                                  "尚未配置企业微信：请填写企业ID 和客户联系 Secret"),))
    checks: list[Check] = []
    if secrets.contact_secret is None:
        checks.append(Check("secret", False, "the customer-contact secret is missing", "缺少客户联系 Secret"))
    else:
        checks.extend(_api_checks(uow, actor.tenant_id, channels(secrets)))
    if not settings.callbacks_ready:
        checks.append(Check("callback", False, "the callback Token and EncodingAESKey are not set: copy them from the WeCom "
                            "admin console (Customer Contact → API → Receive events)",
                            "尚未填写回调 Token 和 EncodingAESKey：请从企业微信管理后台「客户联系 → API → 接收事件服务器」复制"))
    elif settings.callback_verified_at is None:
        checks.append(Check("callback", False, "WeCom has not verified the callback URL yet: paste the URL into the WeCom admin "
                            "console and save, with the same Token and EncodingAESKey",
                            "企业微信尚未验证回调 URL：请在企业微信管理后台填写回调 URL 并保存（Token、EncodingAESKey 与此处一致）"))
    else:
        checks.append(Check("callback", True, f"WeCom verified the callback URL on {settings.callback_verified_at:%Y-%m-%d %H:%M} UTC",
                            f"企业微信已于 {settings.callback_verified_at:%Y-%m-%d %H:%M}（UTC）验证回调 URL"))
    return CheckReport(tuple(checks))


def _api_checks(uow: SqlUnitOfWork, tenant_id: int, channel: Channel) -> list[Check]:
    try:
        users = channel.follow_users()
    except ChannelError as exc:
        name = "credentials" if exc.errcode in (40013, 40001, 40014, 42001) else "permission"
        if exc.errcode == 60020:
            name = "ip"
        return [_failure(name, exc)]
    with uow:
        unknown = [u for u in users if uow.staff.find_by_userid(tenant_id, u) is None]
    checks = [
        Check("credentials", True, "the corp ID and the customer-contact secret are right", "企业ID 与客户联系 Secret 正确"),
        Check("permission", True, f"{len(users)} staff have the customer-contact permission",
              f"{len(users)} 名成员已开通客户联系功能"),
    ]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        checks.append(Check("staff", False, f"{len(unknown)} of them are not staff in Siyu yet ({shown}): add them so their "
                            "customers are attributed", f"其中 {len(unknown)} 名成员尚未在 Siyu 中登记为员工（{shown}），请先添加"))
    return checks

