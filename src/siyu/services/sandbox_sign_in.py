"""WeCom sign-in in the sandbox (the demo): the console plays open.weixin.qq.com.

Real WeCom knows who opened the link from the WeCom client; the sandbox learns it from the
demo's "open as guide in WeCom" button (an admin picks a guide). The sign-in itself is the real
one: the same menu link, the same signed state, the same callback, and the code is exchanged
through the channel (``auth/getuserinfo`` on the in-process simulation, with the app's secret).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from siyu.adapters.channels.sandbox import SANDBOX_URL, Corp
from siyu.adapters.channels.sandbox.corp import Fail
from siyu.adapters.channels.sandbox.oauth import authorize
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.organisation import StaffStatus
from siyu.domain.wecom import WeComSecrets
from siyu.domain.wecom_sign_in import SignInRefused, callback_path
from siyu.services.wecom_settings import load_secrets

SandboxCorps = Callable[[WeComSecrets], Corp]


def choose_sandbox_member(uow: SqlUnitOfWork, box: SecretBox, actor: Actor, staff_id: int) -> tuple[str, str]:
    """(tenant slug, WeCom userid) of the guide an admin opens the sandbox's WeCom as."""
    actor.require(Permission.WECOM_MANAGE)
    with uow:
        tenant = uow.tenants.get(actor.tenant_id)
        secrets = load_secrets(uow, box, actor.tenant_id)
        if secrets is None or secrets.api_base_url != SANDBOX_URL:
            raise InvalidInput("wecom_sign_in.not_sandbox", "only a brand linked to the WeCom sandbox can open the sandbox's WeCom",
                               field="staff_id")
        member = uow.staff.get(actor.scope, staff_id)
        if member is None:
            raise NotFound("staff.not_found", "no such staff member")
        if member.status is StaffStatus.RESIGNED:
            raise InvalidInput("wecom_sign_in.sandbox_resigned", "choose an active staff member", field="staff_id")
    assert tenant is not None
    return tenant.slug, member.wecom_userid


def sandbox_authorize(uow: SqlUnitOfWork, box: SecretBox, corps: SandboxCorps, slug: str, params: dict[str, str], *,
                      userid: str | None, here: str) -> str:
    """Where the sandbox's authorize page sends the browser: the tenant's callback with a code.
    ``here`` is this console's address, the sandbox's one trusted domain."""
    with uow:
        tenant = uow.tenants.find_by_slug(slug)
        secrets = load_secrets(uow, box, tenant.id) if tenant else None
    if tenant is None or secrets is None or secrets.api_base_url != SANDBOX_URL:
        raise NotFound("wecom_sign_in.unknown_brand", "there is no brand at this address: check the link in the WeCom menu")
    redirect = urlsplit(params.get("redirect_uri", ""))
    trusted = urlsplit(here)
    if (redirect.scheme, redirect.netloc, redirect.path) != (trusted.scheme, trusted.netloc, callback_path(slug)):
        raise SignInRefused("wecom_sign_in.sandbox_untrusted", "the sign-in link does not lead back to this brand's page in Siyu")
    try:
        return authorize(corps(secrets), params, userid=userid)
    except Fail as fail:
        raise SignInRefused("wecom_sign_in.sandbox_refused", "the WeCom sandbox refused the sign-in (errcode %(errcode)s)",
                            errcode=fail.errcode) from None
