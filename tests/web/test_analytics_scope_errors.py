"""A dashboard asked for a store, region or channel the tenant does not have says so (400), on the
page and for its CSV, instead of showing an empty answer as if it were real."""

from __future__ import annotations

from tests.analytics import history as h
from tests.web.conftest import Browser, Org


def test_a_store_region_or_channel_not_of_the_tenant_is_an_error_on_the_page(signed_in: Browser, org: Org) -> None:
    region = org.region("华东")
    store = org.store("东店", region=region)
    channel = h.channel(org.context, org.tenant.id, "公众号", "gzh")
    fine = signed_in.get(f"/analytics/rfm?as_of=2026-03-31&store={store.id}&region={region.id}&channel={channel}")
    assert fine.status_code == 200 and 'alert-error' not in fine.text

    page = signed_in.get(f"/analytics/rfm?as_of=2026-03-31&store={store.id + 1000}")
    assert page.status_code == 400 and f"没有编号为 {store.id + 1000} 的门店" in page.text
    assert f'<option value="{store.id}">东店</option>' in page.text  # the pickers are still there to choose again
    funnel = signed_in.get(f"/analytics/funnel?start=2026-03-01&end=2026-03-31&region={region.id + 1000}")
    assert funnel.status_code == 400 and f"没有编号为 {region.id + 1000} 的区域" in funnel.text
    overview = signed_in.get(f"/analytics?channel={channel + 1000}")
    assert overview.status_code == 400 and f"没有编号为 {channel + 1000} 的渠道" in overview.text

    export = signed_in.get(f"/analytics/ltv.csv?table=customers&store={store.id + 1000}")
    assert export.status_code == 400 and export.text == f"没有编号为 {store.id + 1000} 的门店"
