"""The pages in a real browser: Debian's Chromium, driven by Playwright, against the real
service (nginx in front of gunicorn, started as `make run` starts it) on loopback.

One server and one browser for the whole session, a new browser context (its own cookies)
for every test. The server runs on a temporary database, seeded through the HTTP API as a
partner system would seed it: families POSTed to /v1/evaluations with a submitter's key,
one of them superseded by a facts update. Keys come from the store, as `tfp keys create`
makes them. Pages are checked with axe-core, injected with `page.evaluate` so that the
pages' Content-Security-Policy stays in force: it is part of what is tested.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.service.server import ROOT, Server, group_members, request
from tfp_rules.store import Store

from .helpers import AXE, MISSING, sign_in

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
except ImportError:  # reported by the `browser` fixture, as a failure
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAMILIES = ROOT / "fixtures" / "families"
VIEWPORT = {"width": 1200, "height": 900}
WAIT_MS = 10_000  # the longest any action or assertion waits
NAMES = {
    "reviewer": "Rita Reviewer",
    "policy_officer": "Pat Policy",
    "submitter": "Partner System",
    "admin": "Ada Admin",
}
# Which fixture families the server holds, by what the tests use them for.
SEED = {
    "eligible": "two_headlines_eligible.json",  # FIX-022, overridden by a test
    "eligible_keyboard": "facts_md_example.json",  # STK-2019-000123, confirmed from the keyboard
    "eligible_untouched": "h5_domestic_abuse_roles.json",  # FIX-024, only read (and CSRF)
    "not_eligible": "one_headline_not_eligible.json",  # FIX-021
    "undetermined": "sources_police_not_checked_undetermined.json",  # FIX-030
    "superseded": "family_unknown_while_education_unchecked.json",  # FIX-036, then updated
}
# The facts update that supersedes the "superseded" family's first decision.
UPDATE = {"sources_checked": {"education": "2019-03-30"}}
PROGRESS = ROOT / "fixtures" / "progress" / "turns_around"
PRECONDITIONS = {
    "whole_family_assessment": "2019-04-02",
    "action_plan": "2019-04-10",
    "keyworker": "Sam Keyworker",
}


@dataclass
class Site:
    """The running service: its address, the people's keys, and the decisions seeded."""

    server: Server
    keys: dict[str, str]
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def api(self, method: str, path: str, role: str, body: dict | None = None) -> Any:
        """One API call with `role`'s key; the JSON answer (a 2xx is asserted)."""
        r = request(
            self.server.port,
            method,
            path,
            body=body,
            headers={"Authorization": f"Bearer {self.keys[role]}"},
        )
        assert 200 <= r.status < 300, f"{method} {path}: {r.status} {r.body[:500]!r}"
        return r.json()


def seed(site: Site) -> None:
    """The families of SEED POSTed as the submitter; the superseded one updated once."""
    for use, name in SEED.items():
        facts = json.loads((FAMILIES / name).read_text())
        site.decisions[use] = site.api("POST", "/v1/evaluations", "submitter", facts)
    first = site.decisions["superseded"]
    later = site.api("POST", f"/v1/decisions/{first['id']}/facts", "submitter", UPDATE)
    assert later["previous_id"] == first["id"]
    site.decisions["superseding"] = later
    # a Stockton family checked for progress twice: one check to claim through the pages,
    # one claimed through the API, so both the claim form and a claim's page can be reached
    for use in ("progress", "claimed"):
        entry = json.loads((PROGRESS / "entry.json").read_text())
        entry["family_ref"] = f"STK-BROWSER-{use.upper()}"
        made = site.api("POST", "/v1/evaluations?ruleset=stockton", "submitter", entry)
        later = json.loads((PROGRESS / "later.json").read_text())
        later.pop("family_ref", None)
        checked = site.api("POST", f"/v1/decisions/{made['id']}/progress", "submitter", later)
        site.decisions[f"{use}_entry"], site.decisions[use] = made, checked
    site.decisions["claim"] = site.api(
        "POST",
        "/v1/claims",
        "reviewer",
        {"progress_id": site.decisions["claimed"]["id"], **PRECONDITIONS},
    )
    statuses = {use: d["status"] for use, d in site.decisions.items() if use in SEED}
    assert statuses["eligible"] == "eligible" and statuses["not_eligible"] == "not_eligible"
    assert statuses["undetermined"] == "undetermined", statuses


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real service on loopback, on its own database, seeded; stopped at the end."""
    workdir = tmp_path_factory.mktemp("browser-server")
    database = workdir / "tfp.sqlite"
    with Store(database) as store:
        keys = {
            role: store.create_key(role, name, actor="test:browser")[1]
            for role, name in NAMES.items()
        }
    server = Server(database, workdir / "server")
    server.start()
    try:
        site = Site(server, keys)
        seed(site)
        yield site
    finally:
        server.stop()
        assert not group_members(server.pgid), "a process of the service left running"


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright itself, or a failure saying how to get it."""
    if sync_playwright is None:
        pytest.fail(MISSING)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, one for the session (never Playwright's own download)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core (npm ci)")
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
    )
    yield browser
    browser.close()


def open_context(browser: Browser, site: Site, **options: Any) -> BrowserContext:
    """A browser context (its own cookies) on the site, 1200 pixels wide, waits bounded."""
    context = browser.new_context(base_url=site.base_url, viewport=VIEWPORT, **options)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    return context


@pytest.fixture(scope="session")
def sessions(browser: Browser, site: Site) -> Iterator[dict[str, Any]]:
    """Each role's signed-in cookies (a Playwright storage state), signed in once for the
    session through the sign-in form; a test that signs out signs in on its own instead."""
    states: dict[str, Any] = {}
    contexts = []

    def state(role: str) -> Any:
        if role not in states:
            context = open_context(browser, site)
            contexts.append(context)
            page = context.new_page()
            sign_in(page, site.keys[role])
            assert "/sign-in" not in page.url, f"sign-in as {role} failed: {page.url}"
            states[role] = context.storage_state()
        return states[role]

    yield state  # type: ignore[misc]
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(browser: Browser, site: Site) -> Iterator[Callable[..., Page]]:
    """`new_page()`: a page in a fresh context, no cookies unless `storage_state` is given;
    every context is closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Page:
        context = open_context(browser, site, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(new_page: Callable[..., Page], sessions: Any) -> Callable[[str], Page]:
    """`signed_in(role)`: a fresh page with that role's session cookie (nothing opened yet)."""

    def make(role: str) -> Page:
        return new_page(storage_state=sessions(role))

    return make
