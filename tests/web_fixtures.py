"""What the browser tests share: Debian's chromium driven by Playwright, the page of a live server with
JavaScript errors collected, and settings for a server on the tiny model. Imported by test_web*.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from serve.settings import Settings

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (dev extra)")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MAX_UPLOAD_ROWS = 20


def find_chromium() -> str | None:
    """Debian's chromium; installed on the spot when missing and we may (CI installs it beforehand)."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    try:
        subprocess.run("apt-get update -qq && apt-get install -y -qq chromium", shell=True, check=True, timeout=600)
    except (subprocess.SubprocessError, OSError):
        return None
    return shutil.which("chromium")


def settings_for(tiny_model, **extra) -> Settings:
    base = {"model_path": tiny_model, "device": "cpu", "max_wait_ms": 5, "max_upload_rows": MAX_UPLOAD_ROWS}
    return Settings(**{**base, **extra})


def expect(locator):
    return sync_api.expect(locator)


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed and could not be installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def open_page(browser, url: str, viewport: dict | None = None) -> Iterator:
    """The page at ``url`` once the model is ready; fails the test if the page raised a JavaScript error."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("#status[data-state=ready]")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
