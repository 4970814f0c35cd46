"""A real headless browser for page tests: Debian's Chromium driven through its own chromedriver by Selenium.

``tools/setup.sh`` installs ``chromium`` and ``chromium-driver`` where apt-get is usable. Where either (or
Selenium) is missing, the test that asks for a browser is skipped with the reason and the fix; a browser that is
there but does not start fails the test.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
INSTALL = "apt-get install chromium chromium-driver (tools/setup.sh does it where apt-get is usable)"


def headless_chromium(width: int = 1400, height: int = 1000) -> Any:
    """A Selenium ``webdriver.Chrome`` on Debian's Chromium, headless; the caller quits it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed: .venv/bin/pip install -c constraints.txt -e '.[dev]'")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.skip(f"no browser for the page test: {path} not found; {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces it may not have
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-proxy-server",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def full_page_screenshot(driver: Any, path: str, width: int = 1400) -> None:
    """The whole page as a PNG: the window grown until its viewport holds the document (the window's size
    includes what the browser draws around the page, so the first try can fall short)."""
    for _ in range(3):
        page, viewport = driver.execute_script("return [document.documentElement.scrollHeight, window.innerHeight]")
        if viewport >= page:
            break
        outer = driver.get_window_size()["height"]
        driver.set_window_size(width, int(outer + page - viewport))
    driver.save_screenshot(path)
