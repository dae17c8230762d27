"""The journey page shows, per step, why customers left (contact pressure included) and who waits for quiet hours, in Chinese."""

from __future__ import annotations

from tests.integration.journey_setup import pressured_journey


def test_the_journey_page_explains_exclusions_and_waits(org, signed_in):
    journey_id, _ = pressured_journey(org.context, org.system)
    shown = signed_in.get(f"/journeys/{journey_id}")
    assert shown.status_code == 200
    text = shown.text
    assert "已退订 1" in text  # dropped: opted out
    assert "2 人等待中：免打扰时段" in text  # in the step: waiting for the quiet hours to end
    assert "消息步骤遵守触达规则" in text
