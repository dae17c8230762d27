"""Walk every console route as another tenant's admin: nothing of tenant A shows or changes.

A console route with a path parameter this test does not know fails it until registered.
"""

from __future__ import annotations

import re
from datetime import date

from fastapi.routing import APIRoute

from siyu.adapters.channels.sandbox import Corp, SandboxChannel
from siyu.domain.channels import ChannelDraft, CostDraft
from siyu.domain.contact_ways import ContactWayDraft, StaffRule
from siyu.domain.group_codes import GroupCodeDraft
from siyu.adapters.channels.sandbox.join_ways import add_group_chat
from siyu.services import group_codes
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import auth as auth_service
from siyu.services import channels, contact_ways, imports, order_imports, orders, wecom_settings
from siyu.services import customers, fields, merging, regions, staff, stages, stores, tags, tenants, tokens
from siyu.domain.customers import RelationState
from siyu.services import alerts, experiments, guide_tasks, journeys, mass_sends, moments
from siyu.domain.mass_sends import MassSendDraft
from siyu.domain.guide_tasks import RuleDraft, TaskState
from siyu.services.clock import utcnow
from siyu.domain.moments import MomentDraft
from siyu.domain.experiments import ExperimentDraft
from siyu.domain.welcome import MaterialDraft, WelcomeDraft
from siyu.services import welcome
from siyu.services import segments
from siyu.services import add_friend
from siyu.domain.add_friend import BatchDraft, NumberState
from siyu.web.app import ROUTE_MODULES as MODULES
from tests.web.conftest import Org, unique

# A form that would pass validation, so that only tenancy can stop it.
FORM = {"name": "越权修改", "wecom_userid": "intruder", "role": "guide", "code": "", "city": "", "address": "", "is_open": "on",
        "label": "越权字段", "group": "越权", "direction": "up", "kind": "email", "value": "intruder@example.cn",
        "stage_id": "", "owner_staff_id": "", "tag_ids": "1"}


def _contact_way_of(a: Org, member, channel):  # type: ignore[no-untyped-def]
    """Tenant A's live code, made in a simulated WeCom (the console's channel factory points at it);
    the corp is the one tenant A's saved WeCom settings name."""
    corp = Corp(corp_id="wwtenantacorp0001", secret="tenant-a-contact-secret-0001")
    corp.add_user(member.wecom_userid)
    a.context.wecom_channel = lambda secrets: SandboxChannel(corp)
    return contact_ways.create_contact_way(a.context.uow(), a.context.secret_box, a.context.wecom_channel, a.system,
                                           ContactWayDraft.parse(channel_id=channel.id, name="甲活码", state="jia-way",
                                                                 staff=[StaffRule(member.id)]))


def _group_code_of(a: Org, channel):  # type: ignore[no-untyped-def]
    """Tenant A's group code over one of its synced groups, made in a simulated WeCom of its own."""
    corp = Corp(corp_id="wwtenantacorp0001", secret="tenant-a-contact-secret-0001")
    a.context.wecom_channel = lambda secrets: SandboxChannel(corp)
    add_group_chat(corp, "wr-jia-0001", owner="jia-owner", name="甲客户群", members=5)
    with a.context.uow() as uow:
        uow.wecom_sync.add_group_chat(a.tenant.id, chat_id="wr-jia-0001", name="甲客户群", owner_userid="jia-owner", status=0,
                                      members=5, external_members=4, fingerprint="-", synced_at=utcnow())
        uow.commit()
    return group_codes.create_group_code(a.context.uow(), a.context.secret_box, a.context.wecom_channel, a.system,
                                         GroupCodeDraft.parse(channel_id=channel.id, name="甲群码", state="jia-group",
                                                              chat_ids=["wr-jia-0001"]))


def _console_routes():
    for module in MODULES:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            for method in sorted(route.methods):
                yield method, route.path


def test_every_console_route_hides_another_tenants_objects(context, org, signed_in):
    # `org` is tenant B, whose admin is signed in; tenant A is made here.
    tenant_a = tenants.create_tenant(context.uow(), slug=unique("a-"), name="甲品牌")
    a = Org(context=context, tenant=tenant_a, system=auth_service.system_actor(tenant_a.id))
    region = a.region()
    store = a.store(region=region, code=unique("C"))
    member = a.member(store=store)
    token = tokens.create_api_token(context.uow(), a.system, name=unique("tok")).token
    customer_id = a.customer("甲客户", "13800138000", followed_by=member)
    first, second = a.customer("甲重复", followed_by=member), a.customer("甲重复", followed_by=member)
    merged_away = a.customer("甲被合并")
    merge = merging.merge_customers(context.uow(), a.system, customer_id, merged_away)
    tag = a.tag("甲标签")
    tags.apply_tags(context.uow(), a.system, [customer_id], [tag.id])
    stage = a.stage("甲阶段")
    stages.move_stage(context.uow(), a.system, customer_id, stage.id)
    field = fields.define_field(context.uow(), a.system, key="a_secret", label="甲字段", kind="text")
    upload = context.settings.data_dir / "a.csv"
    upload.write_text("姓名,手机\n甲导入,13911112222\n", encoding="utf-8")
    run = imports.import_customers(context.uow(), a.system, upload, filename="甲导入文件.csv")
    order_file = context.settings.data_dir / "a-orders.csv"
    order_file.write_text("source,order_id,ordered_at,amount\nmall,甲订单-3,2026-11-01 10:00,1\nmall,甲订单-4,nope,1\n", encoding="utf-8")
    order_run = order_imports.import_orders(context.uow(), a.system, order_file, filename="甲订单导入.csv")
    orders.record_orders(context.uow(), a.system, [
        {"source": "mall", "order_id": "甲订单-1", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "1",
         "identities": {"phone": "13800138000"}},
        {"source": "mall", "order_id": "甲订单-2", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "1"},
    ])
    channel = channels.create_channel(context.uow(), a.system, ChannelDraft.parse(name="甲渠道", state="a-chan"))
    cost = channels.add_cost(context.uow(), a.system, channel.id,
                             CostDraft.parse(period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), amount="123.45"))
    wecom = wecom_settings.save_wecom_settings(context.uow(), context.secret_box, a.system, WeComSettingsDraft.parse(
        corp_id="wwtenantacorp0001", contact_secret="tenant-a-contact-secret-0001"))
    way = _contact_way_of(a, member, channel)
    group_code = _group_code_of(a, channel)
    takeover = a.member(store=store)
    with context.uow() as uow:  # a deletion alert for A's store manager, and a transfer (recorded, not sent)
        relation = uow.relations.find(tenant_a.id, customer_id, member.id)
        assert relation is not None
        alerts.relation_ended(uow, tenant_a.id, customer_id, member, RelationState.DELETED_BY_CUSTOMER, at=relation.added_at)
        alert_id = uow.alerts.visible_ids(a.system.scope, None)[0]
        transfer_id = uow.transfers.add(tenant_a.id, now=relation.added_at, resigned=False, handover_staff_id=member.id,
                                        takeover_staff_id=takeover.id, message=None, actor="test")
        uow.commit()
    with context.uow() as uow:  # a guide task and a lifecycle rule of A's
        task_id = guide_tasks.add_source_task_in(uow, tenant_a.id, staff_id=member.id, customer_id=customer_id, kind="greet",
                                                 title="甲任务", script="甲话术", due_at=utcnow(), source_kind="journey", source_key="a")
        uow.commit()
    rule = guide_tasks.create_rule(context.uow(), a.system, RuleDraft.parse(stage_id=stage.id, days=3, kind="greet", title="甲规则",
                                                                            script=""))
    journey = journeys.create_from_template(context.uow(), a.system, "birthday", name="甲旅程")
    phone_list = context.settings.data_dir / "a-list.csv"
    phone_list.write_text(f"phone,staff\n13922223333,{member.wecom_userid}\n", encoding="utf-8")
    batch_id = add_friend.create_batch(context.uow(), a.system, BatchDraft.parse(name="甲加好友"), phone_list).batch_id
    [number] = add_friend.list_numbers(context.uow(), a.system, batch_id).items
    segment = segments.create_segment(context.uow(), a.system, name="甲人群", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [tag.id]}]}]})
    material = welcome.create_material(context.uow(), a.system, MaterialDraft.parse(kind="link", title="甲素材",
                                                                                   url="https://a.example.cn/secret"))
    message = welcome.save_welcome_message(context.uow(), a.system, WelcomeDraft.parse(
        scope="way", text="甲欢迎语", material_ids=[material.id], contact_way_id=way.id))
    ids = {"batch_id": batch_id, "number_id": number.id, "tenant": tenant_a.slug, "material_id": material.id, "message_id": message.id, "journey_id": journey.id, "segment_id": segment.id, "task_id": task_id, "rule_id": rule.id, "region_id": region.id, "store_id": store.id, "staff_id": member.id, "token_id": token.id,
           "customer_id": customer_id, "tag_id": tag.id, "stage_id": stage.id, "field_key": field.key,
           "first_id": first, "second_id": second, "merge_id": merge.id, "import_id": run.id,
           "order_import_id": order_run.id, "channel_id": channel.id, "cost_id": cost.id, "way_id": way.id, "code_id": group_code.id,
           "alert_id": alert_id, "transfer_id": transfer_id,
           "send_id": mass_sends.create_mass_send(context.uow(), a.system, MassSendDraft.parse(
               name="甲群发", text="春季上新", customer_ids=[customer_id])).id,  # recorded, not run
           "experiment_id": experiments.create_experiment(context.uow(), a.system, ExperimentDraft.holdout(
               name="甲实验", holdout_percent=10)).id,
           "moment_id": moments.create_moment(context.uow(), a.system, MomentDraft.parse(text="甲朋友圈", staff_ids=[member.id])).id}
    markers = [region.name, store.name, member.wecom_userid, token.name, "甲客户", "13800138000", "甲重复", tag.name,
               stage.name, field.label, "甲导入文件", "甲订单", "甲渠道", "a-chan", "wwtenantacorp0001", wecom.contact_secret_hint,
               way.name, way.state, "甲素材", "a.example.cn/secret", "甲欢迎语", "甲群码", "jia-group", "甲客户群", "wr-jia-0001", "甲群发", "甲任务", "甲话术", "甲规则", "甲旅程", "甲实验", "甲朋友圈", "甲人群", "甲加好友", "13922223333"]
    org.store()  # B has data of its own
    org.customer("乙客户")

    checked = 0
    for method, template in _console_routes():
        params = re.findall(r"{(\w+)(?::\w+)?}", template)
        missing = [p for p in params if p not in ids]
        assert not missing, f"{method} {template}: teach this test the path parameter(s) {missing}"
        if not params:
            if method == "GET":
                response = signed_in.get(template)
                for marker in markers:
                    assert marker not in response.text, f"GET {template} leaked {marker!r}"
            continue
        path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(ids[m.group(1)]), template)
        response = signed_in.get(path) if method == "GET" else signed_in.post(path, FORM)
        assert response.status_code in (403, 404), f"{method} {path} as tenant B -> {response.status_code}"
        checked += 1
    assert checked >= 25

    # Tenant A's objects are exactly as they were.
    assert experiments.get_experiment(context.uow(), a.system, ids["experiment_id"]).name == "甲实验"
    assert regions.get_region(context.uow(), a.system, region.id) == region
    assert stores.get_store(context.uow(), a.system, store.id) == store
    assert staff.get_staff(context.uow(), a.system, member.id) == member
    assert tokens.list_api_tokens(context.uow(), a.system).items[0].revoked_at is None
    detail = customers.get_customer(context.uow(), a.system, customer_id)
    assert (detail.customer.name, detail.stage, [t.tag for t in detail.tags]) == ("甲客户", stage, [tag])
    assert [i.value for i in detail.identities if i.kind == "email"] == []
    assert merging.list_merges(context.uow(), a.system).items[0].undone_at is None
    assert {p.first_id for p in merging.possible_duplicates(context.uow(), a.system)} == {first}
    assert fields.list_fields(context.uow(), a.system) == [field]
    assert stages.list_stages(context.uow(), a.system) == [stage]
    assert channels.get_channel(context.uow(), a.system, channel.id) == channel
    assert channels.list_costs(context.uow(), a.system, channel.id).items == [cost]
    assert wecom_settings.get_wecom_settings(context.uow(), a.system) == wecom
    assert guide_tasks.get_task(context.uow(), a.system, task_id).state is TaskState.OPEN
    assert welcome.get_material(context.uow(), a.system, material.id) == material
    assert welcome.get_welcome_message(context.uow(), a.system, message.id) == message
    assert add_friend.list_numbers(context.uow(), a.system, batch_id).items[0].state is NumberState.PENDING
    assert [r.id for r in guide_tasks.list_rules(context.uow(), a.system)] == [rule.id]
