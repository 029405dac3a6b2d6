"""A stored decision is explained with the rules that made it, even after newer ones are
published, and says so when the version now in force would decide differently."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from service import create_app
from tests.published import publish_all
from tfp_rules.library import RulesetLibrary
from tfp_rules.store import Store

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = ROOT / "rulesets" / "national" / "2015.1.yaml"
FAMILY = json.loads((ROOT / "fixtures" / "families" / "two_headlines_eligible.json").read_text())


@pytest.fixture
def served(tmp_path):
    """A service on its own rulesets directory (national@2015.1 published), a reviewer's
    headers, and a way to add a version taking effect 1 April 2016 that needs 3 headlines."""
    rulesets = tmp_path / "rulesets"
    (rulesets / "national").mkdir(parents=True)
    shutil.copy(NATIONAL, rulesets / "national" / "2015.1.yaml")
    publish_all(rulesets)
    app = create_app(
        {
            "DATABASE": str(tmp_path / "tfp.sqlite"),
            "RULESETS": str(rulesets),
            "RULESETS_CHECK_SECONDS": 0,
            "TESTING": True,
        }
    )
    with Store(app.config["DATABASE"]) as store:
        headers = {"Authorization": f"Bearer {store.create_key('reviewer', 'since test')[1]}"}

    def add_version(*, publish: bool) -> None:
        text = (
            NATIONAL.read_text()
            .replace('version: "2015.1"', 'version: "2016.1"')
            .replace("effective_from: 2015-04-01", "effective_from: 2016-04-01")
            .replace("  headlines_required:\n    value: 2", "  headlines_required:\n    value: 3")
        )
        (rulesets / "national" / "2016.1.yaml").write_text(text)
        if publish:
            publish_all(rulesets)

    return app, app.test_client(), headers, add_version


def decide(app, client, headers) -> str:
    with Store(app.config["DATABASE"]) as store:
        submitter = {"Authorization": f"Bearer {store.create_key('submitter', 'partner')[1]}"}
    made = client.post("/v1/evaluations", json=FAMILY, headers=submitter)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["status"] == "eligible"
    return made.get_json()["id"]


def test_a_newer_published_version_that_decides_differently_is_named(served):
    app, client, headers, add_version = served
    decision_id = decide(app, client, headers)
    add_version(publish=True)
    view = client.get(f"/v1/decisions/{decision_id}", headers=headers).get_json()
    assert view["status"] == "eligible"  # the decision stands as made
    assert view["ruleset"]["version"] == "2015.1"
    assert view["rules_since"] == {
        "made_with": "national@2015.1",
        "in_force": {
            "ref": "national@2016.1",
            "effective_from": "2016-04-01",
            "status": "not_eligible",
            "headlines_met": ["H1", "H6"],
            "decides_differently": True,
        },
    }
    summary = client.get(f"/v1/decisions/{decision_id}?format=text", headers=headers)
    assert summary.get_data(as_text=True).splitlines()[1] == (
        "Newer rules (national@2016.1) apply to this assessment date and would decide "
        "differently: not eligible (headlines met: H1, H6). This decision stands until a new "
        "one is asked for."
    )
    text = client.get(f"/v1/decisions/{decision_id}?explain=full", headers=headers).get_data(
        as_text=True
    )
    lines = text.splitlines()
    assert lines[1].startswith("Ruleset national@2015.1 ")  # explained with its own rules
    assert lines[2] == (
        "Rules since: national@2016.1 is now in force for this assessment date and would "
        "decide differently: NOT ELIGIBLE (headlines met: H1, H6). This decision, made with "
        "national@2015.1, stands until a new one is asked for."
    )
    # a new decision on the same facts is made with the version in force
    assert decide_again(app, client) == "national@2016.1"


def decide_again(app, client) -> str:
    with Store(app.config["DATABASE"]) as store:
        submitter = {"Authorization": f"Bearer {store.create_key('submitter', 'again')[1]}"}
    made = client.post("/v1/evaluations", json=FAMILY, headers=submitter).get_json()
    return f"{made['ruleset']['id']}@{made['ruleset']['version']}"


def test_a_draft_changes_nothing_until_it_is_published(served):
    app, client, headers, add_version = served
    decision_id = decide(app, client, headers)
    add_version(publish=False)
    view = client.get(f"/v1/decisions/{decision_id}", headers=headers).get_json()
    assert "rules_since" not in view
    for query in ("?format=text", "?explain=full"):
        text = client.get(f"/v1/decisions/{decision_id}{query}", headers=headers)
        assert "Rules since" not in text.get_data(as_text=True)
        assert "Newer rules" not in text.get_data(as_text=True)


def test_a_version_in_force_that_decides_the_same_says_so(served):
    app, client, headers, _ = served
    decision_id = decide(app, client, headers)
    text = NATIONAL.read_text().replace('version: "2015.1"', 'version: "2016.1"')
    rulesets = Path(app.config["RULESETS"])
    (rulesets / "national" / "2016.1.yaml").write_text(
        text.replace("effective_from: 2015-04-01", "effective_from: 2016-04-01")
    )
    publish_all(rulesets)
    view = client.get(f"/v1/decisions/{decision_id}", headers=headers).get_json()
    assert view["rules_since"]["in_force"]["decides_differently"] is False
    assert "; it would decide the same." in client.get(
        f"/v1/decisions/{decision_id}?explain=full", headers=headers
    ).get_data(as_text=True)
    assert "; they would decide the same." in client.get(
        f"/v1/decisions/{decision_id}?format=text", headers=headers
    ).get_data(as_text=True)


def test_a_file_changed_since_the_decision_is_said(served):
    """Decisions made before publishing pinned the files: the trace as made is shown."""
    app, client, headers, _ = served
    decision_id = decide(app, client, headers)
    [national] = list(RulesetLibrary.from_directory(app.config["RULESETS"]))
    app.extensions["tfp.library"] = RulesetLibrary([dataclasses.replace(national, sha256="f" * 64)])
    view = client.get(f"/v1/decisions/{decision_id}", headers=headers).get_json()
    assert view["rules_since"] == {
        "made_with": "national@2015.1",
        "file_changed": {"then": national.sha256, "now": "f" * 64},
    }
    text = client.get(f"/v1/decisions/{decision_id}?explain=full", headers=headers).get_data(
        as_text=True
    )
    assert "Rules since: the file of national@2015.1 has changed since this decision" in text
    summary = client.get(f"/v1/decisions/{decision_id}?format=text", headers=headers)
    assert "(national@2015.1) have changed since it was made; this summary reads it as made." in (
        summary.get_data(as_text=True)
    )
