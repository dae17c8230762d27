"""The demo brand, live: its WeCom is the sandbox, its channels have contact ways, and
simulated customers scan them every few seconds.

- :func:`link_sandbox` (when the demo loads, safe to run again): WeCom settings that point at
  the sandbox (``api_base_url`` = the sandbox's; :meth:`siyu.bootstrap.Context.wecom_channel`
  picks the in-process simulation from it, over the very client code that talks to WeCom), a
  contact way per demo channel with the store's guides on it, a default welcome message with a
  material, and the channel's welcome for the live-stream channel.
- :func:`simulate_tick` (the worker, every 5 seconds unless ``SIYU_DEMO_SIMULATOR=false``):
  one simulated customer adds a guide through a way, or deletes one, or (about one tick in
  three) joins a group through the live-stream channel's group code (:mod:`.group_codes`). The event goes through
  the real callback path: the XML is signed and encrypted with the tenant's own Token and
  EncodingAESKey and handed to :func:`siyu.services.wecom_callbacks.receive_callback`, the
  function the endpoint calls with the body it received. So verification, decryption,
  deduplication, the customer model, the welcome send and the re-binding all run as for a real
  add; only the loopback HTTP hop is skipped, since the worker may run without the web server
  (and the endpoint's HTTP side is covered by the callback tests).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass

from siyu.adapters.channels.sandbox import SANDBOX_URL, Corp
from siyu.adapters.channels.sandbox.join_ways import simulate_join
from siyu.adapters.channels.sandbox.simulator import learn_contact_way, simulate
from siyu.adapters.channels.wecom.crypto import CallbackCrypto
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Role, Scope
from siyu.domain.contact_ways import ContactWayDraft, StaffRule
from siyu.domain.paging import PageRequest
from siyu.domain.welcome import MaterialDraft, WelcomeDraft
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import contact_ways, tenants, welcome, wecom_settings
from siyu.services.auth import system_actor
from siyu.services.demo.catalogue import CHANNELS
from siyu.services.demo.group_codes import CHANNEL_STATE, learn_group_codes, seed_group_code
from siyu.services.wecom_callbacks import CallbackResult, Enqueue, EnqueueFetch, EnqueueWelcome, receive_callback
from siyu.services.wecom_settings import ChannelFactory, load_secrets
from siyu.testing.fake_wecom.callbacks import event_xml, sealed

DEMO_CORP_ID = "wwsandboxdemo0001"
GUIDES_PER_WAY = 3
JOIN_SHARE = 0.3  # ticks on which a customer scans the group code instead of a contact way


@dataclass(frozen=True, slots=True)
class LiveDemo:
    contact_ways: int
    created: bool


def _keys(seed: int) -> tuple[str, str, str]:
    rng = random.Random(f"wecom-keys:{seed}")
    secret = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
    token = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
    aes = base64.b64encode(rng.randbytes(32)).decode()[:43]
    return secret, token, aes


def _app_secret(seed: int) -> str:
    """The demo's self-built app's Secret (WeCom sign-in for guides: /m/wecom/{slug}/login)."""
    rng = random.Random(f"wecom-app:{seed}")
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))


def link_sandbox(new_uow: Callable[[], SqlUnitOfWork], box: SecretBox, channels: ChannelFactory, tenant_id: int, *,
                 seed: int = 7) -> LiveDemo:
    actor = system_actor(tenant_id)
    if contact_ways.list_contact_ways(new_uow(), actor, PageRequest(page_size=1)).total:
        return LiveDemo(contact_ways.list_contact_ways(new_uow(), actor).total, created=False)
    secret, token, aes = _keys(seed)
    wecom_settings.save_wecom_settings(new_uow(), box, actor, WeComSettingsDraft.parse(
        corp_id=DEMO_CORP_ID, agent_id=1000002, api_base_url=SANDBOX_URL, contact_secret=secret, callback_token=token,
        encoding_aes_key=aes, app_secret=_app_secret(seed)))
    with new_uow() as uow:
        states = uow.channels.ids_by_state(tenant_id, {c.state for c in CHANNELS})
        guides = sorted((s for s in uow.staff.many(tenant_id, _staff_ids(uow, tenant_id))), key=lambda s: s.id)
    rng = random.Random(f"ways:{seed}")
    made = 0
    for index, channel in enumerate(CHANNELS):
        if channel.state not in states or not guides:
            continue
        start = (index * GUIDES_PER_WAY) % len(guides)
        picked = [guides[(start + k) % len(guides)] for k in range(min(GUIDES_PER_WAY, len(guides)))]
        rules = [StaffRule.parse(staff_id=g.id, daily_cap=rng.choice((None, 30, 60)), weight=rng.choice((1, 2))) for g in picked[:-1]]
        rules.append(StaffRule.parse(staff_id=picked[-1].id, fallback=len(picked) > 1))
        draft = ContactWayDraft.parse(channel_id=states[channel.state], name=channel.name, state=channel.state,
                                      kind="single" if len(rules) == 1 else "multi",
                                      rotation="weighted" if channel.online else "round_robin", staff=rules,
                                      remark_template="{channel_name}-{customer_name}")
        contact_ways.create_contact_way(new_uow(), box, channels, actor, draft)
        made += 1
    gift = welcome.create_material(new_uow(), actor, MaterialDraft.parse(
        kind="link", title="新人咖啡券", url="https://demo.siyu.invalid/coupon", description="到店立减 10 元"))
    welcome.save_welcome_message(new_uow(), actor, WelcomeDraft.parse(
        scope="default", text="{customer_name}您好，我是山茶咖啡的{staff_name}，送您一张新人咖啡券 ☕", material_ids=[gift.id]))
    if "ch-douyin-live" in states:
        welcome.save_welcome_message(new_uow(), actor, WelcomeDraft.parse(
            scope="channel", channel_id=states["ch-douyin-live"], text="感谢从直播间来找{staff_name}！{customer_name}，直播专享价已为您预留。"))
    if CHANNEL_STATE in states and guides:
        seed_group_code(new_uow, box, channels, tenant_id, channel_id=states[CHANNEL_STATE], owner=guides[0])
    return LiveDemo(made, created=True)


def _staff_ids(uow: SqlUnitOfWork, tenant_id: int) -> list[int]:
    page = uow.staff.list(Scope(tenant_id), PageRequest(page_size=200))
    return [s.id for s in page.items if s.role is Role.GUIDE]


def simulate_tick(new_uow: Callable[[], SqlUnitOfWork], box: SecretBox, corps: dict[str, Corp], *, slug: str, now: float,
                  seed: int = 7, enqueue: Enqueue | None = None, enqueue_welcome: EnqueueWelcome | None = None,
                  enqueue_fetch: EnqueueFetch | None = None) -> CallbackResult | None:
    """One simulated customer's move, delivered as a sealed callback (see the module doc)."""
    with new_uow() as uow:
        tenant = uow.tenants.find_by_slug(slug)
        secrets = load_secrets(uow, box, tenant.id) if tenant else None
        if tenant is None or secrets is None or secrets.api_base_url != SANDBOX_URL:
            return None  # only a tenant linked to the sandbox is simulated
        ways = uow.contact_ways.live(tenant.id)
        userids = {s.id: s.wecom_userid for s in uow.staff.many(tenant.id, sorted({i for w in ways for i in w.bound_staff_ids}))}
        corp = corps.setdefault(secrets.corp_id, Corp(corp_id=secrets.corp_id, secret=secrets.contact_secret or "", lenient=True))
        learn_group_codes(uow, tenant.id, corp)  # and the group codes, with their groups' members
    for way in ways:  # this process's corp learns the ways another process made
        if way.config_id:
            learn_contact_way(corp, way.config_id, state=way.state, users=[userids[i] for i in way.bound_staff_ids if i in userids])
    rng = random.Random(f"{seed}:{now:.3f}")
    joined = simulate_join(corp, rng, now=now) if random.Random(f"{seed}:{now:.3f}:join").random() < JOIN_SHARE else None
    if joined is not None:  # a customer scanned the group code
        xml = event_xml(secrets.corp_id, "change_external_chat", joined.pop("ChangeType"), create_time=int(now), **joined)
    else:
        event = simulate(corp, rng, now=now)
        if event is None:
            return None
        xml = event_xml(secrets.corp_id, "change_external_contact", event.change_type, create_time=int(now), UserID=event.userid,
                        ExternalUserID=event.external_userid, **event.fields)
    assert secrets.callback_token and secrets.encoding_aes_key
    crypto = CallbackCrypto(secrets.callback_token, secrets.encoding_aes_key, secrets.corp_id)
    params, body = sealed(crypto, xml, timestamp=str(int(now)), nonce=str(rng.randrange(10**9)))
    return receive_callback(new_uow(), box, slug, body=body, enqueue=enqueue, enqueue_welcome=enqueue_welcome,
                            enqueue_fetch=enqueue_fetch, **params)


def demo_tenant_id(new_uow: Callable[[], SqlUnitOfWork], slug: str) -> int | None:
    found = tenants.find_tenant(new_uow(), slug)
    return found.id if found else None
