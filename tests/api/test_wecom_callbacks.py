"""The callback endpoint end to end over HTTP: URL check, every event kind, idempotency under
WeCom's retries and replays, forgeries, and the customer model the events drive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.adapters.channels.wecom.crypto import CallbackCrypto
from siyu.domain.customers import CustomerRecord, RelationState
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.paging import PageRequest
from siyu.domain.timeline import EventKind
from siyu.services import customers, wecom_settings
from siyu.testing.fake_wecom import FakeWeCom, sealed, url_check
from tests import factories as f
from tests.api.wecom_setup import AES_KEY, TOKEN, link

ADD, DEL_BY_STAFF, DEL_BY_CUSTOMER = "add_external_contact", "del_external_contact", "del_follow_user"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _customer_of(context, tenant_id, external):
    key = IdentityKey(IdentityKind.WECOM_EXTERNAL, external)
    with context.uow() as uow:
        return uow.identities.owners(tenant_id, [key]).get(key)


def _receipts(context, linked):
    return wecom_settings.list_callbacks(context.uow(), linked.admin, PageRequest(page_size=200)).items


def _timeline(context, linked, customer_id):
    return [e.kind for e in customers.timeline(context.uow(), linked.admin, customer_id).items]


def test_the_url_check_answers_the_plaintext_bare(context, client):
    linked = link(context, None, corp_id="ww1436e0e65a779aee")
    params = {"msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "timestamp": "1476416373", "nonce": "47744683",
              "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="}
    response = client.get(linked.url, params=params)
    assert response.status_code == 200 and response.content == b"1288432023552776189"
    assert client.get(linked.url, params=url_check(linked.crypto, "echo-42")).text == "echo-42"
    assert client.get(linked.url, params={**params, "msg_signature": "0" * 40}).status_code == 403


def test_tencents_sample_message_is_genuine_but_not_an_event(context, client):
    linked = link(context, None, corp_id="ww1436e0e65a779aee")
    encrypt = ("Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+"
               "Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbj"
               "bfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGX"
               "Ayh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+")
    params = {"msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "timestamp": "1476422779", "nonce": "1597212914"}
    response = client.post(linked.url, params=params, content=f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode())
    assert response.status_code == 200 and response.text == "success"
    assert _receipts(context, linked) == []


def test_an_add_creates_the_customer_and_relation_then_the_worker_fetches_details(context, client, fake):
    linked = link(context, fake)
    fake.corp.add_contact("wmNew01", name="李雷", unionid="o-union-lilei", gender=1,
                          follows={linked.staff.wecom_userid: {"state": "tmall-618", "add_way": 1, "remark": "天猫客户"}})
    response = linked.contact_event(client, ADD, "wmNew01", State="tmall-618", WelcomeCode="wc-1")
    assert response.status_code == 200 and response.text == "success"

    customer_id = _customer_of(context, linked.tenant.id, "wmNew01")
    detail = customers.get_customer(context.uow(), linked.admin, customer_id)
    assert detail.customer.name == "李雷" and int(detail.customer.gender) == 1  # from externalcontact/get, via the queue
    assert {(i.kind, i.value) for i in detail.identities} == {(IdentityKind.WECOM_EXTERNAL, "wmNew01"),
                                                               (IdentityKind.UNIONID, "o-union-lilei")}
    [relation] = [r.relation for r in detail.relations]
    assert (relation.staff_id, relation.state, relation.channel_state, relation.add_way, relation.remark) == (
        linked.staff.id, RelationState.ACTIVE, "tmall-618", 1, "天猫客户")
    assert detail.customer.owner_staff_id == linked.staff.id
    assert EventKind.RELATION_ADDED in _timeline(context, linked, customer_id)
    [receipt] = _receipts(context, linked)
    assert receipt.change_type == ADD and receipt.deliveries == 1 and f"customer {customer_id}" in receipt.outcome
    assert fake.corp.count("/cgi-bin/externalcontact/get") == 1


def test_wecoms_retries_and_replays_change_nothing_the_second_time(context, client, fake):
    linked = link(context, fake)
    fake.corp.add_contact("wmRetry", follows={linked.staff.wecom_userid: {"state": "s1"}})
    xml = linked.xml("change_external_contact", ADD, UserID=linked.staff.wecom_userid, ExternalUserID="wmRetry", State="s1")
    assert linked.send(client, xml).text == "success"
    customer_id = _customer_of(context, linked.tenant.id, "wmRetry")
    timeline_before = _timeline(context, linked, customer_id)
    for _ in range(3):  # WeCom retries up to 3 times, each a freshly sealed envelope
        assert linked.send(client, xml).text == "success"
    params, body = sealed(linked.crypto, xml)
    for _ in range(2):  # a captured delivery replayed byte for byte
        assert client.post(linked.url, params=params, content=body).text == "success"
    assert _timeline(context, linked, customer_id) == timeline_before
    [receipt] = _receipts(context, linked)
    assert receipt.deliveries == 6
    assert fake.corp.count("/cgi-bin/externalcontact/get") == 1  # the details were fetched once
    with context.uow() as uow:
        assert len(uow.relations.for_customer(linked.tenant.id, customer_id)) == 1


def test_deletions_by_either_side_end_the_relation_on_the_timeline(context, client, fake):
    linked = link(context, fake)
    for external in ("wmDelA", "wmDelB", "wmDelC"):
        fake.corp.add_contact(external, follows={linked.staff.wecom_userid: {}})
        linked.contact_event(client, ADD, external, create_time=1_800_000_000)
    linked.contact_event(client, DEL_BY_CUSTOMER, "wmDelA", create_time=1_800_000_100)
    linked.contact_event(client, DEL_BY_STAFF, "wmDelB", create_time=1_800_000_100)
    linked.contact_event(client, DEL_BY_STAFF, "wmDelC", create_time=1_800_000_100, Source="DELETE_BY_TRANSFER")
    expected = {"wmDelA": RelationState.DELETED_BY_CUSTOMER, "wmDelB": RelationState.DELETED_BY_STAFF,
                "wmDelC": RelationState.TRANSFERRED}
    for external, state in expected.items():
        customer_id = _customer_of(context, linked.tenant.id, external)
        with context.uow() as uow:
            [relation] = uow.relations.for_customer(linked.tenant.id, customer_id)
        assert relation.state is state and relation.ended_at is not None
        assert _timeline(context, linked, customer_id).count(EventKind.RELATION_CHANGED) == 1


def test_the_unionid_joins_the_wecom_contact_to_a_customer_known_from_elsewhere(context, client, fake):
    linked = link(context, fake)
    known = customers.create_customer(context.uow(), linked.admin, CustomerRecord(keys=(IdentityKey(IdentityKind.UNIONID, "o-shared"),)))
    fake.corp.add_contact("wmShared", name="韩梅梅", unionid="o-shared", follows={linked.staff.wecom_userid: {}})
    linked.contact_event(client, ADD, "wmShared")
    survivor = _customer_of(context, linked.tenant.id, "wmShared")
    assert survivor == known.customer_id  # the older customer survives the merge
    assert customers.get_customer(context.uow(), linked.admin, survivor).customer.name == "韩梅梅"


@pytest.mark.parametrize(("event", "change_type", "fields"), [
    ("change_external_contact", "edit_external_contact", {"ExternalUserID": "wmAny"}),
    ("change_external_contact", "add_half_external_contact", {"ExternalUserID": "wmAny", "State": "s"}),
    ("change_external_contact", "transfer_fail", {"ExternalUserID": "wmAny", "FailReason": "customer_refused"}),
    ("change_external_chat", "create", {"ChatId": "wrChat1"}),
    ("change_external_chat", "update", {"ChatId": "wrChat1", "UpdateDetail": "add_member", "JoinScene": "1", "MemChangeCnt": "2"}),
    ("change_external_chat", "dismiss", {"ChatId": "wrChat1"}),
    ("change_external_tag", "create", {"Id": "etTag1", "TagType": "tag"}),
    ("change_external_tag", "update", {"Id": "etTag1", "TagType": "tag_group"}),
    ("change_external_tag", "delete", {"Id": "etTag1", "TagType": "tag"}),
    ("change_external_tag", "shuffle", {"Id": "etTag1"}),
])
def test_every_event_kind_is_recorded_once(context, client, fake, event, change_type, fields):
    linked = link(context, fake)
    fake.corp.add_contact("wmAny", follows={linked.staff.wecom_userid: {}})
    xml = linked.xml(event, change_type, UserID=linked.staff.wecom_userid, **fields)
    assert linked.send(client, xml).text == "success"
    assert linked.send(client, xml).text == "success"
    [receipt] = _receipts(context, linked)
    assert (receipt.event, receipt.change_type, receipt.deliveries) == (event, change_type, 2)
    assert receipt.chat_id == fields.get("ChatId")
    if change_type == "transfer_fail":
        assert "customer_refused" in receipt.outcome


def test_an_add_from_an_unknown_staff_member_still_records_the_customer(context, client, fake):
    linked = link(context, fake)
    fake.corp.add_contact("wmOrphan", follows={"ghost": {}})
    response = linked.contact_event(client, ADD, "wmOrphan", userid="ghost")
    assert response.text == "success", response.text
    assert _customer_of(context, linked.tenant.id, "wmOrphan") is not None
    assert "unknown" in _receipts(context, linked)[0].outcome


def test_the_answer_does_not_wait_for_or_depend_on_the_details_fetch(context, client):
    linked = link(context, None, api_base_url="http://127.0.0.1:9")  # nothing listens there
    response = linked.contact_event(client, ADD, "wmOffline", State="s1")
    assert response.status_code == 200 and response.text == "success"
    customer_id = _customer_of(context, linked.tenant.id, "wmOffline")
    with context.uow() as uow:
        assert uow.relations.for_customer(linked.tenant.id, customer_id)[0].channel_state == "s1"


def test_forged_and_tampered_callbacks_are_rejected_logged_and_change_nothing(context, client, fake, capsys):
    linked = link(context, fake)
    xml = linked.xml("change_external_contact", ADD, UserID=linked.staff.wecom_userid, ExternalUserID="wmForged")
    forgers = {
        "wrong token": CallbackCrypto("someoneElsesToken", AES_KEY, linked.corp_id),
        "wrong key": CallbackCrypto(TOKEN, "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", linked.corp_id),
        "another corp": CallbackCrypto(TOKEN, AES_KEY, "wwanothercorp0001"),
    }
    for name, crypto in forgers.items():
        assert linked.send(client, xml, crypto=crypto).status_code == 403, name
    params, body = sealed(linked.crypto, xml)
    assert client.post(linked.url, params={**params, "timestamp": "1"}, content=body).status_code == 403
    assert client.post(linked.url, params=params, content=body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[A")).status_code == 403
    assert client.post(linked.url, params=params, content=b"<xml><Encrypt>").status_code == 403
    assert client.post("/callbacks/wecom/no-such-brand", params=params, content=body).status_code == 403
    assert _customer_of(context, linked.tenant.id, "wmForged") is None
    assert _receipts(context, linked) == []
    logged = capsys.readouterr()
    assert (logged.out + logged.err).count("wecom callback rejected") >= 7
    assert TOKEN not in logged.out + logged.err and AES_KEY not in logged.out + logged.err


def test_a_tenant_without_callback_settings_rejects_callbacks(context, client, fake):
    linked = link(context, fake)
    params, body = sealed(linked.crypto, linked.xml("change_external_contact", ADD, UserID="u", ExternalUserID="wmX"))
    bare, _ = f.tenant(context)
    assert client.post(f"/callbacks/wecom/{bare.slug}", params=params, content=body).status_code == 403
    assert client.post(linked.url, params=params, content=body).text == "success"


def test_the_refresh_is_queued_once_per_event_and_never_for_a_retry(context, fake):
    from siyu.services import wecom_callbacks

    linked = link(context, fake)
    queued: list[tuple[int, str]] = []
    xml = linked.xml("change_external_contact", ADD, UserID=linked.staff.wecom_userid, ExternalUserID="wmQueued")
    results = []
    for _ in range(3):
        params, body = sealed(linked.crypto, xml)
        results.append(wecom_callbacks.receive_callback(context.uow(), context.secret_box, linked.tenant.slug, body=body,
                                                        enqueue=lambda *args: queued.append(args), **params))
    assert queued == [(linked.tenant.id, "wmQueued")]
    assert [(r.duplicate, r.refresh_queued) for r in results] == [(False, True), (True, False), (True, False)]
    deleted = linked.xml("change_external_contact", DEL_BY_CUSTOMER, UserID=linked.staff.wecom_userid, ExternalUserID="wmQueued")
    params, body = sealed(linked.crypto, deleted)
    wecom_callbacks.receive_callback(context.uow(), context.secret_box, linked.tenant.slug, body=body,
                                     enqueue=lambda *args: queued.append(args), **params)
    assert len(queued) == 1  # a deletion needs no details


def test_an_oversized_body_is_refused_unread(context, client, fake):
    linked = link(context, fake)
    params, _ = sealed(linked.crypto, linked.xml("change_external_contact", ADD, UserID="u", ExternalUserID="wmBig"))
    response = client.post(linked.url, params=params, content=b"<xml>" + b"x" * 70_000 + b"</xml>")
    assert response.status_code == 403
    assert _receipts(context, linked) == []


def test_an_edit_refreshes_the_relation_from_wecom(context, client, fake):
    linked = link(context, fake)
    fake.corp.add_contact("wmEdit", name="旧名", follows={linked.staff.wecom_userid: {"remark": "旧备注", "add_way": 1}})
    linked.contact_event(client, ADD, "wmEdit", create_time=1_800_000_000)
    fake.corp.contacts["wmEdit"]["name"] = "新名"
    fake.corp.follows["wmEdit"][linked.staff.wecom_userid].update(remark="新备注", description="常买口红", add_way=3)
    linked.contact_event(client, "edit_external_contact", "wmEdit", create_time=1_800_000_050)
    customer_id = _customer_of(context, linked.tenant.id, "wmEdit")
    detail = customers.get_customer(context.uow(), linked.admin, customer_id)
    [relation] = [r.relation for r in detail.relations]
    assert (detail.customer.name, relation.remark, relation.description, relation.add_way) == ("新名", "新备注", "常买口红", 3)
    assert context.tasks["refresh_wecom_contact"].call_local(linked.tenant.id, "wmEdit") == customer_id  # the task itself


def test_secrets_sealed_under_another_server_key_reject_with_a_reason(context, client, fake, capsys):
    from siyu.adapters.secret_box import SecretBox

    linked = link(context, fake)
    context.secret_box = SecretBox("another-server-key-" + "k" * 32)
    response = linked.contact_event(client, ADD, "wmKeyChanged")
    assert response.status_code == 403
    logged = capsys.readouterr()
    assert "SIYU_SECRET_KEY" in logged.out + logged.err
    assert _customer_of(context, linked.tenant.id, "wmKeyChanged") is None
