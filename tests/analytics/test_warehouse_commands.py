"""`siyu warehouse sync|status`, `siyu analytics rfm|cohorts|channels` and the worker's sync task."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from siyu.cli import warehouse as warehouse_cli
from siyu.cli.main import app
from siyu.services import warehouse_freshness
from tests import factories as f
from tests.analytics import history as h


@pytest.fixture
def cli(context, monkeypatch):
    from siyu.observability import configure_logging

    configure_logging(context.settings)  # as the real _context does: logs to stderr, answers to stdout
    monkeypatch.setattr(warehouse_cli, "_context", lambda: context)
    return CliRunner()


def test_sync_then_ask_from_the_command_line(context, cli) -> None:
    tenant, admin = f.tenant(context)
    shop = f.store(context, admin)
    guide = f.member(context, admin, store_id=shop.id)
    gzh = h.channel(context, tenant.id, "公众号", "gzh")
    (one,) = f.customers_of(context, admin, 1)
    h.follow(context, tenant.id, one.id, guide.id, h.sh(2026, 3, 2), "gzh")
    h.order(context, tenant.id, one.id, h.sh(2026, 3, 3), "88.00", channel_id=gzh)

    synced = cli.invoke(app, ["warehouse", "sync", "--tenant", tenant.slug])
    assert synced.exit_code == 0, synced.output
    assert "version 1" in synced.output
    status = json.loads(cli.invoke(app, ["warehouse", "status", "--tenant", tenant.slug]).stdout)
    assert status["version"] == 1 and status["tenant_id"] == tenant.id
    again = cli.invoke(app, ["warehouse", "sync", "--tenant", tenant.slug])  # only the marked blocks: none
    assert again.exit_code == 0 and "0 written" in again.output and "checked whole" not in again.output, again.output
    checked = cli.invoke(app, ["warehouse", "sync", "--tenant", tenant.slug, "--full"])  # every block, as asked
    assert checked.exit_code == 0 and "checked whole: regions" in checked.output and "version 1" in checked.output, checked.output

    rfm = json.loads(cli.invoke(app, ["analytics", "rfm", "--tenant", tenant.slug, "--as-of", "2026-03-31"]).stdout)
    # one buyer: n = 1, every score 1 + floor(5 * 0 / 1) = 1 -> hibernating
    assert [(c["customer_id"], c["monetary"], c["r"], c["f"], c["segment"]) for c in rfm["customers"]] == [
        (one.id, "88.00", 1, 1, "hibernating")]
    channels = json.loads(cli.invoke(app, ["analytics", "channels", "--tenant", tenant.slug, "--start", "2026-03-01",
                                           "--end", "2026-03-31", "--as-of", "2026-04-30"]).stdout)
    assert [(c["name"], c["adds"], c["gmv"], c["roi"]) for c in channels] == [("公众号", 1, "88.00", None)]
    cohorts = json.loads(cli.invoke(app, ["analytics", "cohorts", "--tenant", tenant.slug, "--since", "2026-03-01",
                                          "--until", "2026-03-31", "--months", "1", "--as-of", "2026-04-30"]).stdout)
    assert [(c["month"], c["size"]) for c in cohorts["cohorts"]] == [("2026-03-01", 1)]
    share = json.loads(cli.invoke(app, ["analytics", "private-domain", "--tenant", tenant.slug, "--since", "2026-03-01",
                                        "--until", "2026-03-31"]).stdout)
    assert [(m["month"], m["private_gmv"], m["share"]) for m in share] == [("2026-03-01", "88.00", 1.0)]


def test_bad_input_is_a_clear_error(context, cli) -> None:
    tenant, _ = f.tenant(context)
    missing = cli.invoke(app, ["warehouse", "sync", "--tenant", "no-such-brand"])
    assert missing.exit_code == 1 and "no tenant" in missing.output
    bad_day = cli.invoke(app, ["analytics", "rfm", "--tenant", tenant.slug, "--as-of", "31/03/2026"])
    assert bad_day.exit_code == 2 and "not a date" in bad_day.output
    backwards = cli.invoke(app, ["analytics", "channels", "--tenant", tenant.slug, "--start", "2026-03-31", "--end", "2026-03-01"])
    assert backwards.exit_code == 1 and "ends before it starts" in backwards.output


def test_the_worker_task_syncs_every_tenant(context) -> None:
    first, admin = f.tenant(context)
    f.customers_of(context, admin, 2)
    assert context.tasks["sync_warehouse"].call_local() > 0
    with context.warehouse() as wh:
        assert warehouse_freshness.sync_status(wh, first.id).version == 1
    assert context.tasks["sync_warehouse"].call_local() == 0  # nothing new
