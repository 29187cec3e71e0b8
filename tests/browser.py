"""Real-browser tests: the real app served by uvicorn on 127.0.0.1, driven in Debian's headless Chromium.

    with live_server(create_app(app)) as base_url, chromium(tmp_path) as driver:
        page = Page(driver, base_url)
        page.sign_in(email, password)
        page.open("/bills")
        page.screenshot("bills")          # var/screenshots/bills.png

Tests that use it are marked `@pytest.mark.browser` and call `require_browser()` (the `browser` fixtures in the
test modules do): without chromium and chromedriver they are skipped, except under CI (env CI set), where a
missing browser is a failure, not a silent skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
LAPTOP = (1280, 860)
PHONE = (390, 844)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


def require_browser() -> None:
    reason = browser_missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


class _Server(uvicorn.Server):
    """uvicorn that says when it is listening, so the test waits on an event, not on the clock."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@contextmanager
def live_server(asgi_app: Any) -> Iterator[str]:
    """Serve `asgi_app` on a free port of 127.0.0.1 in a background thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(asgi_app, lifespan="off", log_level="warning", access_log=False))
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the test below, not lost in the thread
            errors.append(exc)
            server.ready.set()

    thread = threading.Thread(target=serve, name="uvicorn-test", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout=15) or errors:
            raise RuntimeError(f"the test server did not start: {errors[0] if errors else 'timeout'}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextmanager
def chromium(profile_dir: Path, *, size: tuple[int, int] = LAPTOP) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, driven by Debian's chromedriver (nothing is downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile_dir}",
                 f"--window-size={size[0]},{size[1]}"):
        options.add_argument(flag)
    profile_dir.mkdir(parents=True, exist_ok=True)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)


class Page:
    """A few verbs over a Selenium driver, in the words of the pages."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    @property
    def path(self) -> str:
        url: str = self.driver.current_url
        return url[len(self.base_url):] if url.startswith(self.base_url) else url

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def text(self, css: str = "main") -> str:
        return str(self.find(css).text)

    def fill(self, fields: dict[str, str]) -> None:
        for name, value in fields.items():
            box = self.find(f"[name='{name}']")
            box.clear()
            box.send_keys(value)

    def submit(self, css: str = "form button[type='submit']") -> None:
        """Click and wait for the next page: its <html> replaces the one we hold."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.find("html")
        self.find(css).click()

        def replaced(_driver: Any) -> bool:
            try:
                old.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:  # Chromium, caught mid-navigation, names the old node this way
                if "does not belong to the document" in str(exc):
                    return True
                raise
            return False

        WebDriverWait(self.driver, 15).until(replaced)

    def sign_in(self, email: str, password: str) -> None:
        if not self.path.startswith("/login"):
            self.open("/login")
        self.fill({"email": email, "password": password})
        self.submit("main form button[type='submit']")

    def resize(self, width: int, height: int) -> None:
        self.driver.set_window_size(width, height)

    def as_phone(self, size: tuple[int, int] = PHONE) -> None:
        """Lay the page out as a phone would (viewport, touch-sized text), whatever the window."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True,
        })

    def style(self, css: str, prop: str) -> str:
        return str(self.find(css).value_of_css_property(prop))

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """Save var/screenshots/<name>.png, by default of the whole page, not only the window."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if full_page:
            metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            content = metrics["cssContentSize"]
            width = self.driver.execute_script("return window.innerWidth")
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": content["height"], "scale": 1},
            })
            import base64

            path.write_bytes(base64.b64decode(shot["data"]))
        else:
            self.driver.save_screenshot(str(path))
        return path
