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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test; uncaught JS errors fail the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    yield page
    context.close()
    assert not js_errors, f"JavaScript errors on the page: {js_errors}"


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
    page.screenshot(path=str(path), full_page=True)
    _taken.append(path)
    return path


def pytest_terminal_summary(terminalreporter) -> None:
    if _taken:
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")
