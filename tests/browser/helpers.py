"""What the browser tests do on a page: sign in, check it with axe-core, photograph it,
choose in a filter, move the keyboard focus."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.server import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

MISSING = "Playwright for Python is not installed: `make test` installs it (.[dev])"
try:
    from playwright.sync_api import expect
except ImportError:  # every test then fails saying how to install it, never skips

    def expect(*args: Any, **kwargs: Any) -> Any:  # type: ignore[no-redef]
        """Stands in for Playwright's expect when it is missing: a failure."""
        pytest.fail(MISSING)


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
MAX_TABS = 300  # a page's tab order is shorter than this, or the focus is lost


def sign_in(page: Page, key: str) -> None:
    """Sign in on the sign-in page as a person does: the "API key" field, "Sign in"."""
    page.goto("/sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


# ---------------------------------------------------------------------------------- axe-core


def check_accessibility(page: Page, what: str) -> None:
    """axe-core on the page as it stands: fail on any serious or critical violation, naming
    each rule, its help and the elements it found."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => n.target.join(' '))})))"""
    )
    assert not violations, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"  {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["targets"])
        for v in violations
    )


SCREENSHOT_HEIGHT = 2000  # the README shows the part that matters, not 16,000 pixels of page


def screenshot(page: Page, name: str, at: Locator | None = None) -> None:
    """A PNG of the page as it stands, docs/screenshots/<name>.png, for the README: from its
    top, or from just above `at`, at most SCREENSHOT_HEIGHT pixels of the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"] if page.viewport_size else 1200
    top = 0
    if at is not None:
        box = page.evaluate(
            "e => e.getBoundingClientRect().top + window.scrollY", at.element_handle()
        )
        top = max(0, int(box) - 120)
    clip = {"x": 0, "y": top, "width": width, "height": min(SCREENSHOT_HEIGHT, height - top)}
    png = page.screenshot(type="png", full_page=True, clip=clip, animations="disabled")
    partial = target.with_name(f".{target.name}.part")  # never a half-written PNG
    partial.write_bytes(png)
    partial.replace(target)


# ----------------------------------------------------------------------- forms and sections


def choose(page: Page, label: str, choice: str) -> None:
    """In the field labelled `label` (a select, or radios under that legend), pick the
    option whose words start with `choice` (options may end with a count, "Eligible (3)")."""
    starts = re.compile(rf"^\s*{re.escape(choice)}\b")
    select = page.get_by_role("combobox", name=label, exact=True)
    if select.count():
        options = select.locator("option").filter(has_text=starts)
        assert options.count() == 1, f"{label!r} has no single option starting {choice!r}"
        select.select_option(value=options.first.get_attribute("value"))
        return
    group = page.get_by_role("group", name=label, exact=True)
    assert group.count() == 1, f"no select and no radios labelled {label!r}"
    group.get_by_label(starts).check()


SECTION_TEXT = """([heading]) => {
    const h2 = [...document.querySelectorAll('h2')].find(h => h.innerText.trim() === heading);
    if (!h2) return null;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ALL);
    walker.currentNode = h2;
    const parts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.nodeName === 'H2') break;
        if (node.nodeType === Node.TEXT_NODE && !h2.contains(node)) parts.push(node.data);
    }
    return parts.join(' ').replace(/\\s+/g, ' ').trim();
}"""


def section_text(page: Page, heading: str) -> str:
    """The words of the page from the h2 `heading` to the next h2, spaces collapsed."""
    text = page.evaluate(SECTION_TEXT, [heading])
    assert text is not None, f"no h2 {heading!r} on {page.url}"
    return text


def tab_until(page: Page, target: Locator, limit: int = MAX_TABS) -> int:
    """Press Tab until `target` has the keyboard focus; how many presses it took."""
    handle = target.element_handle()
    assert handle is not None
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("el => el === document.activeElement", handle):
            return presses
    raise AssertionError(f"{target} never got the focus in {limit} presses of Tab")


def wait_until(check: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    """Poll `check` every 0.2 s until it holds, for at most `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(0.2)
