"""An Idempotency-Key is honoured for TFP_IDEMPOTENCY_HOURS (24 by default) after its first
use, then it is new again; a setting out of bounds stops start-up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from service import create_app
from service.evaluations import idempotency_hours
from tfp_rules.store import connection


@pytest.fixture
def now(monkeypatch):
    """The store's clock, moved by the test: every Store the service opens reads it."""
    moment = [datetime(2026, 11, 25, 9, tzinfo=UTC)]
    monkeypatch.setattr(connection, "_utcnow", lambda: moment[0])
    return moment


def make_app(app, **config):
    """Another app on the same database and rulesets as `app`, with settings of its own."""
    return create_app({"DATABASE": app.config["DATABASE"], "TESTING": True, **config})


def post(client, auth, doc, key):
    return client.post(
        "/v1/evaluations",
        data=json.dumps(doc),
        headers=auth(**{"Idempotency-Key": key}),
        content_type="application/json",
    )


def test_the_lifetime_defaults_to_a_day_and_comes_from_the_environment(app, monkeypatch):
    assert app.config["IDEMPOTENCY_HOURS"] == 24
    monkeypatch.setenv("TFP_IDEMPOTENCY_HOURS", "6")
    assert make_app(app).config["IDEMPOTENCY_HOURS"] == 6
    assert make_app(app, IDEMPOTENCY_HOURS=2).config["IDEMPOTENCY_HOURS"] == 2  # config wins


@pytest.mark.parametrize("value", ["0", "-1", "721", "1.5", "a day", "", True])
def test_a_lifetime_out_of_bounds_stops_start_up_naming_the_setting(app, monkeypatch, value):
    monkeypatch.setenv("TFP_IDEMPOTENCY_HOURS", str(value))
    with pytest.raises(ValueError, match="TFP_IDEMPOTENCY_HOURS"):
        make_app(app)
    with pytest.raises(ValueError, match="from 1 to 720"):
        idempotency_hours(value)


def test_a_key_is_new_again_once_its_lifetime_has_passed(app, auth, example, store, now):
    client = make_app(app, IDEMPOTENCY_HOURS=1).test_client()
    first = post(client, auth, example, "batch-7")
    assert first.status_code == 201
    now[0] += timedelta(minutes=59)
    again = post(client, auth, example, "batch-7")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    other = {**example, "family_ref": "STK-2019-000999"}
    assert post(client, auth, other, "batch-7").status_code == 409  # still live: a conflict
    now[0] += timedelta(minutes=1)
    # an hour after its first use the key is new: other facts make a decision, not a 409
    later = post(client, auth, other, "batch-7")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert later.get_json()["id"] != first.get_json()["id"]
    assert later.get_json()["family_ref"] == "STK-2019-000999"
    assert [r["decision_id"] for r in store.db["idempotency"].rows] == [later.get_json()["id"]]
