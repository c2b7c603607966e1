"""Playwright against Debian's Chromium, pointed at pytest-django's live server.

Playwright's sync API runs an event loop in the test's thread, and the tests
read the database from that same thread, so Django's async-safety check is
switched off for the browser tests.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

_taken: list[Path] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


# Every page reports what its Content-Security-Policy refused (an inline style or
# handler, eval, a foreign source) to the test, across navigations.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.violatedDirective} refused ${event.blockedURI || "inline"}` +
      ` at ${event.sourceFile || event.documentURI}:${event.lineNumber} ${event.sample || ""}`
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy refused on the test's pages (see ``page``)."""
    return []


@pytest.fixture
def page(browser: Browser, csp_violations: list[str]) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test.

    Uncaught JS errors and anything the Content-Security-Policy refuses (seen as a
    securitypolicyviolation event or as the console's report of it) fail the test.
    """
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    context.expose_binding("__cspViolation", lambda source, text: csp_violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(f"console: {message.text[:160]}")

    context.on("console", on_console)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    yield page
    context.close()
    assert not js_errors, f"JavaScript errors on the page: {js_errors}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"


def login(page: Page, live_server, username: str, password: str = "pw") -> None:
    """Signs in through the login form, the way a person does."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator(".userbox")).to_contain_text(username)


def screenshot(page: Page, name: str) -> Path:
    """Saves a full-page PNG under test-artifacts/screenshots/ in the repository."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # caret="initial": hiding the caret writes a style="" onto every input, which htmx
    # then copies onto swapped-in inputs, an inline style the CSP rightly refuses.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    _taken.append(path)
    return path


def pytest_terminal_summary(terminalreporter) -> None:
    if _taken:
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")
