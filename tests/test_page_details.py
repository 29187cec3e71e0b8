"""Small page details the accessibility review found: a score meter never above its max."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from advocacy.app import App
from advocacy.models import TagAssessment
from tests.websupport import seed_bill


def test_a_score_above_one_keeps_its_meter_within_range(app: App, advocate: TestClient) -> None:
    bill_id = seed_bill(app, app.now())
    with app.transaction() as session:
        session.query(TagAssessment).filter_by(bill_id=bill_id, tag="school_funding").one().score = 1.4
    page = advocate.get(f"/bills/{bill_id}").text
    meters = re.findall(r'<meter min="0" max="([0-9.]+)" value="([0-9.]+)"', page)
    assert meters and all(float(value) <= float(high) for high, value in meters)
    assert ("1.4", "1.4") in meters
