"""Page fixtures: a test client signed in as a role, through the real sign-in form."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, api_key: str) -> None:
    """Sign `client` in with `api_key` as a person would: the form, its token, the key."""
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"api_key": api_key, "csrf_token": csrf_token(page.text)})
    assert r.status_code == 302, r.text[:500]


@pytest.fixture
def browser(app, keys) -> Callable[[str], FlaskClient]:
    """`browser(role)`: a new test client (its own cookie jar) signed in with that role's key."""

    def signed_in(role: str) -> FlaskClient:
        client = app.test_client()
        sign_in(client, keys[role])
        return client

    return signed_in


@pytest.fixture
def post_form(app) -> Callable[..., object]:
    """`post_form(client, page_path, action_path, data)`: GET the page, POST its form with
    the page's CSRF token added to `data`."""

    def post(client: FlaskClient, page: str, action: str, data: dict[str, str]):
        token = csrf_token(client.get(page).text)
        return client.post(action, data={**data, "csrf_token": token})

    return post
