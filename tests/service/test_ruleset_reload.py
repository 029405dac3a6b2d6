"""Ruleset files that change while the service runs: a whole new set is served without a
restart; a broken one is refused, naming the file, and the versions loaded keep serving."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from service import create_app
from tests.published import publish_all
from tfp_rules.store import Store

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = ROOT / "rulesets" / "national" / "2015.1.yaml"
EXAMPLE = json.loads((ROOT / "tests" / "data" / "example_facts.json").read_text())


@pytest.fixture
def served(tmp_path):
    rulesets = tmp_path / "rulesets" / "national"
    rulesets.mkdir(parents=True)
    shutil.copy(NATIONAL, rulesets / "2015.1.yaml")
    publish_all(tmp_path / "rulesets")
    app = create_app(
        {
            "DATABASE": str(tmp_path / "tfp.sqlite"),
            "RULESETS": str(tmp_path / "rulesets"),
            "RULESETS_CHECK_SECONDS": 0,  # look at the files on every request
            "TESTING": True,
        }
    )
    with Store(app.config["DATABASE"]) as store:
        token = store.create_key("submitter", "reload test")[1]
    client = app.test_client()

    def post():
        return client.post(
            "/v1/evaluations", json=EXAMPLE, headers={"Authorization": f"Bearer {token}"}
        )

    return client, post, rulesets


def test_a_broken_file_is_refused_naming_it_and_the_loaded_versions_keep_serving(served, caplog):
    client, post, rulesets = served
    before = post()
    assert before.status_code == 201
    sha = before.get_json()["ruleset"]["sha256"]
    (rulesets / "2015.1.yaml").write_text(NATIONAL.read_text()[:900])  # cut off mid-write
    with caplog.at_level(logging.ERROR, logger="tfp.service"):
        after = post()
    assert after.status_code == 201
    assert after.get_json()["ruleset"]["sha256"] == sha  # still the version loaded
    health = client.get("/healthz").get_json()
    assert health["rulesets"] == ["national@2015.1"]
    [problem, *_] = health["rulesets_refused"]["problems"]
    assert "2015.1.yaml" in problem
    assert any(
        "2015.1.yaml" in r.getMessage() and "not reloaded" in r.getMessage() for r in caplog.records
    )


def test_a_new_whole_set_of_files_is_served_without_a_restart(served):
    client, post, rulesets = served
    (rulesets / "2015.1.yaml").write_text("not: [valid")  # refused first ...
    assert "rulesets_refused" in client.get("/healthz").get_json()
    newer = (
        NATIONAL.read_text()
        .replace('version: "2015.1"', 'version: "2018.1"')
        .replace("effective_from: 2015-04-01", "effective_from: 2018-04-01")
    )
    shutil.copy(NATIONAL, rulesets / "2015.1.yaml")  # ... then mended, with a version added
    (rulesets / "2018.1.yaml").write_text(newer)
    health = client.get("/healthz").get_json()
    assert health["rulesets"] == ["national@2015.1"]  # 2018.1 is loaded, but a draft
    assert "rulesets_refused" not in health
    assert post().get_json()["ruleset"]["version"] == "2015.1"
    publish_all(rulesets.parent)  # published: the register changed, so it is reloaded
    assert client.get("/healthz").get_json()["rulesets"] == ["national@2015.1", "national@2018.1"]
    assert post().get_json()["ruleset"]["version"] == "2018.1"  # in force on 31 March 2019
