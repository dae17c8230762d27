"""A tenant linked to a fake WeCom, and callbacks sent to it over HTTP (the app's TestClient)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from siyu.adapters.channels.wecom import RetryPolicy
from siyu.adapters.channels.wecom.crypto import CallbackCrypto
from siyu.domain.access import Actor
from siyu.domain.organisation import Staff, Tenant
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import wecom_settings
from siyu.testing.fake_wecom import FakeWeCom, event_xml, sealed
from tests import factories as f

QUICK = RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.002, jitter=0.001, timeout=2.0)
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"


@dataclass
class Linked:
    tenant: Tenant
    admin: Actor
    staff: Staff
    crypto: CallbackCrypto
    corp_id: str

    @property
    def url(self) -> str:
        return f"/callbacks/wecom/{self.tenant.slug}"

    def xml(self, event: str, change_type: str, *, create_time: int = 1_800_000_000, **fields: str) -> str:
        return event_xml(self.corp_id, event, change_type, create_time=create_time, **fields)

    def send(self, client: TestClient, xml: str, *, crypto: CallbackCrypto | None = None):  # type: ignore[no-untyped-def]
        params, body = sealed(crypto or self.crypto, xml)
        return client.post(self.url, params=params, content=body)

    def contact_event(self, client: TestClient, change_type: str, external: str, *, userid: str | None = None,
                      create_time: int = 1_800_000_000, **fields: str):  # type: ignore[no-untyped-def]
        xml = self.xml("change_external_contact", change_type, create_time=create_time,
                       UserID=userid or self.staff.wecom_userid, ExternalUserID=external, **fields)
        return self.send(client, xml)


def link(context, fake: FakeWeCom | None, *, corp_id: str | None = None, api_base_url: str | None = None) -> Linked:  # type: ignore[no-untyped-def]
    context.wecom_retry = QUICK
    tenant, admin = f.tenant(context)
    member = f.member(context, admin, store_id=f.store(context, admin).id)
    corp = corp_id or (fake.corp.corp_id if fake else "wwnofake00000001")
    secret = fake.corp.secret if fake else "some-secret-nobody-uses"
    draft = WeComSettingsDraft.parse(corp_id=corp, agent_id=1000002, api_base_url=api_base_url or (fake.url if fake else None),
                                     contact_secret=secret, callback_token=TOKEN, encoding_aes_key=AES_KEY)
    wecom_settings.save_wecom_settings(context.uow(), context.secret_box, admin, draft)
    if fake is not None:
        fake.corp.add_user(member.wecom_userid)
    return Linked(tenant, admin, member, CallbackCrypto(TOKEN, AES_KEY, corp), corp)
