"""The journey step counts in the API say why customers left a message step and who waits for quiet hours."""

from __future__ import annotations

from tests.api.conftest import api_tenant
from tests.integration.journey_setup import pressured_journey


def test_step_counts_give_the_contact_pressure_reasons(context, client):
    a = api_tenant(context)
    journey_id, _ = pressured_journey(context, a.actor)
    steps = client.get(f"/api/v1/journeys/{journey_id}/steps", headers=a.headers)
    assert steps.status_code == 200
    assert steps.json() == [{"step_id": "hello", "kind": "message", "in_step": 2, "passed": 0, "dropped": 1,
                             "dropped_by": {"opted_out": 1}, "waiting_by": {"quiet_hours": 2}}]
