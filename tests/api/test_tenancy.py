"""Walk every API route as another tenant: nothing of tenant A is visible or changeable.

A new route with a path parameter this test does not know, or a body it cannot fill, fails
the test until it is registered here, so no route can forget tenancy unnoticed.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from datetime import date

from siyu.domain.access import Role
from siyu.adapters.channels.sandbox import Corp, SandboxChannel
from siyu.domain.channels import ChannelDraft, CostDraft
from siyu.domain.contact_ways import ContactWayDraft, StaffRule
from siyu.domain.group_codes import GroupCodeDraft
from siyu.adapters.channels.sandbox.join_ways import add_group_chat
from siyu.services import group_codes as group_codes_service
from siyu.domain.welcome import MaterialDraft, WelcomeDraft
from siyu.domain.contact_pressure import ContactRules
from siyu.services import add_friend, contact_pressure, contact_ways, guide_tasks, welcome
from siyu.domain.add_friend import BatchDraft
from siyu.domain.mass_sends import MassSendDraft
from siyu.services import mass_sends as mass_sends_service
from siyu.domain.guide_tasks import RuleDraft
from siyu.domain.experiments import ExperimentDraft
from siyu.services import experiments as experiments_service
from siyu.services import moments as moments_service
from siyu.domain.moments import MomentDraft
from siyu.services import fields as fields_service
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import channels as channels_service
from siyu.services import customers as customers_service
from siyu.services import imports, merging, order_imports, tokens, wecom_settings, wecom_sync
from siyu.services.clock import utcnow
from siyu.services import orders as orders_service
from siyu.services import segments as segments_service
from siyu.services import stages as stages_service
from siyu.services import tags as tags_service
from siyu.services import journeys as journeys_service
from tests import factories as f
from tests.api.conftest import api_tenant

BODIES = {
    "JourneyCreate": {"name": "越权旅程", "definition": {"trigger": {"kind": "purchase"}, "steps": [{"id": "w", "kind": "wait", "days": 1}]}},
    "JourneyFromTemplate": {"template": "birthday", "name": "越权生日"},
    "JourneyUpdate": {"name": "越权旅程"},
    "RegionCreate": {"name": "越权区域"},
    "RegionUpdate": {"name": "越权区域"},
    "StoreCreate": {"name": "越权门店"},
    "StoreUpdate": {"name": "越权门店"},
    "StaffCreate": {"wecom_userid": "intruder", "name": "越权", "role": "admin"},
    "StaffUpdate": {"wecom_userid": "intruder", "name": "越权", "role": "admin"},
    "TokenCreate": {"name": "intruder"},
    "UserCreate": {"login": "intruder@x.cn", "name": "越权", "password": "intruder-pass-1", "role": "operator"},
    "CustomerCreate": {"identities": [{"kind": "phone", "value": "13999999999"}], "name": "越权"},
    "CustomerUpdate": {"name": "越权"},
    "FieldsUpdate": {"values": {}},
    "IdentityIn": {"kind": "email", "value": "intruder@x.cn"},
    "StageMove": {"stage_id": None},
    "OwnerUpdate": {"staff_id": None},
    "ExperimentCreate": {"name": "越权实验", "holdout_percent": 10},
    "ExperimentUpdate": {"name": "越权实验", "holdout_percent": 10},
    "TagCreate": {"group": "越权", "name": "越权"},
    "TagUpdate": {"name": "越权"},
    "StageCreate": {"name": "越权"},
    "FieldCreate": {"key": "intruder", "label": "越权", "kind": "text"},
    "FieldUpdate": {"label": "越权"},
    "WeComSettingsUpdate": {"corp_id": "wwintruder000001"},
    "SyncStart": {"full": True},
    "AlertsRead": {"alert_ids": None},
    "AlertSettingsUpdate": {"mass_deletion_threshold": 3},
    "ChannelCreate": {"name": "越权渠道", "state": "intruder"},
    "ChannelUpdate": {"name": "越权渠道", "state": "intruder"},
    "CostCreate": {"period_start": "2026-01-01", "period_end": "2026-01-31", "amount": "1"},
    "CostUpdate": {"period_start": "2026-01-01", "period_end": "2026-01-31", "amount": "1"},
    "OrderBatch": {"orders": [{"source": "mall", "order_id": "intruder-1", "ordered_at": "2026-01-01T00:00:00Z", "amount": "1"}]},
    "RefundBatch": {"refunds": [{"source": "mall", "order_id": "intruder-1", "refund_id": "R1", "amount": "1",
                                 "refunded_at": "2026-01-02T00:00:00Z"}]},
    "MaterialCreate": {"kind": "image", "title": "越权", "url": "https://x.cn/i.png"},
    "MaterialUpdate": {"kind": "image", "title": "越权", "url": "https://x.cn/i.png"},
    "ContactRulesUpdate": {"per_day": 1, "quiet_start": "21:00", "quiet_end": "08:00", "wecom_cap": "day"},
    "OptOutCreate": {"source": "api", "note": "越权"},
    "EventBatch": {"events": [{"event_id": "intruder-1", "name": "visit", "occurred_at": "2026-01-01T00:00:00Z",
                               "identity": {"kind": "phone", "value": "13999999999"}}]},
}


# Multipart routes: the files tenant B uploads (a valid file, so the request reaches the service).
UPLOADS = {"Body_import_customers_api_v1_imports_customers_post": {"file": ("越权.csv", "phone\n13999999998\n".encode())},
           "Body_create_batch_api_v1_add_friend_batches_post": {"file": ("越权.csv", "phone\n13999999998\n".encode())},
           "Body_import_numbers_api_v1_add_friend_batches__batch_id__numbers_post": {
               "file": ("越权.csv", "phone\n13999999998\n".encode())},
           "Body_import_orders_api_v1_imports_orders_post": {
               "file": ("越权订单.csv", "source,order_id,ordered_at,amount\nmall,intruder-2,2026-01-01 10:00,1\n".encode())}}


def _import_of(context, actor):
    """An import made by the tenant, with its bad row, so it has errors to page."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"导入{f.uid()}.csv"
        path.write_text("phone\n13999999997\n12345\n", encoding="utf-8")
        return imports.import_customers(context.uow(), actor, path)


def _order_import_of(context, actor):
    """An order import made by the tenant, with its bad row."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"订单导入{f.uid()}.csv"
        path.write_text("source,order_id,ordered_at,amount\nmall,secret-oi,2026-01-01 10:00,1\nmall,bad,nope,1\n", encoding="utf-8")
        return order_imports.import_orders(context.uow(), actor, path)


def _tenant_a_bodies(ids):
    """Bodies that name tenant A's objects, for routes without path parameters."""
    return {
        "TagBulk": {"customer_ids": [ids["customer_id"]], "tag_ids": [ids["tag_id"]]},
        "TransferCreate": {"handover_staff_id": ids["staff_id"], "takeover_staff_id": ids["takeover_id"]},
        "StageOrder": {"stage_ids": [ids["stage_id"]]},
        "MergeCreate": {"customer_ids": [ids["first_id"], ids["second_id"]]},
        "ContactWayCreate": {"channel_id": ids["channel_id"], "name": "越权活码", "state": "intruder", "staff": [{"staff_id": ids["staff_id"]}]},
        "ContactWayUpdate": {"channel_id": ids["channel_id"], "name": "越权活码", "state": "intruder", "staff": [{"staff_id": ids["staff_id"]}]},
        "GroupCodeCreate": {"channel_id": ids["channel_id"], "name": "越权群码", "state": "intruder", "chat_ids": [ids["chat_id"]]},
        "GroupCodeUpdate": {"channel_id": ids["channel_id"], "name": "越权群码", "state": "intruder", "chat_ids": [ids["chat_id"]]},
        "WelcomeCreate": {"scope": "way", "text": "越权", "contact_way_id": ids["way_id"]},
        "WelcomeUpdate": {"scope": "way", "text": "越权", "contact_way_id": ids["way_id"]},
        "MassSendCreate": {"name": "越权群发", "text": "越权", "customer_ids": [ids["customer_id"]]},
        "MassSendAudience": {"customer_ids": [ids["customer_id"]], "segment_id": None},
        "GuideTaskCreate": {"staff_id": ids["staff_id"], "customer_id": ids["customer_id"], "kind": "greet", "title": "越权任务",
                            "due_at": "2026-01-01T00:00:00Z"},
        "RuleIn": {"stage_id": ids["stage_id"], "days": 3, "kind": "follow_up", "title": "越权规则"},
        "MomentCreate": {"text": "越权", "staff_ids": [ids["staff_id"]], "material_ids": [ids["material_id"]]},
        "SegmentCreate": {"name": "越权人群", "rule": {"groups": [{"conditions": [
            {"kind": "tags", "op": "any", "value": [ids["tag_id"]]}]}]}},
        "SegmentUpdate": {"name": "越权人群"},
        "RulePreview": {"rule": {"groups": [{"conditions": [{"kind": "tags", "op": "any", "value": [ids["tag_id"]]}]}]}},
    }


def _api_routes(app):
    """(method, path template, request body schema name) of every route in the OpenAPI document."""
    for template, operations in app.openapi()["paths"].items():
        assert template.startswith("/api/"), template
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", content.get("multipart/form-data", {})).get("schema", {})
            body = schema["$ref"].rsplit("/", 1)[-1] if "$ref" in schema else None
            yield method.upper(), template, body


def _tenant_a(context):
    a = api_tenant(context)
    region = f.region(context, a.actor)
    store = f.store(context, a.actor, region_id=region.id)
    member = f.member(context, a.actor, store_id=store.id)
    token = tokens.create_api_token(context.uow(), a.actor, name=f"secret-{f.uid()}").token
    made = f.customers_of(context, a.actor, 3)
    merge = merging.merge_customers(context.uow(), a.actor, made[1].id, made[2].id)
    tag = tags_service.create_tag(context.uow(), a.actor, group=f"组{f.uid()}", name=f"标签{f.uid()}")
    stage = stages_service.create_stage(context.uow(), a.actor, f"阶段{f.uid(4)}")
    field = fields_service.define_field(context.uow(), a.actor, key=f"k{f.uid()}", label=f"字段{f.uid(4)}", kind="text")
    other = f.customers_of(context, a.actor, 1)[0]
    run = _import_of(context, a.actor)
    order_run = _order_import_of(context, a.actor)
    corp = f"ww{f.uid(16)}"
    secret = f"secret-{f.uid(16)}"
    wecom_settings.save_wecom_settings(context.uow(), context.secret_box, a.actor, WeComSettingsDraft.parse(
        corp_id=corp, contact_secret=secret))
    sync_run = wecom_sync.start_sync(context.uow(), a.actor, full=False)  # recorded, not run (no WeCom here)
    second_member = f.member(context, a.actor, store_id=store.id)
    with context.uow() as uow:  # a transfer of A's, as recorded (not sent: no WeCom here)
        transfer_id = uow.transfers.add(a.actor.tenant_id, now=utcnow(), resigned=False, handover_staff_id=member.id,
                                        takeover_staff_id=second_member.id, message=None, actor="test")
        uow.commit()
    segment = segments_service.create_segment(context.uow(), a.actor, name=f"人群{f.uid(4)}", rule={"groups": [{"conditions": [
        {"kind": "tags", "op": "any", "value": [tag.id]}]}]})
    channel = channels_service.create_channel(context.uow(), a.actor, ChannelDraft.parse(name=f"渠道{f.uid()}", state=f"ch-{f.uid()}"))
    simulated = Corp(corp_id=corp, secret=secret)
    simulated.add_user(member.wecom_userid)
    context.wecom_channel = lambda secrets: SandboxChannel(simulated)  # both tenants' calls land here; B's must never reach it
    way = contact_ways.create_contact_way(context.uow(), context.secret_box, context.wecom_channel, a.actor, ContactWayDraft.parse(
        channel_id=channel.id, name=f"活码{f.uid(4)}", state=f"w-{f.uid()}", staff=[StaffRule(member.id)]))
    chat_id = f"wr{f.uid(12)}"
    add_group_chat(simulated, chat_id, owner=member.wecom_userid, members=3)
    with context.uow() as uow:  # A's customer group, as the sync records it
        uow.wecom_sync.add_group_chat(a.actor.tenant_id, chat_id=chat_id, name=f"秘密群{f.uid(4)}", owner_userid=member.wecom_userid,
                                      owner_staff_id=member.id, status=0, members=3, external_members=2, fingerprint="-",
                                      synced_at=utcnow())
        uow.commit()
    group_code = group_codes_service.create_group_code(context.uow(), context.secret_box, context.wecom_channel, a.actor,
                                                       GroupCodeDraft.parse(channel_id=channel.id, name=f"群码{f.uid(4)}",
                                                                            state=f"g-{f.uid()}", chat_ids=[chat_id]))
    material = welcome.create_material(context.uow(), a.actor, MaterialDraft.parse(kind="image", title=f"素材{f.uid(4)}",
                                                                                   url="https://x.cn/a.png"))
    message = welcome.save_welcome_message(context.uow(), a.actor, WelcomeDraft.parse(scope="way", text=f"欢迎{f.uid(4)}",
                                                                                      contact_way_id=way.id))
    experiment = experiments_service.create_experiment(context.uow(), a.actor, ExperimentDraft.holdout(
        name=f"实验{f.uid()}", holdout_percent=10))
    experiments_service.assign(context.uow(), a.actor, experiment.id, [made[0].id])
    moment = moments_service.create_moment(context.uow(), a.actor, MomentDraft.parse(  # recorded, not sent
        text=f"朋友圈{f.uid()}", staff_ids=[member.id]))
    cost = channels_service.add_cost(
        context.uow(), a.actor, channel.id, CostDraft.parse(period_start=date(2026, 1, 1), period_end=date(2026, 1, 31), amount="1")
    )
    opted = contact_pressure.opt_out(context.uow(), a.actor, made[0].id, source="customer_request", note=f"secret-note-{f.uid()}")
    contact_pressure.update_rules(context.uow(), a.actor, ContactRules(per_day=3, quiet_start=1290, quiet_end=480))
    source_order_id = f"secret-order-{f.uid()}"
    [placed] = orders_service.record_orders(context.uow(), a.actor, [{
        "source": "mall", "order_id": source_order_id, "ordered_at": "2026-01-01T00:00:00Z", "amount": "10",
        "identities": {"phone": customers_service.get_customer(context.uow(), a.actor, made[0].id).identities[0].value},
    }])
    send = mass_sends_service.create_mass_send(context.uow(), a.actor, MassSendDraft.parse(
        name=f"群发{f.uid(4)}", text="春季上新", customer_ids=[made[0].id]))  # recorded, not run (no worker here)
    with context.uow() as uow:  # a guide task and a lifecycle rule of A's
        task_id = guide_tasks.add_source_task_in(uow, a.actor.tenant_id, staff_id=member.id, customer_id=made[0].id, kind="greet",
                                                 title=f"任务{f.uid()}", script="", due_at=utcnow(), source_kind="journey",
                                                 source_key=f.uid())
        uow.commit()
    task_title = guide_tasks.get_task(context.uow(), a.actor, task_id).title
    rule = guide_tasks.create_rule(context.uow(), a.actor, RuleDraft.parse(stage_id=stage.id, days=3, kind="follow_up",
                                                                           title=f"规则{f.uid()}", script=""))
    journey = journeys_service.create_from_template(context.uow(), a.actor, "birthday", name=f"旅程{f.uid(4)}")
    with tempfile.TemporaryDirectory() as folder:  # an add-friend batch of A's, with one number
        phone_list = Path(folder) / "list.csv"
        phone_list.write_text(f"phone,staff\n13999999996,{member.wecom_userid}\n", encoding="utf-8")
        batch = add_friend.create_batch(context.uow(), a.actor, BatchDraft.parse(name=f"加好友{f.uid()}"), phone_list)
    [number] = add_friend.list_numbers(context.uow(), a.actor, batch.batch_id).items
    ids = {
        "batch_id": batch.batch_id, "number_id": number.id,
        "journey_id": journey.id,
        "send_id": send.id,
        "task_id": task_id, "rule_id": rule.id,
        "region_id": region.id, "store_id": store.id, "staff_id": member.id, "token_id": token.id,
        "customer_id": made[0].id, "tag_id": tag.id, "stage_id": stage.id, "key": field.key, "merge_id": merge.id,
        "first_id": made[0].id, "second_id": other.id, "import_id": run.id, "order_import_id": order_run.id,
        "channel_id": channel.id, "cost_id": cost.id, "order_id": placed.order_id,
        "way_id": way.id, "material_id": material.id, "message_id": message.id,
        "group_code_id": group_code.id, "chat_id": chat_id,
        "run_id": sync_run.id, "transfer_id": transfer_id, "takeover_id": second_member.id,
        "experiment_id": experiment.id, "moment_id": moment.id, "segment_id": segment.id,
    }
    markers = [region.name, store.name, member.wecom_userid, token.name, made[0].name, tag.name, stage.name, field.label, run.filename, order_run.filename, channel.name,
               source_order_id, opted.note, corp, way.name, way.state, material.title, message.text, send.name, task_title, rule.title, journey.name,
               experiment.name, moment.text, segment.name, add_friend.get_batch(context.uow(), a.actor, batch.batch_id).batch.name,
               group_code.name, group_code.state, chat_id]
    return a, ids, markers


def test_every_route_hides_another_tenants_objects(context, client):
    a, ids, markers = _tenant_a(context)
    b = api_tenant(context)
    f.store(context, b.actor)
    watched = ("/api/v1/regions", "/api/v1/stores", "/api/v1/staff", "/api/v1/tokens", "/api/v1/customers",
               f"/api/v1/customers/{ids['customer_id']}", "/api/v1/tags", "/api/v1/stages", "/api/v1/fields", "/api/v1/merges",
               "/api/v1/imports", f"/api/v1/imports/{ids['import_id']}/errors", "/api/v1/order-imports",
               f"/api/v1/order-imports/{ids['order_import_id']}/errors", "/api/v1/channels",
               f"/api/v1/channels/{ids['channel_id']}/costs", "/api/v1/orders", "/api/v1/orders/unmatched", "/api/v1/events",
               f"/api/v1/customers/{ids['customer_id']}/orders", "/api/v1/wecom/settings", "/api/v1/contact-ways",
               "/api/v1/materials", "/api/v1/welcome-messages", "/api/v1/wecom/syncs", "/api/v1/group-codes",
               f"/api/v1/group-codes/{ids['group_code_id']}",
               "/api/v1/alerts", "/api/v1/alerts/counts", "/api/v1/alerts/settings", "/api/v1/transfers",
               "/api/v1/contact-rules", "/api/v1/opt-outs",
               "/api/v1/mass-sends", f"/api/v1/mass-sends/{ids['send_id']}",
               "/api/v1/guide-tasks", "/api/v1/guide-tasks/rules", "/api/v1/guide-tasks/leaderboard?level=store",
               "/api/v1/journeys", f"/api/v1/journeys/{ids['journey_id']}/steps",
               "/api/v1/experiments", f"/api/v1/experiments/{ids['experiment_id']}/report",
               "/api/v1/moments", f"/api/v1/moments/{ids['moment_id']}",
               "/api/v1/segments", f"/api/v1/segments/{ids['segment_id']}",
               "/api/v1/add-friend-batches", f"/api/v1/add-friend-batches/{ids['batch_id']}",
               f"/api/v1/add-friend-batches/{ids['batch_id']}/numbers")
    before = {path: client.get(path, headers=a.headers).json() for path in watched}

    checked = 0
    for method, template, body_name in _api_routes(client.app):
        params = re.findall(r"{(\w+)}", template)
        missing = [p for p in params if p not in ids]
        assert not missing, f"{method} {template}: teach this test the path parameter(s) {missing}"
        path = template.format(**{p: ids[p] for p in params})
        body = files = None
        if body_name in UPLOADS:
            files = UPLOADS[body_name]
        elif body_name is not None:
            bodies = {**BODIES, **_tenant_a_bodies(ids)}
            assert body_name in bodies, f"{method} {template}: teach this test a valid {body_name} body"
            body = bodies[body_name]
        response = client.request(method, path, json=body, files=files, headers=b.headers)
        if params or body_name in _tenant_a_bodies(ids):
            assert response.status_code in (403, 404, 422), f"{method} {path} as tenant B -> {response.status_code}"
        else:
            for marker in markers:
                assert marker not in response.text, f"{method} {template} leaked {marker!r} to tenant B"
        checked += 1
    assert checked >= 15

    after = {path: client.get(path, headers=a.headers).json() for path in before}
    assert after == before, "tenant B's requests changed tenant A's data"


def test_every_api_route_refuses_anonymous_callers(context, client):
    _, ids, _ = _tenant_a(context)
    for method, template, body_name in _api_routes(client.app):
        path = template.format(**ids) if "{" in template else template
        response = client.request(method, path, json={**BODIES, **_tenant_a_bodies(ids)}.get(body_name or ""))
        assert response.status_code == 401, f"{method} {path} -> {response.status_code}"


def test_a_revoked_token_of_the_right_tenant_is_refused_everywhere(context, client):
    a, ids, _ = _tenant_a(context)
    issued = tokens.create_api_token(context.uow(), a.actor, name="gone", role=Role.ADMIN)
    tokens.revoke_api_token(context.uow(), a.actor, issued.token.id)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    for method, template, body_name in _api_routes(client.app):
        path = template.format(**ids) if "{" in template else template
        body = {**BODIES, **_tenant_a_bodies(ids)}.get(body_name or "")
        assert client.request(method, path, json=body, headers=headers).status_code == 401
