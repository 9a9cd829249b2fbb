"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

The live server serves the product and, at /sandbox/clever/, the Clever sandbox, so a
journey clicks through Clever's pages exactly as a teacher would. Fixtures:

- `browser`: one headless Chromium for all the journeys (skipped when /usr/bin/chromium is
  missing, a failure instead when REQUIRE_BROWSER=1, as in CI);
- `clever`: points the product at the sandbox on the live server, reset for each test;
- `page`: a fresh browser context (no cookies) and page for each test, with bounded timeouts;
  the test fails if the browser reports any Content-Security-Policy violation on the way
  (`csp_violations` lists them as they come);
- `screenshot`: saves the journey's last page as artifacts/journeys/<name>.png;
- `page_check`: checks the page as a phone (390 px) and a desktop (1280 px) see it: no
  sideways scrolling, no serious or critical accessibility violation (axe-core, from
  axe-playwright-python), and a full-page screenshot at each width
  (artifacts/journeys/<name>-390.png, -1280.png).

The live server answers from its own thread, so journeys use transactional tests, which
flush the database after each test. They are marked
`django_db(transaction=True, serialized_rollback=True)`: the database is restored to what
the migrations made (onboarding's default questions above all) before each test, and left
that way for the transactional tests that follow.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import product_pointed_at_sandbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's own sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "journeys"
# A phone (an iPhone 12 to 15 is 390 px wide) and a laptop.
WIDTHS = (390, 1280)
# axe-core's impacts that fail a journey; "moderate" and "minor" ones are read, not enforced.
FAILING_IMPACTS = ("serious", "critical")

# Generous for a busy 2-core machine, but bounded: a stuck page fails the test instead of hanging it.
LAUNCH_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="package")
def browser():
    """Start headless Chromium once for the journeys; close it (and its processes) after the last one."""
    if not CHROMIUM.exists():
        reason = f"browser journeys need Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; REQUIRE_BROWSER=1 makes that a failure", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    # Playwright's sync API keeps an asyncio event loop running in this thread (in a greenlet)
    # for as long as it is started, and Django takes that running loop for an async context:
    # - it refuses ORM calls from the test itself and from the transactional tests' flush
    #   ("You cannot call this from an async context"), although nothing here is async and
    #   the ORM runs in this thread alone. DJANGO_ALLOW_ASYNC_UNSAFE lifts that check, only
    #   while the browser runs.
    # - `connections` would hand this thread new connection objects (asgiref keeps them per
    #   context under a running loop), without the test database's serialized contents, so
    #   serialized_rollback would restore nothing. The thread's own connections are put back.
    thread_connections = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            for alias, connection in thread_connections.items():
                connections[alias] = connection
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=LAUNCH_TIMEOUT_MS
            )
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def clever(live_server, settings):
    """Point the product at the sandbox the live server serves, reset to its demo data."""
    with product_pointed_at_sandbox(settings, live_server.url) as handle:
        yield handle


# Every page of the context reports what the policy blocked to the console, where `page` collects it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser said the Content-Security-Policy blocked during the test (console messages)."""
    return []


@pytest.fixture
def page(browser, clever, request, csp_violations):
    """A page in a fresh browser context; on failure, its last state is kept as <test>-failed.png.

    Fails the test when the browser reports a Content-Security-Policy violation: Chromium's
    own console error ("... violates the following Content Security Policy directive ...")
    or the page's `securitypolicyviolation` event.
    """
    context = browser.new_context(base_url=clever.server_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    tab = context.new_page()
    tab.on("console", lambda message: _note_csp_violation(message, csp_violations))
    try:
        yield tab
        report = getattr(request.node, "rep_call", None)
        failed_png = ARTIFACTS / f"{_slug(request.node.name)}-failed.png"
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=failed_png, full_page=True)
        else:
            failed_png.unlink(missing_ok=True)  # an earlier run's, no longer true
    finally:
        context.close()
    if csp_violations:
        pytest.fail("The Content-Security-Policy blocked something:\n" + "\n".join(csp_violations), pytrace=False)


def _note_csp_violation(message, violations: list[str]) -> None:
    if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text):
        violations.append(f"{message.text} ({message.location.get('url', '')})")


@pytest.fixture
def screenshot():
    """Save a full-page PNG of where the journey ended, overwriting the previous run's."""

    def save(page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{_slug(name)}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save


@dataclass
class PageCheck:
    """What `page_check` found on one page at one width."""

    name: str
    width: int
    scroll_width: int
    violations: list[dict]  # axe-core's, serious and critical only
    screenshot: Path


@pytest.fixture(scope="package")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def page_check(axe, csp_violations):
    """Check the page at each of WIDTHS: it fits (no sideways scroll), axe finds nothing serious, a screenshot.

    `page_check(page, "my-classes")` asserts; `page_check(page, "admin-index", enforce=False)`
    returns the findings to report instead (the Django admin's own pages).
    """

    def check(page, name: str, *, enforce: bool = True) -> list[PageCheck]:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        original = page.viewport_size
        found = []
        try:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.wait_for_load_state("load")
                scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                before = len(csp_violations)
                results = axe.run(page, options={"resultTypes": ["violations"]})
                page.evaluate("0")  # a round trip, so the console events of axe's run have arrived
                # axe-core itself adds <style> elements to some pages (the admin's user page) while it
                # runs; the policy rightly blocks them. Those are the tool's, not the page's: forget them.
                csp_violations[before:] = [
                    v for v in csp_violations[before:] if not ("style-src" in v and "inline" in v)
                ]
                violations = [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"]],
                    }
                    for v in results.response["violations"]
                    if v["impact"] in FAILING_IMPACTS
                ]
                path = ARTIFACTS / f"{_slug(name)}-{width}.png"
                page.screenshot(path=path, full_page=True)
                found.append(PageCheck(name, inner_width, scroll_width, violations, path))
        finally:
            page.set_viewport_size(original)
        if enforce:
            for result in found:
                assert result.scroll_width <= result.width, (
                    f"{name} scrolls sideways at {result.width} px (the page is {result.scroll_width} px wide)"
                )
                assert result.violations == [], f"{name} at {result.width} px: {result.violations}"
        return found

    return check


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so `page` knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
