"""How big a request may be (issue 14): a body over MAX_CONTENT_LENGTH is 413 however it
arrives, a URI over MAX_URI_BYTES is 414 and headers over MAX_HEADER_BYTES are 431, all
problem+json, on every route, and nothing is stored.

Before: a chunked body was cut at 1 MiB and parsed, so 8 MiB got 400 "malformed JSON at
column 1048577", and valid facts padded with spaces to 1 MiB, then garbage, got 201.
"""

from __future__ import annotations

import io
import json

import pytest

LIMIT = 1024 * 1024


def assert_problem(r, status: int, slug: str) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert (body["status"], body["type"].rsplit("/", 1)[1]) == (status, slug)
    return body


def chunked(client, path: str, body: bytes, headers: dict[str, str]):
    """POST `body` with Transfer-Encoding: chunked and no Content-Length, as the WSGI server
    hands such a body on (werkzeug's test client sends the stream as it is)."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
    )


def padded(example: dict, total: int) -> bytes:
    """Valid facts, then spaces up to exactly LIMIT bytes, then garbage up to `total`."""
    doc = json.dumps(example).encode()
    return doc + b" " * (LIMIT - len(doc)) + b"x" * (total - LIMIT)


@pytest.fixture
def decision(client, auth, example) -> str:
    r = client.post("/v1/evaluations", json=example, headers=auth())
    assert r.status_code == 201
    return r.get_json()["id"]


def body_routes(decision: str) -> list[tuple[str, str]]:
    """Every route that takes a body, with the role that may call it."""
    return [
        ("/v1/evaluations", "submitter"),
        ("/v1/evaluations/batch", "submitter"),
        (f"/v1/decisions/{decision}/facts", "submitter"),
        (f"/v1/decisions/{decision}/reviews", "reviewer"),
        (f"/v1/decisions/{decision}/progress", "submitter"),
        # the size is checked before the view looks the progress decision up
        ("/v1/progress/any-progress-id/reviews", "reviewer"),
        ("/v1/claims", "reviewer"),
        ("/v1/claims/any-claim-id/withdraw", "admin"),
        ("/v1/rulesets/national/impact", "policy_officer"),
    ]


def test_the_routes_that_take_a_body_are_the_ones_checked_here(app, decision):
    takes_body = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.methods & {"POST", "PUT", "PATCH"} and not rule.endpoint.startswith("pages.")
    }  # the pages' forms: tests/service/pages/test_page_headers.py
    assert takes_body == {
        "/v1/evaluations",
        "/v1/evaluations/batch",
        "/v1/decisions/<decision_id>/facts",
        "/v1/decisions/<decision_id>/reviews",
        "/v1/decisions/<decision_id>/progress",
        "/v1/progress/<progress_id>/reviews",
        "/v1/claims",
        "/v1/claims/<claim_id>/withdraw",
        "/v1/rulesets/<ruleset_id>/impact",
    }
    assert len(body_routes(decision)) == len(takes_body)


@pytest.mark.parametrize("size", [LIMIT + 1, 1_088_576, 8 * LIMIT])
def test_a_chunked_body_over_the_limit_is_413_on_every_route(
    client, auth, example, store, decision, size
):
    for path, role in body_routes(decision):
        body = assert_problem(
            chunked(client, path, padded(example, size), auth(role)),
            413,
            "request-entity-too-large",
        )
        assert f"over {LIMIT} bytes" in body["detail"]
    assert [d.id for d in store.list_decisions()[0]] == [decision]  # nothing new stored
    assert store.get_decision(decision).reviews == []


def test_a_chunked_body_within_the_limit_is_read_whole(client, auth, example, store):
    doc = json.dumps({**example, "family_ref": "CHUNKED-1"}).encode()
    body = doc + b" " * (LIMIT - len(doc))  # exactly the limit
    r = chunked(client, "/v1/evaluations", body, auth())
    assert r.status_code == 201, r.get_data(as_text=True)[:300]
    assert r.get_json()["family_ref"] == "CHUNKED-1"
    # ... and one byte of garbage more is refused, not cut off and stored
    r = chunked(client, "/v1/evaluations", body + b"}", auth())
    assert_problem(r, 413, "request-entity-too-large")
    assert len(store.list_decisions()[0]) == 1


def test_a_body_over_the_limit_by_content_length_is_413_on_every_route(
    client, auth, example, store, decision
):
    for path, role in body_routes(decision):
        r = client.post(
            path,
            data=padded(example, LIMIT + 1),
            headers=auth(role),
            content_type="application/json",
        )
        assert_problem(r, 413, "request-entity-too-large")
    assert [d.id for d in store.list_decisions()[0]] == [decision]


def every_route(decision: str) -> list[tuple[str, str, str]]:
    return [
        ("GET", "/healthz", "admin"),
        ("GET", "/v1/openapi.json", "admin"),
        ("GET", "/v1/rulesets", "admin"),
        ("GET", "/v1/rulesets/national/2015.1", "admin"),
        ("GET", "/v1/decisions", "admin"),
        ("GET", f"/v1/decisions/{decision}", "admin"),
        ("GET", "/v1/audit", "admin"),
        ("POST", "/v1/evaluations", "submitter"),
        ("POST", "/v1/evaluations/batch", "submitter"),
        ("POST", f"/v1/decisions/{decision}/facts", "submitter"),
        ("POST", f"/v1/decisions/{decision}/reviews", "reviewer"),
    ]


def test_a_uri_over_the_limit_is_414_on_every_route(client, auth, decision, app):
    limit = app.config["MAX_URI_BYTES"]
    assert limit == 4096
    for method, path, role in every_route(decision):
        fill = "x" * (limit - len(path) - len("?q="))
        assert client.open(f"{path}?q={fill}", method=method, headers=auth(role)).status_code in {
            200,
            400,  # the route takes no q: the URI itself was fine
        }
        r = client.open(f"{path}?q={fill}x", method=method, headers=auth(role))
        body = assert_problem(r, 414, "request-uri-too-large")
        assert body["detail"] == f"the path and query are {limit + 1} bytes; at most {limit}"
    r = client.get("/" + "a" * 4100)  # no such route, no key: still 414, not 404 or 401
    assert_problem(r, 414, "request-uri-too-large")


def test_headers_over_the_limit_are_431_on_every_route(client, auth, decision, app):
    limit = app.config["MAX_HEADER_BYTES"]
    assert limit == 16 * 1024
    for method, path, role in every_route(decision):
        r = client.open(path, method=method, headers={**auth(role), "X-Big": "b" * limit})
        assert_problem(r, 431, "request-header-fields-too-large")


def test_size_limits_are_settings(tmp_path, monkeypatch, library):
    from tfp_rules.library import RulesetLibrary

    monkeypatch.setattr(RulesetLibrary, "from_directory", lambda *a: library)
    monkeypatch.setenv("TFP_MAX_URI_BYTES", "100")
    monkeypatch.setenv("TFP_MAX_HEADER_BYTES", "2000")
    from service import create_app

    app = create_app({"DATABASE": str(tmp_path / "t.sqlite"), "TESTING": True})
    assert (app.config["MAX_URI_BYTES"], app.config["MAX_HEADER_BYTES"]) == (100, 2000)
    assert_problem(app.test_client().get("/healthz?" + "q" * 100), 414, "request-uri-too-large")
